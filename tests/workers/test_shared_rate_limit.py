"""The submission rate limit kept in Redis: API processes that share the broker share each key's bucket,
and a Redis that cannot be reached lets submissions through instead of refusing them."""

from __future__ import annotations

import secrets
import time

import pytest
import redis

from api.limits import RedisTokenBuckets
from tests.workers.conftest import RedisServer


def test_two_processes_draw_on_one_bucket_per_key(shared_redis_url: str) -> None:
    namespace = f"test:rate:{secrets.token_hex(4)}"  # apart from anything else in the machine's Redis
    first_client, second_client = (
        redis.Redis.from_url(shared_redis_url),
        redis.Redis.from_url(shared_redis_url),
    )
    try:
        # 60 a minute = one token a second; a burst of 3
        first = RedisTokenBuckets(first_client, per_minute=60, burst=3, namespace=namespace)
        second = RedisTokenBuckets(second_client, per_minute=60, burst=3, namespace=namespace)
        assert [first.take("key-a"), second.take("key-a"), first.take("key-a")] == [0.0, 0.0, 0.0]
        wait = second.take("key-a")  # the fourth submission within the burst, from the other process
        assert 0.9 < wait <= 1.0
        assert first.take("key-b") == 0.0  # keys apart
        time.sleep(1.05)
        assert first.take("key-a") == 0.0  # refilled at the rate
        assert second.take("key-a") > 0.9
        ttl = first_client.pttl(f"{namespace}:key-a")
        assert 0 < ttl <= 4_000  # the hash goes once the bucket would be full again (+1 s)
    finally:
        for client in (first_client, second_client):
            keys = list(client.scan_iter(f"{namespace}:*"))
            if keys:
                client.delete(*keys)
            client.close()


def test_a_redis_that_is_down_lets_submissions_through(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_connect_timeout=1, socket_timeout=1)
    buckets = RedisTokenBuckets(client, per_minute=60, burst=1)
    assert buckets.take("k") == 0.0
    assert buckets.take("k") > 0.0
    redis_server.kill()
    with caplog.at_level("WARNING", logger="api"):
        assert [buckets.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert "rate limit not applied to k: Redis is unreachable" in caplog.text
    client.close()
