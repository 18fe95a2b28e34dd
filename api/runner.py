"""Who runs a committed screening: a small thread pool in this process (embedded mode, no broker) or the
Celery workers behind the broker (`workers.enqueue`, imported only when a broker is configured).

Either way the caller has committed the submission first: a runner never looks for a job not yet stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from screening import outbound, services
from screening.rules import RuleSet
from screening.settings import Settings

log = logging.getLogger("api")


class Runner(Protocol):
    def dispatch(self, job_id: str) -> None:
        """Have the job run; never raises (a job not dispatched stays queued and is picked up later)."""
        ...

    def resume(self) -> int:
        """Dispatch the jobs a previous process left queued or running; returns how many."""
        ...

    def close(self) -> None: ...


class EmbeddedRunner:
    """Screenings run by `workers` threads of this process (`services.run_job`, not Celery's eager mode).

    With `settings`, one more thread does in this process what the workers' scheduler does with a
    broker: every `every` seconds it delivers due webhooks and immediate alert emails and queues the
    re-screens a rules or network change calls for; once a day, at `digest_hour_utc`, the digest.
    """

    def __init__(
        self,
        scope: services.Scope,
        rules: RuleSet,
        workers: int,
        settings: Settings | None = None,
        *,
        every: float = 30.0,
        digest_hour_utc: int = 7,
    ) -> None:
        self.scope = scope
        self.rules = rules
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="screening")
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if settings is not None:
            self._ticker = threading.Thread(
                target=self._tick_forever, args=(settings, every, digest_hour_utc), name="alerts", daemon=True
            )
            self._ticker.start()

    def _tick_forever(self, settings: Settings, every: float, digest_hour_utc: int) -> None:
        last_digest: dt.date | None = None
        while not self._stop.wait(every):
            now = dt.datetime.now(dt.UTC)
            digest = now.hour >= digest_hour_utc and last_digest != now.date()
            try:
                outbound.deliver_round(self.scope, settings, digest=digest)
                if digest:
                    last_digest = now.date()
                with self.scope() as stores:
                    queued = services.rescreen_outdated(stores, self.rules)
                for job in queued:
                    self._submit(job.id)
            except Exception:  # the database away for a while: the next round tries again
                log.exception("alert round failed")

    def dispatch(self, job_id: str) -> None:
        self._submit(job_id)

    def _submit(self, job_id: str) -> Future[None]:
        return self._pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        try:
            job = services.run_job(self.scope, job_id, self.rules)
        except Exception:  # a defect or a lost database: the job stays running and is resumed at start-up
            log.exception("screening %s stopped with an error", job_id)
            return
        if job is not None:
            log.info("screening %s %s", job_id, job.status)

    def resume(self) -> int:
        with self.scope() as stores:
            stale = stores.jobs.stale_jobs(dt.datetime.now(dt.UTC))
        for job_id in stale:
            self._submit(job_id)
        return len(stale)

    def close(self) -> None:
        """Finish the screenings running now; queued ones stay queued in the database for the next start."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=30)
        self._pool.shutdown(wait=True, cancel_futures=True)


class BrokerRunner:
    """Screenings sent to the Celery workers; requeueing lost jobs is the workers' sweeper's task."""

    def __init__(self, broker_url: str) -> None:
        self.broker_url = broker_url

    def dispatch(self, job_id: str) -> None:
        from workers.enqueue import enqueue_screening  # only with a broker: the API runs without workers

        try:
            enqueue_screening(self.broker_url, job_id)
        except Exception:  # the broker is down: the job is stored and queued, the sweeper enqueues it again
            log.exception("screening %s could not be enqueued; it stays queued", job_id)

    def resume(self) -> int:
        return 0

    def close(self) -> None:
        return None
