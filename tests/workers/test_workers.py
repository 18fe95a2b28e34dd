"""A real `celery worker` on Redis runs the screenings the API enqueues by name; the broker down is one
clear error and leaves the job queued; the workers' configuration keeps the contract's durability."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from screening import services
from tests.workers.conftest import (
    POSTGRES_ONLY,
    StartWorker,
    assert_one_result,
    free_port,
    job,
    submit,
    supplier_list,
    wait_for,
)
from workers import tasks
from workers.app import WorkerSettings, app
from workers.enqueue import (
    SCREEN_QUEUE,
    SCREEN_TASK,
    SWEEP_QUEUE,
    BrokerUnavailable,
    enqueue_screening,
    redacted,
)


@POSTGRES_ONLY
@pytest.mark.redis
def test_a_worker_runs_enqueued_screenings_once_and_fails_the_hopeless_ones(
    shared_redis_url: str, start_worker: StartWorker, scope: services.Scope
) -> None:
    worker = start_worker(shared_redis_url, "plain")
    good = submit(scope, supplier_list(8))
    unreadable = submit(scope, b"\x00\x01\x02 binary")
    worn = submit(scope, supplier_list(4))
    for _ in range(5):  # claimed five times by workers that died: the next worker gives up
        with scope() as stores:
            assert stores.jobs.claim(worn.id) is not None

    for item in (good, unreadable, worn):
        enqueue_screening(shared_redis_url, item.id)
    wait_for(
        lambda: all(job(scope, j.id).status in ("done", "failed") for j in (good, unreadable, worn)),
        30,
        "the three screenings end",
        logs=(worker.log,),
    )

    done = assert_one_result(scope, good.id)
    assert done.attempts == 1 and (done.lines_done, done.lines_total) == (8, 8)
    failed = job(scope, unreadable.id)
    assert failed.status == "failed" and failed.error and "suppliers.csv" in failed.error
    given_up = job(scope, worn.id)
    assert given_up.status == "failed" and given_up.error == (
        "the screening was started 5 times and never finished; given up"
    )


@POSTGRES_ONLY
@pytest.mark.redis
def test_a_screening_over_the_soft_time_limit_fails_with_the_limit(
    shared_redis_url: str, start_worker: StartWorker, scope: services.Scope
) -> None:
    limits = {"TIERSIGHT_WORKER_SOFT_TIME_LIMIT": "1", "TIERSIGHT_WORKER_TIME_LIMIT": "30"}
    worker = start_worker(shared_redis_url, "limited", env=limits)
    slow = submit(scope, supplier_list(4_000))  # three seconds or more
    enqueue_screening(shared_redis_url, slow.id)
    wait_for(lambda: job(scope, slow.id).status == "failed", 30, "the screening fails", logs=(worker.log,))
    assert job(scope, slow.id).error == "the screening took longer than 1 seconds"


@POSTGRES_ONLY
def test_the_broker_down_is_one_clear_error_and_the_job_stays_queued(scope: services.Scope) -> None:
    queued = submit(scope, supplier_list(2))
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable) as caught:
        enqueue_screening(url, queued.id)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert queued.id in message and "s3cret" not in message and "127.0.0.1" in message
    assert "stays queued" in message
    assert job(scope, queued.id).status == "queued"


def test_redacted_hides_only_the_password() -> None:
    assert redacted("redis://:pw@host:6380/1") == "redis://:***@host:6380/1"
    assert redacted("redis://user:pw@host/0") == "redis://user:***@host/0"
    assert redacted("redis://host:6379/0") == "redis://host:6379/0"


def test_each_queue_is_bound_by_its_own_name() -> None:
    """With the default binding key, a screening published to one queue is delivered to both."""
    keys = {queue.name: queue.routing_key for queue in app.conf.task_queues}
    assert keys == {SCREEN_QUEUE: SCREEN_QUEUE, SWEEP_QUEUE: SWEEP_QUEUE}
    assert app.conf.task_default_queue == SCREEN_QUEUE and SCREEN_TASK in app.tasks


def test_delivery_settings() -> None:
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and list(conf.accept_content) == ["json"]
    assert conf.task_soft_time_limit < conf.task_time_limit
    # A screening still running must not be handed to a second worker by the broker.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_the_default_sweep_leaves_time_to_finish_within_five_minutes() -> None:
    """A lost screening is enqueued again at most `sweep_after + sweep_every` after its last write; the
    contract gives another worker five minutes to finish it, so at least two are left to run it."""
    knobs = WorkerSettings(_env_file=None)  # type: ignore[call-arg]
    assert knobs.sweep_after + knobs.sweep_every <= 180
    schedule = app.conf.beat_schedule["sweep"]
    assert schedule["task"] == "tiersight.sweep" and schedule["options"]["queue"] == SWEEP_QUEUE


def test_only_transient_errors_are_retried() -> None:
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    assert tasks.is_transient(lost) and tasks.is_transient(ConnectionResetError())
    assert not tasks.is_transient(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not tasks.is_transient(ValueError("bad"))
    delays = [tasks.retry_delay(n) for n in range(10)]
    assert 1 <= delays[0] <= 2 and all(d <= tasks.RETRY_MAX for d in delays) and delays[9] >= 30
