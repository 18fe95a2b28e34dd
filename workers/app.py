"""The Celery app of the workers, configured from `screening.settings` (and the worker knobs below).

Run the screening workers and, once per deployment, the scheduler with a small worker of its own for
the sweeper's queue (so that the sweep runs on time however long the screening queue is):

    celery -A workers.app worker --concurrency 2
    celery -A workers.app worker --beat --queues tiersight.sweep --concurrency 1

Delivery: a task is acknowledged only when it has run (`acks_late`), and a task whose worker process
died is put back on the queue (`reject_on_worker_lost`); each process takes one message at a time. The
database, not the broker, is the record of what is left to do: `tiersight.sweep` runs every
`sweep_every` seconds and enqueues again every screening queued or running and not updated for
`sweep_after` seconds (a queue lost by a restarted broker, a worker killed with its host). A running
screening commits its progress at least every half second while it screens lines, so a live one is
not picked up. With the defaults (120 s and 60 s) a lost screening is enqueued again within three
minutes (CONTRACT.md section 7: another worker finishes it within five).

The Redis visibility timeout (after which the broker itself hands an unacknowledged message to another
worker) is kept above the hard time limit, so that a screening still running is not delivered twice;
the sweeper, not the visibility timeout, is what recovers screenings of dead workers in time.

At start the worker process migrates the database (once, under a PostgreSQL advisory lock when several
workers start together) and loads the rules (a bad rule folder stops the worker with the file, rule and
reason); each pool process then opens its own engine. Rules are read once: restart the workers after
changing them.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from celery import Celery, signals  # type: ignore[import-untyped]
from celery.schedules import crontab  # type: ignore[import-untyped]
from kombu.entity import Queue
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, text

from screening import services
from screening.rules import RuleSet, load_rules
from screening.settings import Settings, get_settings
from screening.storage.db import make_engine, migrate
from screening.storage.service_repository import scope_factory
from workers.enqueue import (
    CONNECT_TIMEOUT,
    DELIVER_TASK,
    DIGEST_TASK,
    RESCREEN_TASK,
    SCREEN_QUEUE,
    SCREEN_TASK,
    SWEEP_QUEUE,
    SWEEP_TASK,
    redacted,
    transport_options,
)

log = logging.getLogger(__name__)

# Any constant shared by every tiersight process; pg_advisory_lock takes a bigint.
MIGRATION_LOCK = 0x7469657273696768  # "tiersigh"


class WorkerSettings(BaseSettings):
    """How the workers pace and bound their work; `TIERSIGHT_WORKER_` variables (seconds)."""

    model_config = SettingsConfigDict(env_prefix="TIERSIGHT_WORKER_", env_file=".env", extra="ignore")

    # A queued or running screening not updated for this long is enqueued again by the sweeper.
    sweep_after: float = 120.0
    # How often the scheduler sends the sweep.
    sweep_every: float = 60.0
    # A screening taking longer than this fails with that reason; the hard limit then ends the process.
    soft_time_limit: float = 1800.0
    time_limit: float = 1860.0
    # After this long unacknowledged, Redis gives a message to another worker: keep it above time_limit.
    visibility_timeout: float = 3600.0
    # A screening claimed this many times (its workers died or ran out of time each time) fails.
    max_attempts: int = 5
    # How often due webhook deliveries and immediate alert emails are sent.
    deliver_every: float = 30.0
    # How often screenings made under older rules or network versions are looked for and re-run.
    rescreen_every: float = 300.0
    # The hour (UTC) of the daily alert digest.
    digest_hour_utc: int = 7


settings: Settings = get_settings()
worker_settings = WorkerSettings()


def _queue(name: str) -> Queue:
    """A queue bound by its own name: Celery would otherwise bind every queue with the default key,
    and a screening published to one would be delivered to both."""
    return Queue(name, routing_key=name)  # type: ignore[no-untyped-call]


def configure(app: Celery, settings: Settings, knobs: WorkerSettings) -> None:
    conf: dict[str, Any] = {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": knobs.soft_time_limit,
        "task_time_limit": knobs.time_limit,
        "task_ignore_result": settings.result_backend is None,
        "result_backend": settings.result_backend,
        "task_default_queue": SCREEN_QUEUE,
        "task_queues": [_queue(SCREEN_QUEUE), _queue(SWEEP_QUEUE)],
        "task_routes": {
            SWEEP_TASK: {"queue": SWEEP_QUEUE},
            DELIVER_TASK: {"queue": SWEEP_QUEUE},
            DIGEST_TASK: {"queue": SWEEP_QUEUE},
            RESCREEN_TASK: {"queue": SWEEP_QUEUE},
            SCREEN_TASK: {"queue": SCREEN_QUEUE},
        },
        "broker_transport_options": transport_options(knobs.visibility_timeout),
        "broker_connection_timeout": CONNECT_TIMEOUT,
        "broker_connection_retry_on_startup": True,
        # The database records the work: a screening running when the broker connection drops finishes
        # and stores its result; its message is gone with the broker's queue anyway.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": {
            "sweep": {
                "task": SWEEP_TASK,
                "schedule": knobs.sweep_every,
                "options": {"queue": SWEEP_QUEUE, "expires": knobs.sweep_every},
            },
            "deliver": {
                "task": DELIVER_TASK,
                "schedule": knobs.deliver_every,
                "options": {"queue": SWEEP_QUEUE, "expires": knobs.deliver_every},
            },
            "rescreen": {
                "task": RESCREEN_TASK,
                "schedule": knobs.rescreen_every,
                "options": {"queue": SWEEP_QUEUE, "expires": knobs.rescreen_every},
            },
            "digest": {
                "task": DIGEST_TASK,
                "schedule": crontab(hour=knobs.digest_hour_utc, minute=0),
                "options": {"queue": SWEEP_QUEUE},
            },
        },
    }
    app.conf.update(conf)


app = Celery("tiersight", broker=settings.broker_url, include=["workers.tasks"])
configure(app, settings, worker_settings)


@dataclass(frozen=True)
class Runtime:
    """What a worker process needs to run tasks: its engine, the session scope over it, the rules."""

    engine: Engine
    scope: services.Scope
    rules: RuleSet


_rules: RuleSet | None = None
_runtime: tuple[int, Runtime] | None = None
_lock = threading.Lock()


def _load_rules() -> RuleSet:
    global _rules
    if _rules is None:
        _rules = load_rules(settings.rules_dir)  # inherited by the pool processes forked after start
    return _rules


def runtime() -> Runtime:
    """This process's runtime, made on first use: an engine is never shared across a fork."""
    global _runtime
    pid = os.getpid()
    with _lock:
        if _runtime is None or _runtime[0] != pid:
            services.set_index_dir(settings.index_dir)
            engine = make_engine(settings.database_url)
            _runtime = (pid, Runtime(engine=engine, scope=scope_factory(engine), rules=_load_rules()))
        return _runtime[1]


def migrate_once(engine: Engine) -> None:
    """Migrate; on PostgreSQL under an advisory lock, so that workers starting together take turns."""
    if engine.dialect.name != "postgresql":
        migrate(engine)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            migrate(engine)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})


def _require_broker() -> None:
    if not settings.broker_url:
        raise RuntimeError(
            "TIERSIGHT_BROKER_URL is not set: the workers need a broker (embedded mode runs screenings "
            "in the API process instead)"
        )


@signals.worker_init.connect  # type: ignore[untyped-decorator]
def _on_worker_init(**_: object) -> None:
    _require_broker()
    engine = make_engine(settings.database_url)
    try:
        migrate_once(engine)
    finally:
        engine.dispose()
    _load_rules()


@signals.worker_ready.connect  # type: ignore[untyped-decorator]
def _on_worker_ready(**_: object) -> None:
    log.info(
        "tiersight worker: broker %s, rules %s (version %s), index in %s",
        redacted(settings.broker_url or ""),
        settings.rules_dir,
        _load_rules().version,
        settings.index_dir,
    )


@signals.worker_process_init.connect  # type: ignore[untyped-decorator]
def _on_worker_process_init(**_: object) -> None:
    runtime()


@signals.beat_init.connect  # type: ignore[untyped-decorator]
def _on_beat_init(**_: object) -> None:
    _require_broker()
