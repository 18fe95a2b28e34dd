"""A running screening's sign of life, for the sweeper.

`run_job` commits its progress at most every half second while it screens lines, but not while it
prepares (reading the companies, reading or building the matching index, building the graph, finding
restricted parties in the network: a minute or more for a network of a million companies in a fresh
process) nor while it assembles and stores the report. Without a write for `sweep_after` seconds the
sweeper would take the screening for lost and start it on a second worker. So, while a task runs a
screening, a thread of its process writes the progress as it stands whenever nothing else has written
for `quiet` seconds. The thread dies with its process: a killed worker stops the heartbeat, and the
sweeper finds the screening.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from types import TracebackType

from screening import services

log = logging.getLogger(__name__)


class Heartbeat:
    """Context manager: keeps `updated_at` of running screening `job_id` fresh until the block ends."""

    def __init__(self, scope: services.Scope, job_id: str, *, every: float, quiet: float) -> None:
        self.scope = scope
        self.job_id = job_id
        self.every = every
        self.quiet = dt.timedelta(seconds=quiet)
        self.beats = 0  # writes made
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def beat(self) -> bool:
        """Write the progress as it stands if the screening runs and nothing wrote for `quiet`."""
        with self.scope() as stores:
            job = stores.jobs.job(None, self.job_id)
            if job is None or job.status != "running":
                return False
            if dt.datetime.now(dt.UTC) - job.updated_at < self.quiet:
                return False
            # Conditional on status "running": once the screening is finished this changes nothing.
            stores.jobs.set_progress(self.job_id, job.lines_done, job.lines_total)
        self.beats += 1
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception as exc:  # the database unreachable for a moment: the next beat tries again
                log.warning("heartbeat of screening %s: %s", self.job_id, exc)
