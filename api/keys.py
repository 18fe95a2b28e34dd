"""API keys as the routes see them: the tenant a presented key belongs to, looked up in the database at
most once per `ttl` seconds per key prefix.

Without the cache every request paid a connection check-out and a query before doing its own work.
What is kept is what the database holds (tenant and the key's SHA-256), never the key itself: each
request still compares the presented key against the stored digest in constant time, so a wrong key
with a known prefix is refused as before. Only keys that exist are kept (unknown prefixes are looked up
every time, so a key created a moment ago works at once); a key revoked in the database stops working
within `ttl` seconds (`TIERSIGHT_KEY_CACHE_SECONDS`; 0 turns the cache off)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from api.repository import sql
from screening import jobs, services

# More distinct keys than this in one process and the oldest entries are dropped first.
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class StoredKey:
    tenant: str
    tenant_id: int
    sha256: str
    expires: float


class KeyCache:
    def __init__(
        self, scope: services.Scope, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.scope = scope
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, StoredKey] = {}
        self._lock = threading.Lock()

    def tenant_of(self, key: str) -> StoredKey | None:
        """The stored key a presented key matches, or None (unknown prefix, revoked, or the digest
        does not match)."""
        if len(key) <= jobs.PREFIX_LENGTH:
            return None
        prefix = key[: jobs.PREFIX_LENGTH]
        stored = self._lookup(prefix)
        if stored is None or not jobs.key_matches(key, stored.sha256):
            return None
        return stored

    def live(self, prefix: str) -> StoredKey | None:
        """The stored key with this prefix if it is still live (a web session holds the prefix of the key
        it logged in with, never the key): cached like `tenant_of`."""
        return self._lookup(prefix)

    def cached(self, key: str) -> bool:
        """Whether `tenant_of(key)` would answer without the database (its prefix is cached, unexpired)."""
        with self._lock:
            entry = self._entries.get(key[: jobs.PREFIX_LENGTH])
        return entry is not None and entry.expires > self._clock()

    def _lookup(self, prefix: str) -> StoredKey | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(prefix)
        if entry is not None and entry.expires > now:
            return entry
        with self.scope() as stores:
            found = sql(stores).api_key(prefix)
        if found is None:
            with self._lock:
                self._entries.pop(prefix, None)
            return None
        entry = StoredKey(tenant=found[0], tenant_id=found[2], sha256=found[1], expires=now + self.ttl)
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    del self._entries[next(iter(self._entries))]
                self._entries[prefix] = entry
        return entry
