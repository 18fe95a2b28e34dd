"""Durability under faults (CONTRACT.md section 7): workers killed with SIGKILL, the broker restarted
empty, a task delivered twice. Each test runs its own redis-server and its own worker processes on a
PostgreSQL database; the sweeper runs every second and takes screenings idle for two seconds as lost
(the service's defaults are a minute and two minutes)."""

from __future__ import annotations

import os
import signal

import pytest

from screening import services
from tests.workers.conftest import (
    POSTGRES_ONLY,
    RedisServer,
    StartWorker,
    assert_one_result,
    job,
    submit,
    supplier_list,
    wait_for,
)
from workers.enqueue import SCREEN_QUEUE, enqueue_screening

# Three to five seconds of screening on the test network: long enough to kill a worker in the middle.
SLOW = 4_000

pytestmark = [POSTGRES_ONLY, pytest.mark.redis, pytest.mark.slow]


def screening_in_progress(scope: services.Scope, job_id: str) -> bool:
    current = job(scope, job_id)
    assert current.status in ("queued", "running"), f"finished before the fault: {current}"
    return current.status == "running" and 0 < current.lines_done < current.lines_total


def test_a_worker_killed_in_the_middle_of_a_screening_is_finished_by_another(
    redis_server: RedisServer, start_worker: StartWorker, scope: services.Scope
) -> None:
    first = start_worker(redis_server.url, "first")
    slow = submit(scope, supplier_list(SLOW))
    enqueue_screening(redis_server.url, slow.id)
    wait_for(
        lambda: screening_in_progress(scope, slow.id), 30, "the screening is under way", logs=(first.log,)
    )

    first.kill9()  # the main process, its pool process: the host is gone, the message stays unacknowledged
    killed = job(scope, slow.id)
    assert killed.status == "running" and killed.attempts == 1 and killed.lines_done < SLOW

    second = start_worker(redis_server.url, "second", beat=True)  # with the sweeper
    wait_for(
        lambda: job(scope, slow.id).status == "done", 60, "the second worker finishes", logs=(second.log,)
    )
    done = assert_one_result(scope, slow.id)
    assert done.attempts == 2 and (done.lines_done, done.lines_total) == (SLOW, SLOW)
    assert "sweep: 1 screening(s) enqueued again: " + slow.id in second.text()


def test_a_pool_process_killed_in_the_middle_of_a_screening_is_redelivered(
    redis_server: RedisServer, start_worker: StartWorker, scope: services.Scope
) -> None:
    """No sweeper here: the broker gets the message back because the worker rejects it on the loss."""
    worker = start_worker(redis_server.url, "pool")
    slow = submit(scope, supplier_list(SLOW))
    enqueue_screening(redis_server.url, slow.id)
    wait_for(
        lambda: screening_in_progress(scope, slow.id), 30, "the screening is under way", logs=(worker.log,)
    )

    (pid,) = worker.pool_pids()
    os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: job(scope, slow.id).status == "done", 60, "the screening is redelivered", logs=(worker.log,)
    )
    done = assert_one_result(scope, slow.id)
    assert done.attempts == 2
    assert "WorkerLostError" in worker.text() and "sweep:" not in worker.text()


def test_screenings_queued_when_the_broker_restarts_empty_are_enqueued_again_and_run_once(
    redis_server: RedisServer, start_worker: StartWorker, scope: services.Scope
) -> None:
    worker = start_worker(redis_server.url, "busy", beat=True)
    busy = submit(scope, supplier_list(SLOW))
    enqueue_screening(redis_server.url, busy.id)
    wait_for(lambda: screening_in_progress(scope, busy.id), 30, "the worker is busy", logs=(worker.log,))
    waiting = [submit(scope, supplier_list(8)) for _ in range(3)]
    for item in waiting:
        enqueue_screening(redis_server.url, item.id)
    assert redis_server.llen(SCREEN_QUEUE) == 3

    redis_server.kill()  # no persistence: the queue is gone
    redis_server.start()
    assert redis_server.llen(SCREEN_QUEUE) == 0

    everything = [busy, *waiting]
    wait_for(
        lambda: all(job(scope, j.id).status == "done" for j in everything),
        60,
        "every screening is done",
        logs=(worker.log,),
    )
    for item in everything:
        done = assert_one_result(scope, item.id)
        assert done.attempts == 1
    sweeps = [line for line in worker.text().splitlines() if "enqueued again: " in line]
    assert all(any(item.id in line for line in sweeps) for item in waiting), sweeps


def test_a_task_delivered_twice_gives_one_result_and_one_set_of_events(
    redis_server: RedisServer, start_worker: StartWorker, scope: services.Scope
) -> None:
    worker = start_worker(redis_server.url, "twice", concurrency=2)
    twice = submit(scope, supplier_list(1_000))
    enqueue_screening(redis_server.url, twice.id)
    enqueue_screening(redis_server.url, twice.id)
    wait_for(lambda: job(scope, twice.id).status == "done", 60, "the screening is done", logs=(worker.log,))
    wait_for(
        lambda: worker.text().count("tiersight.screen[") >= 4,  # received and succeeded, both copies
        30,
        "both copies ran",
        logs=(worker.log,),
    )
    done = assert_one_result(scope, twice.id)
    assert done.attempts == 2  # both copies claimed it (two pool processes, together); one result stands
