"""Screening jobs on SQLite and PostgreSQL: submit once, run once, events once, tenants apart.

The network and rules are test_services.py's: the supplier list's line 2 (Hanoi Pack Assembly, packs)
is flagged by `cn-lithium` (Chinese lithium hydroxide at tier 3) and `steel-232` (fasteners, tier 2).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from screening import jobs, services
from screening.errors import InputError, NotFoundError
from screening.jobs import Submission
from screening.rules import load_rules
from screening.storage.service_repository import SqlServiceStore, scope_factory
from tests.screening.test_services import AS_OF, files, load  # noqa: F401  (fixture)


def submission(path: Path, **options: object) -> Submission:
    values: dict[str, object] = {"source": "upload", "as_of": AS_OF, "submitted_by": "ts_test", **options}
    return Submission(data=path.read_bytes(), filename=path.name, **values)  # type: ignore[arg-type]


def sql(stores: services.Stores) -> SqlServiceStore:
    assert isinstance(stores.jobs, SqlServiceStore)
    return stores.jobs


@pytest.fixture
def loaded(engine: Engine, files: dict[str, Path]) -> dict[str, Path]:  # noqa: F811
    load(engine, shipments=files["shipments"], companies=files["companies"])
    return files


def test_a_job_runs_once_and_emits_its_events_once(engine: Engine, loaded: dict[str, Path]) -> None:
    scope = scope_factory(engine)
    rules = load_rules(loaded["rules"])
    with scope() as stores:
        job, created = jobs.submit(stores.jobs, "acme", submission(loaded["suppliers"]))
    assert created and job.status == "queued" and job.attempts == 0

    done = services.run_job(scope, job.id, rules)
    assert done is not None and done.status == "done" and done.attempts == 1
    assert (done.lines_done, done.lines_total) == (2, 2)  # four rows: two usable, two row errors
    with scope() as stores:
        report = json.loads(jobs.report_json(stores.jobs, "acme", job.id))
        events = sql(stores).events("acme", job.id)
    assert report["summary"]["flagged_lines"] == 1
    flagged = {(e["type"], e["payload"]["flag"]["rule_id"]) for e in events if e["type"] == "flag.raised"}
    assert events[0]["type"] == "screening.completed"
    assert flagged == {("flag.raised", f["rule_id"]) for f in report["lines"][0]["flags"]} and flagged

    # A redelivered task finds the job done: same result, no second set of events.
    again = services.run_job(scope, job.id, rules)
    assert again is not None and again.attempts == 1 and again.finished_at == done.finished_at
    with scope() as stores:
        assert len(sql(stores).events("acme", job.id)) == len(events)


def test_idempotency_key_and_tenants_apart(engine: Engine, loaded: dict[str, Path]) -> None:
    scope = scope_factory(engine)
    with scope() as stores:
        first, created = jobs.submit(
            stores.jobs, "acme", submission(loaded["suppliers"], idempotency_key="k-1")
        )
    with scope() as stores:
        second, again = jobs.submit(
            stores.jobs, "acme", submission(loaded["suppliers"], idempotency_key="k-1")
        )
        other, other_created = jobs.submit(
            stores.jobs, "globex", submission(loaded["suppliers"], idempotency_key="k-1")
        )
    assert created and not again and second.id == first.id
    assert other_created and other.id != first.id  # keys are per tenant
    with scope() as stores:
        assert jobs.status(stores.jobs, "acme", first.id).id == first.id
        with pytest.raises(NotFoundError, match=f"screening {first.id} not found"):
            jobs.status(stores.jobs, "globex", first.id)
        with pytest.raises(NotFoundError, match="has no report yet"):
            jobs.report_json(stores.jobs, "acme", first.id)


def test_concurrent_submissions_with_one_key_make_one_job(engine: Engine, loaded: dict[str, Path]) -> None:
    scope = scope_factory(engine)
    ids: list[str] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        barrier.wait()
        with scope() as stores:
            job, _ = jobs.submit(stores.jobs, "acme", submission(loaded["suppliers"], idempotency_key="same"))
            ids.append(job.id)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 4 and len(set(ids)) == 1


def test_an_unreadable_file_fails_the_job_with_the_reason(engine: Engine, loaded: dict[str, Path]) -> None:
    scope = scope_factory(engine)
    with scope() as stores:
        job, _ = jobs.submit(
            stores.jobs, "acme", Submission(data=b"\x00\x01\x02binary", filename="x.csv", source="upload")
        )
    failed = services.run_job(scope, job.id, load_rules(loaded["rules"]))
    assert failed is not None and failed.status == "failed" and failed.error and "x.csv" in failed.error
    # A failed job stays failed.
    assert services.run_job(scope, job.id, load_rules(loaded["rules"])).status == "failed"  # type: ignore[union-attr]


def test_a_job_left_running_by_a_dead_worker_is_claimed_again(
    engine: Engine, loaded: dict[str, Path]
) -> None:
    scope = scope_factory(engine)
    with scope() as stores:
        job, _ = jobs.submit(stores.jobs, "acme", submission(loaded["suppliers"]))
    with scope() as stores:
        assert stores.jobs.claim(job.id) is not None  # the first worker claims it, then dies
    with scope() as stores:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
        assert stores.jobs.stale_jobs(later) == [job.id]
        assert stores.jobs.stale_jobs(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)) == []
    cutoff = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    with scope() as stores:  # the sweeper sends it again once per cutoff, however many sweep at once
        assert stores.jobs.mark_requeued(job.id, cutoff) is True
    with scope() as stores:
        assert stores.jobs.mark_requeued(job.id, cutoff - dt.timedelta(seconds=2)) is False
    done = services.run_job(scope, job.id, load_rules(loaded["rules"]))
    assert done is not None and done.status == "done" and done.attempts == 2


def test_a_rules_change_rescreens_current_screenings_and_sends_only_the_differences(
    engine: Engine, loaded: dict[str, Path]
) -> None:
    """The `steel-232` rule is removed: the done screening is queued again once, and its re-screen
    emits one flag.cleared and nothing raised; with the rules unchanged nothing is queued."""
    scope = scope_factory(engine)
    rules = load_rules(loaded["rules"])
    with scope() as stores:
        first, _ = jobs.submit(stores.jobs, "acme", submission(loaded["suppliers"]))
    services.run_job(scope, first.id, rules)
    with scope() as stores:
        assert services.rescreen_outdated(stores, rules) == []
    text = (loaded["rules"] / "test.yaml").read_text(encoding="utf-8")
    head, _, rest = text.partition("  - id: steel-232")
    tail = rest[rest.index("  - id:") :] if "  - id:" in rest else ""
    (loaded["rules"] / "test.yaml").write_text(head + tail, encoding="utf-8")
    newer = load_rules(loaded["rules"])
    with scope() as stores:
        (second,) = services.rescreen_outdated(stores, newer)
    with scope() as stores:
        assert services.rescreen_outdated(stores, newer) == []  # queued once, not twice
    assert (second.source, second.rescreen_of, second.as_of) == ("rescreen", first.id, AS_OF)
    services.run_job(scope, second.id, newer)
    with scope() as stores:
        events = sql(stores).events("acme", second.id)
        assert services.rescreen_outdated(stores, newer) == []  # the re-screen is current now
    changes = [
        (e["type"], e["payload"]["flag"]["rule_id"]) for e in events if e["type"] != "screening.completed"
    ]
    assert changes == [("flag.cleared", "steel-232")]


def test_a_failed_rescreen_holds_nothing_the_next_one_takes_a_key_of_its_own(
    engine: Engine, loaded: dict[str, Path]
) -> None:
    """After a re-screen failed, the screening is current again (a version change re-screens it), and
    its next re-screen is created once, under `rescreen:<id>:retry1`, however often it is asked for."""
    scope = scope_factory(engine)
    rules = load_rules(loaded["rules"])
    with scope() as stores:
        first, _ = jobs.submit(stores.jobs, "acme", submission(loaded["suppliers"]))
    services.run_job(scope, first.id, rules)
    with scope() as stores:
        done = stores.jobs.job("acme", first.id)
        assert done is not None
        second, created = jobs.rescreen(stores.jobs, done, submitted_by="test")
        assert created and jobs.rescreen(stores.jobs, done, submitted_by="test") == (second, False)
        assert [job.id for job in stores.jobs.current_screenings()] == []  # replaced while queued
    with scope() as stores:
        stores.jobs.fail(second.id, "the worker ran out of memory")
    with scope() as stores:
        assert stores.jobs.failed_rescreens(first.id) == 1
        assert [job.id for job in stores.jobs.current_screenings()] == [first.id]
        third, created = jobs.rescreen(stores.jobs, done, submitted_by="test")
        assert created and third.id != second.id and third.rescreen_of == first.id
        assert jobs.rescreen(stores.jobs, done, submitted_by="test") == (third, False)
        assert jobs.rescreen_key(first.id, 1) == f"rescreen:{first.id}:retry1"
    services.run_job(scope, third.id, rules)
    with scope() as stores:
        assert [job.id for job in stores.jobs.current_screenings()] == [third.id]


def test_api_keys_are_stored_as_digests_and_compared_in_constant_time(engine: Engine) -> None:
    key = jobs.new_api_key("acme")
    assert key.api_key.startswith("ts_") and len(key.api_key) > 40 and key.prefix == key.api_key[:12]
    scope = scope_factory(engine)
    with scope() as stores:
        store = sql(stores)
        store.add_api_key(key, label="ci")
    with scope() as stores:
        store = sql(stores)
        found = store.api_key(key.prefix)
    assert found is not None and found[0] == "acme" and found[1] != key.api_key
    assert jobs.key_matches(key.api_key, found[1]) and not jobs.key_matches(key.api_key + "x", found[1])
    assert jobs.new_webhook_secret().startswith("whsec_")


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"rows": []}, '"suppliers" array'), ({"suppliers": {}}, "must be an array"), ([], '"suppliers" array')],
)
def test_json_bodies_need_a_suppliers_array(payload: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        jobs.json_submission(payload)


def test_bad_options_are_refused(engine: Engine) -> None:
    scope = scope_factory(engine)
    with scope() as stores, pytest.raises(InputError, match="max_tier 0 is out of range"):
        jobs.submit(stores.jobs, "acme", Submission(data=b"a", filename="a.csv", source="upload", max_tier=0))


def test_a_submission_rolled_back_leaves_no_job(engine: Engine, loaded: dict[str, Path]) -> None:
    """The scope that stored the job fails before it commits: nothing is kept (also on SQLite, whose
    driver would otherwise commit at the savepoint `add_job` opens)."""
    scope = scope_factory(engine)
    with pytest.raises(RuntimeError, match="after the insert"), scope() as stores:
        job, _ = jobs.submit(stores.jobs, "acme", submission(loaded["suppliers"], idempotency_key="gone"))
        raise RuntimeError("after the insert")
    with scope() as stores:
        assert stores.jobs.job(None, job.id) is None
        again, created = jobs.submit(
            stores.jobs, "acme", submission(loaded["suppliers"], idempotency_key="gone")
        )
    assert created and again.id != job.id
