"""`POST /v1/screenings` with a column mapping (`columns`): as a multipart field (JSON text) or a JSON body
key, refused naming the header or field when it cannot be used, stored with the screening, used when it
runs and when it is screened again.

The supplier list is tests/screening/test_services.py's with its name and country headers in German, so
that the automatic matching finds no supplier name without the mapping."""

from __future__ import annotations

import json

import httpx
import pytest

from screening import jobs
from screening.jobs import Submission
from screening.storage.db import session_scope
from screening.storage.service_repository import SqlServiceStore
from tests.api.conftest import AS_OF, Service, sqlite_only, wait_done
from tests.screening.test_services import SUPPLIERS

GERMAN = SUPPLIERS.replace("Vendor Name,Country,", "Lieferant,Land,", 1).encode()
MAPPING = {"Lieferant": "supplier_name", "Land": "supplier_country"}


def upload(service: Service, columns: object = None, **extra: str) -> httpx.Response:
    form = {"as_of": AS_OF.isoformat(), **extra}
    if columns is not None:
        form["columns"] = columns if isinstance(columns, str) else json.dumps(columns)
    response: httpx.Response = service.client.post(
        "/v1/screenings",
        files={"file": ("lieferanten.csv", GERMAN, "text/csv")},
        data=form,
        headers=service.acme.headers,
    )
    return response


def test_a_mapped_upload_is_screened_as_the_original_list(service: Service) -> None:
    response = upload(service, MAPPING)
    assert response.status_code == 202, response.text
    status = wait_done(service.client, response.json()["id"], service.acme)
    assert status["status"] == "done", status
    assert status["progress"] == {"lines_done": 2, "lines_total": 2}
    assert status["columns"] == MAPPING
    report = service.client.get(f"/v1/screenings/{status['id']}/report", headers=service.acme.headers).json()
    assert report["summary"]["flagged_lines"] == 1
    assert report["lines"][0]["input"]["supplier_name"] == "Hanoi Pack Assembly"
    assert [e["line"] for e in report["errors"]] == [4, 5]

    plain = service.upload(service.acme)  # without a mapping the status says so
    assert wait_done(service.client, plain.json()["id"], service.acme)["columns"] is None


@sqlite_only
def test_a_json_body_takes_columns_too(service: Service) -> None:
    body = {
        "suppliers": [
            {"Lieferant": "Hanoi Pack Assembly JSC", "Land": "VN", "hs_code": "850760"},
            {"Lieferant": "", "Land": "CN"},
        ],
        "as_of": AS_OF.isoformat(),
        "columns": {**MAPPING, "hs_code": "hs_code"},
    }
    response = service.client.post("/v1/screenings", json=body, headers=service.acme.headers)
    assert response.status_code == 202, response.text
    status = wait_done(service.client, response.json()["id"], service.acme)
    assert status["status"] == "done" and status["progress"]["lines_total"] == 1
    assert status["columns"] == {**MAPPING, "hs_code": "hs_code"}
    report = service.client.get(f"/v1/screenings/{status['id']}/report", headers=service.acme.headers).json()
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(2, "supplier_name")]


@sqlite_only
@pytest.mark.parametrize(
    ("columns", "named"),
    [
        (None, "no supplier_name column"),
        ({"Lieferant": "vendor"}, "'vendor'"),
        ({"Lieferantin": "supplier_name"}, "no column 'Lieferantin'"),
        ({"Lieferant": "supplier_name", "Land": "supplier_name"}, "both 'Lieferant' and 'Land'"),
        ("[1, 2]", "columns must be an object"),
        ("{not json", "columns must be a JSON object"),
        ({"Lieferant": 7}, "field names (text)"),
    ],
)
def test_a_mapping_that_cannot_be_used_is_refused_naming_the_header_or_field(
    service: Service, columns: object, named: str
) -> None:
    response = upload(service, columns)
    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]
    as_json = service.client.post(
        "/v1/screenings",
        json={"suppliers": [{"Lieferant": "A", "Land": "CN"}], "columns": {"Lieferant": "nope"}},
        headers=service.acme.headers,
    )
    assert as_json.status_code == 422 and "'nope'" in as_json.json()["detail"]
    assert service.count("screenings") == 0 and service.count("audit_log") == 0


@sqlite_only
def test_the_openapi_documents_columns_in_both_bodies(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    content = spec["paths"]["/v1/screenings"]["post"]["requestBody"]["content"]
    form = content["multipart/form-data"]["schema"]["properties"]["columns"]
    body = content["application/json"]["schema"]["properties"]["columns"]
    assert "supplier_name" in form["description"] and "'ignore'" in form["description"]
    assert {"type": "object", "additionalProperties": {"type": "string"}} in body["anyOf"]


def test_the_mapping_is_stored_with_the_screening_and_kept_by_a_re_screen(service: Service) -> None:
    """The storage round trip (SQLite and PostgreSQL): stored, read back, carried to a re-screen."""
    with session_scope(service.engine) as session:
        store = SqlServiceStore(session)
        job, created = jobs.submit(
            store,
            "acme",
            Submission(
                data=GERMAN, filename="l.csv", source="upload", columns={"Lieferant": "supplier_name"}
            ),
        )
        assert created and job.columns == {"Lieferant": "supplier_name"}
        plain, _ = jobs.submit(store, "acme", Submission(data=GERMAN, filename="p.csv", source="upload"))
    with session_scope(service.engine) as session:
        store = SqlServiceStore(session)
        stored = store.job("acme", job.id)
        assert stored is not None and stored.columns == {"Lieferant": "supplier_name"}
        again = store.job("acme", plain.id)
        assert again is not None and again.columns is None
        rescreen, created = jobs.rescreen(store, stored, submitted_by="system")
        assert created and rescreen.columns == {"Lieferant": "supplier_name"}
    with session_scope(service.engine) as session:
        found = SqlServiceStore(session).job("acme", rescreen.id)
        assert found is not None and found.columns == {"Lieferant": "supplier_name"}
        assert found.as_dict()["columns"] == {"Lieferant": "supplier_name"}


@sqlite_only
def test_the_review_of_a_mapped_screening_reads_its_input_with_the_mapping(service: Service) -> None:
    """The review reads each line's supplier from the stored input to find the decisions that apply to
    it: with the stored mapping, or the German headers leave no supplier name to look up."""
    response = upload(service, MAPPING)
    assert response.status_code == 202, response.text
    screening_id = response.json()["id"]
    assert wait_done(service.client, screening_id, service.acme)["status"] == "done"
    review = service.client.get(f"/v1/screenings/{screening_id}/review", headers=service.acme.headers)
    assert review.status_code == 200, review.text
    (line,) = [line for line in review.json()["lines"] if line["line"] == 3]
    assert line["status"] == "unmatched" and line["decided"] is False and line["decisions"] == []
