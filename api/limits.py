"""The submission rate limit: a token bucket per API key. With a Redis broker the buckets live in that
Redis (`RedisTokenBuckets`), so every API process behind a load balancer draws on the same bucket;
without one (the embedded default, one process) they live in this process's memory (`TokenBuckets`).
The body-size cap is FastAPI's own `max_body_size` (413 before a larger body is read)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("api")


class Buckets(Protocol):
    # Whether `take` talks to another process (and is run off the event loop).
    remote: bool

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when granted, else the seconds until one is available."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


def _check(per_minute: float, burst: int) -> None:
    if per_minute <= 0 or burst < 1:
        raise ValueError("the rate limit needs a positive rate and a burst of at least 1")


class TokenBuckets:
    """One bucket per key: `burst` tokens at most, refilled at `per_minute / 60` tokens a second."""

    remote = False

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        _check(per_minute, burst)
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when granted, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate


# The same bucket as `TokenBuckets`, kept in a Redis hash and updated atomically by one script, on
# Redis's own clock (the API processes' clocks need not agree). The hash expires once it would be full
# again, so idle keys cost nothing.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisTokenBuckets:
    """`TokenBuckets` shared by every process that uses the same Redis. When Redis cannot be reached
    the submission is let through (and logged): the limit protects the service, and a broker outage
    must not turn into refused submissions that the database would have kept."""

    remote = True

    def __init__(
        self, client: Redis, per_minute: float, burst: int, namespace: str = "tiersight:rate"
    ) -> None:
        _check(per_minute, burst)
        self.rate = per_minute / 60.0
        self.burst = burst
        self.namespace = namespace
        self._script = client.register_script(_TAKE)

    def take(self, key: str) -> float:
        from redis import RedisError

        try:
            answer = self._script(keys=[f"{self.namespace}:{key}"], args=[self.rate, self.burst])
        except RedisError as exc:
            log.warning("rate limit not applied to %s: Redis is unreachable (%s)", key, exc)
            return 0.0
        return float(answer.decode() if isinstance(answer, bytes) else answer)


def retry_after(seconds: float) -> str:
    """The `Retry-After` value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
