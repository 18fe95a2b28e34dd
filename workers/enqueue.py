"""Sending work to the workers by task name: the API's only door into `workers`.

The API imports this module alone (never `workers.app` or `workers.tasks`): the message names the task,
and whichever worker consumes the queue runs it. The caller commits the screening before it enqueues it,
so a worker never looks for a job that is not stored yet.

When the broker cannot be reached, `enqueue_screening` raises `BrokerUnavailable` after a short
connection timeout instead of blocking the request. Nothing is lost: the job is stored with status
`queued`, and the workers' sweeper (`tiersight.sweep`, every minute) enqueues every job that has stayed
queued for a while, so the screening runs once the broker is back (CONTRACT.md section 7, Durability).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery  # type: ignore[import-untyped]

SCREEN_TASK = "tiersight.screen"
SWEEP_TASK = "tiersight.sweep"
DELIVER_TASK = "tiersight.deliver"  # due webhooks and immediate alert emails
DIGEST_TASK = "tiersight.digest"  # the daily alert digest
RESCREEN_TASK = "tiersight.rescreen"  # re-screens after a rules or network change
# Screenings go to Celery's default queue; the sweeper has its own queue, so that a worker kept for it
# (`-Q tiersight.sweep`) runs it on time however long the screening queue is.
SCREEN_QUEUE = "celery"
SWEEP_QUEUE = "tiersight.sweep"

# Seconds to open a connection to the broker, and to wait for one answer on it.
CONNECT_TIMEOUT = 2.0
SOCKET_TIMEOUT = 5.0


class BrokerUnavailable(RuntimeError):
    """The broker did not accept the message; the job stays queued and the sweeper enqueues it later."""


def redacted(url: str) -> str:
    """The broker URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def transport_options(visibility_timeout: float | None = None) -> dict[str, Any]:
    """Redis transport options shared by the workers and the senders."""
    options: dict[str, Any] = {
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
    }
    if visibility_timeout is not None:
        options["visibility_timeout"] = visibility_timeout
    return options


_senders: dict[str, Celery] = {}
_senders_lock = threading.Lock()


def _sender(broker_url: str) -> Celery:
    """One small Celery app per broker URL, kept for the process (its connection pool is reused)."""
    with _senders_lock:
        app = _senders.get(broker_url)
        if app is None:
            app = Celery("tiersight-sender", broker=broker_url, set_as_current=False)
            app.conf.update(
                task_serializer="json",
                accept_content=["json"],
                broker_connection_timeout=CONNECT_TIMEOUT,
                broker_transport_options=transport_options(),
            )
            _senders[broker_url] = app
        return app


def enqueue_screening(broker_url: str, job_id: str) -> None:
    """Send `tiersight.screen(job_id)` to the broker at `broker_url`.

    Raises `BrokerUnavailable` (naming the broker, without its password, and the job) when the broker
    cannot be reached within a few seconds. The job then stays `queued` in the database and the sweeper
    enqueues it again within a few minutes, so the caller may log the error and answer 202 as usual.
    """
    try:
        _sender(broker_url).send_task(
            SCREEN_TASK,
            args=[job_id],
            queue=SCREEN_QUEUE,
            # one quick retry on a fresh connection (a pooled one may be stale after a broker restart)
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
        )
    except Exception as exc:  # kombu and redis raise several classes for "cannot connect"
        raise BrokerUnavailable(
            f"screening {job_id} could not be enqueued: the broker at {redacted(broker_url)} "
            f"is unreachable ({type(exc).__name__}: {exc}); the job stays queued and is enqueued again "
            "by the sweeper"
        ) from exc
