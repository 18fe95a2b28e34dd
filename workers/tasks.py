"""The workers' tasks, by name. Thin: each opens this process's runtime and calls one use case.

`tiersight.screen(job_id)` may run any number of times for one screening (a redelivered message, the
sweeper's copy, two copies at once): `services.run_job` claims the job and stores its report and events
only if no other run finished first, so there is one result and one set of events. While it runs, a
heartbeat keeps the screening from looking lost to the sweeper (`workers.heartbeat`).

Errors: only transient ones (the database unreachable or its connection lost, a deadlock or a
serialization failure) are retried, with exponential backoff; when those retries run out the job stays
running and the sweeper enqueues it again later. Anything else ends the job as failed with its reason:
a bad submission (`InputError`) with its message, an unexpected error with its class (details in the
log), the soft time limit with the limit. Left running, such a job would be enqueued again and again.
"""

from __future__ import annotations

import datetime as dt
import random

from celery import Task  # type: ignore[import-untyped]
from celery.exceptions import SoftTimeLimitExceeded  # type: ignore[import-untyped]
from celery.utils.log import get_task_logger  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from screening import outbound, services
from screening.errors import InputError
from workers.app import Runtime, app, runtime, settings, worker_settings
from workers.enqueue import DELIVER_TASK, DIGEST_TASK, RESCREEN_TASK, SCREEN_QUEUE, SCREEN_TASK, SWEEP_TASK
from workers.heartbeat import Heartbeat

log = get_task_logger(__name__)

MAX_RETRIES = 5
RETRY_FIRST = 2.0  # seconds before the first retry; doubled each time, with jitter
RETRY_MAX = 60.0


def is_transient(exc: BaseException) -> bool:
    """Errors worth running the same task again for: the database, not the screening, failed."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError | ConnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def retry_delay(retries: int) -> float:
    """Seconds before retry number `retries + 1`: 2, 4, 8, ... up to a minute, with full jitter above half."""
    ceiling = min(RETRY_MAX, RETRY_FIRST * 2**retries)
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))


def _fail(rt: Runtime, job_id: str, reason: str) -> None:
    with rt.scope() as stores:
        stores.jobs.fail(job_id, reason)
    log.warning("screening %s failed: %s", job_id, reason)


@app.task(name=SCREEN_TASK, bind=True, max_retries=MAX_RETRIES)  # type: ignore[untyped-decorator]
def screen(self: Task, job_id: str) -> str | None:
    """Run screening `job_id` to its end (or find it ended); returns its status."""
    rt = runtime()
    try:
        with rt.scope() as stores:
            job = stores.jobs.job(None, job_id)
        if job is None:
            log.error("screening %s is not in the database; nothing to do", job_id)
            return None
        if job.status in ("queued", "running") and job.attempts >= worker_settings.max_attempts:
            _fail(rt, job_id, f"the screening was started {job.attempts} times and never finished; given up")
            return "failed"
        beat = worker_settings.sweep_after / 4
        with Heartbeat(rt.scope, job_id, every=beat, quiet=beat):
            done = services.run_job(rt.scope, job_id, rt.rules)
    except SoftTimeLimitExceeded:
        _fail(rt, job_id, f"the screening took longer than {worker_settings.soft_time_limit:g} seconds")
        return "failed"
    except InputError as exc:
        _fail(rt, job_id, str(exc))
        return "failed"
    except Exception as exc:
        if is_transient(exc):
            log.warning("screening %s: transient error, retried: %s", job_id, exc)
            raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc
        log.exception("screening %s: unexpected error", job_id)
        _fail(rt, job_id, f"internal error ({type(exc).__name__}); the worker log has the details")
        return "failed"
    return None if done is None else done.status


@app.task(name=SWEEP_TASK, soft_time_limit=30, time_limit=40)  # type: ignore[untyped-decorator]
def sweep() -> list[str]:
    """Enqueue again every screening queued or running and not updated for `sweep_after` seconds: its
    message was lost with the broker's queue, or its worker died with its host. Returns their ids."""
    rt = runtime()
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=worker_settings.sweep_after)
    with rt.scope() as stores:
        # Claim each resend with a conditional touch: a job waiting behind a backlog is sent again once
        # per `sweep_after`, not at every sweep, and two schedulers running by mistake send it once.
        stale = [
            job_id for job_id in stores.jobs.stale_jobs(cutoff) if stores.jobs.mark_requeued(job_id, cutoff)
        ]
    for job_id in stale:
        screen.apply_async((job_id,), queue=SCREEN_QUEUE)
    if stale:
        log.warning("sweep: %d screening(s) enqueued again: %s", len(stale), ", ".join(stale))
    return stale


# -- alerts and re-screening (periodic, on the maintenance queue) ---------------------------------------


@app.task(name=DELIVER_TASK, soft_time_limit=240, time_limit=270)  # type: ignore[untyped-decorator]
def deliver() -> dict[str, int]:
    """Webhook deliveries and immediate (high-severity) alert emails that are due."""
    return outbound.deliver_round(runtime().scope, settings)


@app.task(name=DIGEST_TASK, soft_time_limit=600, time_limit=660)  # type: ignore[untyped-decorator]
def digest() -> dict[str, int]:
    """The daily digest: every pending email delivery, one message per subscription."""
    if not settings.smtp_url:
        log.warning("digest: TIERSIGHT_SMTP_URL is not set; alert emails wait")
    return outbound.deliver_round(runtime().scope, settings, digest=True)


@app.task(name=RESCREEN_TASK, soft_time_limit=120, time_limit=150)  # type: ignore[untyped-decorator]
def rescreen() -> list[str]:
    """Queue a re-screen of every screening made under other rules or another network version."""
    rt = runtime()
    with rt.scope() as stores:
        queued = [job.id for job in services.rescreen_outdated(stores, rt.rules)]
    for job_id in queued:
        screen.apply_async((job_id,), queue=SCREEN_QUEUE)
    if queued:
        log.info("rescreen: %d screening(s) queued after a rules or network change", len(queued))
    return queued
