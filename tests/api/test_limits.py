"""The submission token bucket, on a clock the test moves."""

from __future__ import annotations

import pytest

from api.limits import TokenBuckets, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_grants_its_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=2, clock=clock)
    assert [buckets.take("k"), buckets.take("k")] == [0.0, 0.0]
    assert buckets.take("k") == pytest.approx(1.0)  # one token a second
    clock.now += 0.25
    assert buckets.take("k") == pytest.approx(0.75)  # a refused take costs nothing
    clock.now += 0.75
    assert buckets.take("k") == 0.0
    assert buckets.take("other") == 0.0  # keys apart
    clock.now += 3600
    assert [buckets.take("k") for _ in range(3)][:2] == [0.0, 0.0]  # refilled to the burst, not beyond


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    assert [retry_after(0.01), retry_after(1.0), retry_after(1.2), retry_after(59.5)] == ["1", "1", "2", "60"]


def test_a_bucket_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBuckets(per_minute=0, burst=1)
    with pytest.raises(ValueError, match="burst of at least 1"):
        TokenBuckets(per_minute=1, burst=0)
