"""The stored JSON report read back into `Report`: the CSV, HTML and XLSX downloads are views of it."""

from __future__ import annotations

import pytest

from api.reports import report_from_json
from screening.errors import InternalError
from screening.report import render_json
from tests.api.conftest import Service, sqlite_only, wait_done


@sqlite_only
def test_a_stored_report_reads_back_to_the_same_report(service: Service) -> None:
    accepted = service.upload(service.acme).json()
    wait_done(service.client, accepted["id"], service.acme)
    stored = service.client.get(f"/v1/screenings/{accepted['id']}/report", headers=service.acme.headers).text
    report = report_from_json(stored)
    assert render_json(report).decode("utf-8") == stored  # nothing lost or changed on the way back
    (flagged,) = [line for line in report.lines if line.flags]
    assert {flag.rule_id for flag in flagged.flags} == {"cn-lithium", "steel-232"}
    assert all(isinstance(flag.value_by_tier, tuple) for flag in flagged.flags)


def test_a_damaged_stored_report_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match="cannot be read back"):
        report_from_json('{"as_of": "2026-06-30"}')
    with pytest.raises(InternalError, match="cannot be read back"):
        report_from_json("not json")
