"""What one app holds for its lifetime: settings, database engine and unit-of-work scope, the rules
(loaded once), the runner of screenings, the submission buckets and the metrics."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from api.keys import KeyCache
from api.limits import Buckets, RedisTokenBuckets, TokenBuckets
from api.metrics import Metrics
from api.repository import delivery_counts, screening_durations, sql, status_counts
from api.runner import BrokerRunner, EmbeddedRunner, Runner
from api.settings import ApiSettings
from screening import services
from screening.rules import RuleSet, load_rules
from screening.storage.db import make_engine, migrate
from screening.storage.service_repository import scope_factory

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("api")

BROKER_TIMEOUT_S = 2.0


class Runtime:
    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        services.set_index_dir(settings.index_dir)
        self.rules: RuleSet = load_rules(settings.rules_dir)  # a bad rule folder stops the start, naming it
        self.engine: Engine = make_engine(settings.database_url)
        self.scope: services.Scope = scope_factory(self.engine)
        self.keys = KeyCache(self.scope, settings.key_cache_seconds)
        self.runner: Runner = (
            BrokerRunner(settings.broker_url)
            if settings.broker_url
            else EmbeddedRunner(
                self.scope, self.rules, settings.embedded_workers, settings, every=settings.alert_every
            )
        )
        self.redis: Redis | None = _redis(settings.broker_url)
        self.buckets: Buckets = (
            TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
            if self.redis is None
            else RedisTokenBuckets(self.redis, settings.rate_limit_per_minute, settings.rate_limit_burst)
        )
        self.metrics = Metrics(
            self.statuses,
            self.queue_depth if self.redis is not None else None,
            deliveries=self.deliveries,
            durations=self.durations,
        )
        self.migrated = False
        self._migrate_lock = threading.Lock()

    # -- start and stop ---------------------------------------------------------------------------
    def start(self) -> None:
        """Migrate the database and resume the jobs a previous process left; an unreachable database
        does not stop the start (`/readyz` says 503 and migrates once it can)."""
        if self.ensure_migrated():
            resumed = self.runner.resume()
            if resumed:
                log.info("resumed %d screening(s) left queued or running", resumed)

    def stop(self) -> None:
        self.runner.close()
        if self.redis is not None:
            self.redis.close()
        self.engine.dispose()

    def ensure_migrated(self) -> bool:
        with self._migrate_lock:
            if not self.migrated:
                try:
                    migrate(self.engine)
                except Exception as exc:
                    log.error("the database cannot be migrated: %s", exc)
                    return False
                self.migrated = True
        return True

    # -- checks and gauges --------------------------------------------------------------------------
    def check_database(self) -> str:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok" if self.ensure_migrated() else "not migrated"

    def check_broker(self) -> str:
        if self.redis is None:
            return "not checked (only Redis brokers are pinged)"
        try:
            self.redis.ping()
        except Exception as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok"

    def statuses(self) -> dict[str, int]:
        with self.scope() as stores:
            return status_counts(sql(stores))

    def deliveries(self) -> dict[str, int]:
        with self.scope() as stores:
            return delivery_counts(sql(stores))

    def durations(self) -> tuple[int, float]:
        with self.scope() as stores:
            return screening_durations(sql(stores))

    def queue_depth(self) -> int:
        assert self.redis is not None
        return int(self.redis.llen(self.settings.broker_queue))


def _redis(broker_url: str | None) -> Redis | None:
    if not broker_url or not broker_url.startswith(("redis://", "rediss://", "unix://")):
        return None
    from redis import Redis

    return Redis.from_url(
        broker_url, socket_connect_timeout=BROKER_TIMEOUT_S, socket_timeout=BROKER_TIMEOUT_S
    )
