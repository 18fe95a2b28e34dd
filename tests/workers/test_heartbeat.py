"""The heartbeat keeps a running screening that writes no progress (preparing, storing) from looking lost,
writes nothing while progress is being written or once the screening is over, and stops with its block."""

from __future__ import annotations

import datetime as dt
import time

from screening import services
from tests.workers.conftest import job, submit, supplier_list, wait_for
from workers.heartbeat import Heartbeat


def test_a_quiet_running_screening_is_kept_fresh_until_the_block_ends(scope: services.Scope) -> None:
    quiet = submit(scope, supplier_list(3))
    with scope() as stores:
        claimed = stores.jobs.claim(quiet.id)
        assert claimed is not None
        stores.jobs.set_progress(quiet.id, 2, 3)
    before = job(scope, quiet.id).updated_at

    with Heartbeat(scope, quiet.id, every=0.05, quiet=0.2) as heartbeat:
        wait_for(lambda: heartbeat.beats >= 2, 10, "two beats")
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=0.5)
        with scope() as stores:
            assert quiet.id not in stores.jobs.stale_jobs(cutoff)
    beats = heartbeat.beats
    after = job(scope, quiet.id)
    assert after.updated_at > before and (after.lines_done, after.lines_total) == (2, 3)
    time.sleep(0.3)
    assert heartbeat.beats == beats  # stopped with the block
    with scope() as stores:
        assert stores.jobs.stale_jobs(dt.datetime.now(dt.UTC)) == [quiet.id]


def test_no_beat_while_progress_is_written_nor_after_the_end(scope: services.Scope) -> None:
    busy = submit(scope, supplier_list(3))
    with scope() as stores:
        assert stores.jobs.claim(busy.id) is not None
    with Heartbeat(scope, busy.id, every=0.02, quiet=60) as heartbeat:
        time.sleep(0.3)
    assert heartbeat.beats == 0

    with scope() as stores:
        stores.jobs.fail(busy.id, "test")
    ended = job(scope, busy.id).updated_at
    with Heartbeat(scope, busy.id, every=0.02, quiet=0) as heartbeat:
        time.sleep(0.3)
    assert heartbeat.beats == 0 and job(scope, busy.id).updated_at == ended
