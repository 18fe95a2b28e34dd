"""`/healthz`, `/readyz` and `/metrics`: readiness follows the database and the broker, metrics count
requests by route template and screenings by status."""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, update
from sqlmodel import col

from api.app import create_app
from api.repository import screening_durations
from screening import jobs
from screening.storage.db import session_scope
from screening.storage.service_repository import SqlServiceStore
from screening.storage.tables import ScreeningRow
from tests.api.conftest import Service, ServiceFactory, TestClient, api_settings, sqlite_only, wait_done
from tests.conftest import IN_CI

REDIS_DB = 12  # a database of the local Redis of its own (the workers' tests use 13)


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def sample(metrics: str, name: str, **labels: str) -> float | None:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search("^" + pattern + "$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else None


@sqlite_only
def test_ready_and_healthy_with_metrics(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}
    ready = service.client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {"database": "ok"}}

    accepted = service.upload(service.acme).json()
    wait_done(service.client, accepted["id"], service.acme)
    assert service.client.get("/v1/screenings/nope", headers=service.acme.headers).status_code == 404
    metrics = service.client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert sample(text, "tiersight_screenings", status="done") == 1.0
    assert sample(text, "tiersight_screenings", status="queued") == 0.0
    assert (
        sample(text, "tiersight_http_requests_total", method="POST", route="/v1/screenings", status="202")
        == 1
    )
    not_found = sample(
        text,
        "tiersight_http_requests_total",
        method="GET",
        route="/v1/screenings/{screening_id}",
        status="404",
    )
    assert not_found == 1.0 and "nope" not in text  # route templates, never raw ids
    assert sample(text, "tiersight_queue_depth") is None  # embedded mode: no broker queue
    assert sample(text, "tiersight_screening_duration_seconds_count") == 1.0
    duration = sample(text, "tiersight_screening_duration_seconds_sum")
    assert duration is not None and 0 < duration < 60
    assert sample(text, "tiersight_deliveries", outcome="delivered") == 0.0  # no subscription yet


def test_readyz_is_503_while_the_database_is_unreachable(files: dict[str, Path], tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    with TestClient(create_app(api_settings(url, files["rules"], tmp_path))) as client:  # starts regardless
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["checks"]["database"].startswith("unreachable")
        refused = client.get("/v1/screenings", headers={"Authorization": "Bearer ts_0123456789abcdef"})
        assert refused.status_code == 503 and refused.json() == {
            "detail": "the database is unavailable; retry later"
        }
        assert client.get("/metrics").status_code == 200  # the scrape answers, without the database gauges


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true at 127.0.0.1:6379: {exc}")
        pytest.skip(f"no Redis at 127.0.0.1:6379: {exc}")
    client.delete("celery")
    yield client
    client.delete("celery")
    client.close()


@pytest.mark.redis
@sqlite_only
def test_with_a_broker_submissions_are_enqueued_and_readiness_pings_it(
    make_service: ServiceFactory, broker: redis.Redis
) -> None:
    service = make_service(broker_url=f"redis://127.0.0.1:6379/{REDIS_DB}")
    ready = service.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    accepted = service.upload(service.acme)
    assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
    assert broker.llen("celery") == 1  # the task message waits for a worker; nothing ran in-process
    status = service.client.get(f"/v1/screenings/{accepted.json()['id']}", headers=service.acme.headers)
    assert status.json()["status"] == "queued"
    assert sample(service.client.get("/metrics").text, "tiersight_queue_depth") == 1.0


@pytest.mark.redis
@sqlite_only
def test_readyz_is_503_while_the_broker_is_unreachable(make_service: ServiceFactory) -> None:
    service = make_service(broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    ready = service.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["broker"].startswith("unreachable")
    # A submission is still stored and accepted; the workers' sweeper enqueues it once the broker is back.
    accepted = service.upload(service.acme)
    assert accepted.status_code == 202 and service.count("screenings") == 1


def test_screening_durations_are_summed_by_the_database(network: Engine) -> None:
    """Known starts and finishes on SQLite and PostgreSQL: the count and sum /metrics reports, with
    screenings not done (or never started) left out."""
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    runs = {"a": ("done", 1.5), "b": ("done", 62.25), "c": ("failed", 7.0), "d": ("running", None)}
    with session_scope(network) as session:
        store = SqlServiceStore(session)
        for name, (status, seconds) in runs.items():
            job, _ = jobs.submit(
                store,
                "acme",
                jobs.Submission(data=b"supplier_name\nX\n", filename=f"{name}.csv", source="upload"),
            )
            started = now if seconds is not None or status == "running" else None
            finished = now + dt.timedelta(seconds=seconds) if seconds is not None else None
            session.execute(
                update(ScreeningRow)
                .where(col(ScreeningRow.id) == job.id)
                .values(status=status, started_at=started, finished_at=finished)
            )
    with session_scope(network) as session:
        count, total = screening_durations(SqlServiceStore(session))
    assert count == 2 and total == pytest.approx(63.75, abs=1e-3)
