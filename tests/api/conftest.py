"""The service over a real database: the hand-built network and rules of tests/screening/test_services.py
loaded into SQLite (or PostgreSQL through `db_url`), API keys made as `tiersight apikey create` makes
them, and a `TestClient` that runs the app's start-up (migration, resumed jobs) and shutdown."""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from starlette.exceptions import StarletteDeprecationWarning

from api.app import create_app
from api.settings import ApiSettings
from screening import jobs
from screening.storage.db import make_engine, migrate, session_scope
from screening.storage.service_repository import SqlServiceStore
from tests.screening.test_services import AS_OF, files, load  # noqa: F401  (fixture)

with warnings.catch_warnings():
    # Starlette's test client prefers the httpx2 package and warns when it runs on httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["AS_OF", "TestClient"]


@dataclass(frozen=True)
class Tenant:
    name: str
    api_key: str
    webhook_secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def new_tenant(engine: Engine, name: str) -> Tenant:
    key = jobs.new_api_key(name)
    with session_scope(engine) as session:
        store = SqlServiceStore(session)
        store.add_api_key(key)
        secret = store.webhook_secret(name, create=jobs.new_webhook_secret())
    assert secret is not None
    return Tenant(name, key.api_key, secret)


def api_settings(database_url: str, rules: Path, tmp_path: Path, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "rules_dir": rules,
        "index_dir": tmp_path / "index",
        "broker_url": None,
        "rate_limit_burst": 1_000,  # the rate limit has its own test
        **overrides,
    }
    return ApiSettings(**values)


def wait_done(client: TestClient, screening_id: str, tenant: Tenant, timeout: float = 30.0) -> dict[str, Any]:
    """Poll the status until the screening is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/screenings/{screening_id}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, f"screening {screening_id} still {body['status']}"
        time.sleep(0.02)


@dataclass
class Service:
    client: TestClient
    engine: Engine
    settings: ApiSettings
    files: dict[str, Path]
    acme: Tenant
    globex: Tenant

    def upload(self, tenant: Tenant, **kwargs: Any) -> Any:
        data = self.files["suppliers"].read_bytes()
        form = {"as_of": AS_OF.isoformat(), **kwargs.pop("data", {})}
        headers = {**tenant.headers, **kwargs.pop("headers", {})}
        return self.client.post(
            "/v1/screenings",
            files={"file": ("suppliers.csv", data, "text/csv")},
            data=form,
            headers=headers,
            **kwargs,
        )

    def count(self, table: str) -> int:
        """Rows in one of the service's tables (`screenings`, `erp_receipts`, `tenants`, ...)."""
        with self.engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


ServiceFactory = Callable[..., Service]

# For tests where the database makes no difference: SQLite only (the storage tests run on both).
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def network(db_url: str, files: dict[str, Path]) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(db_url)
    migrate(engine)
    load(engine, shipments=files["shipments"], companies=files["companies"])
    yield engine
    engine.dispose()


@pytest.fixture
def make_service(
    network: Engine,
    db_url: str,
    files: dict[str, Path],  # noqa: F811
    tmp_path: Path,
) -> Iterator[ServiceFactory]:
    """Start the app over the loaded network with settings overridden as asked; stopped at the end."""
    acme, globex = new_tenant(network, "acme"), new_tenant(network, "globex")
    clients: list[TestClient] = []

    def start(**overrides: Any) -> Service:
        settings = api_settings(db_url, files["rules"], tmp_path, **overrides)
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return Service(client, network, settings, files, acme, globex)

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def service(make_service: ServiceFactory) -> Service:
    return make_service()


def ui_login(service: Service, page: str = "/ui/screenings") -> str:
    """Log the service's client into the web UI with acme's key; the CSRF token of its session, as
    `page` carries it in its forms."""
    client = service.client
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ui/login").text)
    assert form is not None
    answer = client.post(
        "/ui/login",
        data={"api_key": service.acme.api_key, "csrf_token": form.group(1), "next": page},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert token is not None
    return token.group(1)
