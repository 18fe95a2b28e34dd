"""The screening lists of api/repository on SQLite and PostgreSQL: the tenant's screenings newest first,
the review queue's heads (done and the newest of their lineage: a re-screen that has not failed holds
it) and the re-screens still running, each read as stored, another tenant's never."""

from __future__ import annotations

from api.repository import rescreens_running, review_heads, tenant_jobs
from screening import jobs
from screening.storage.db import session_scope
from screening.storage.service_repository import SqlServiceStore
from tests.api.conftest import Service, wait_done


def screened(service: Service) -> str:
    upload = service.upload(service.acme)
    assert upload.status_code == 202, upload.text
    screening_id: str = upload.json()["id"]
    assert wait_done(service.client, screening_id, service.acme)["status"] == "done"
    return screening_id


def ids(found: list[jobs.Job]) -> list[str]:
    return [job.id for job in found]


def test_the_lists_follow_the_lineage_of_re_screens(service: Service) -> None:
    first, second = screened(service), screened(service)
    with session_scope(service.engine) as session:
        store = SqlServiceStore(session)
        assert ids(tenant_jobs(store, "acme", limit=10, status=None)) == [second, first]
        assert ids(review_heads(store, "acme", limit=10)) == [second, first]
        assert rescreens_running(store, "acme", limit=10) == []
        job = store.job("acme", first)
        assert job is not None
        child, created = jobs.rescreen(store, job, submitted_by="test")  # stored, not run: queued
        assert created and child.status == "queued"
    with session_scope(service.engine) as session:
        store = SqlServiceStore(session)
        assert ids(review_heads(store, "acme", limit=10)) == [second]  # the queued re-screen holds it
        assert ids(rescreens_running(store, "acme", limit=10)) == [child.id]
        assert ids(tenant_jobs(store, "acme", limit=10, status="queued")) == [child.id]
        assert ids(tenant_jobs(store, "acme", limit=2, status=None)) == [child.id, second]
        for listing in (review_heads, rescreens_running):
            assert listing(store, "globex", limit=10) == [] and listing(store, "nobody", limit=10) == []
        store.fail(child.id, "gave up")
    with session_scope(service.engine) as session:
        store = SqlServiceStore(session)
        assert ids(review_heads(store, "acme", limit=10)) == [second, first]  # a failed one frees it
        assert rescreens_running(store, "acme", limit=10) == []
        (failed,) = tenant_jobs(store, "acme", limit=10, status="failed")
        assert (failed.id, failed.error, failed.rescreen_of) == (child.id, "gave up", first)
