"""Property-based requests generated from /openapi.json (schemathesis): whatever the input, no 500.

Bounded (MAX_EXAMPLES per operation) so that the suite stays fast. The operations' strategies are run
with Hypothesis directly: schemathesis's lazy pytest fixture loader does not run on this pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import Engine

from api.app import create_app
from tests.api.conftest import api_settings, new_tenant, sqlite_only

MAX_EXAMPLES = 15


@pytest.fixture
def app(network: Engine, db_url: str, files: dict[str, Path], tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(api_settings(db_url, files["rules"], tmp_path))
    app.state.runtime.start()
    yield app
    app.state.runtime.stop()


@sqlite_only
def test_no_request_gets_a_server_error(app: FastAPI, network: Engine) -> None:
    headers = new_tenant(network, "fuzz").headers
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()
    assert "POST /v1/screenings" in labels and "POST /v1/erp/webhook" in labels and len(labels) >= 7
