"""`/v1/screenings` over a real database: submit, run in the embedded pool, status, reports, tenants apart.

The network and rules are tests/screening/test_services.py's: of the supplier list's four rows two are
usable, and line 2 (Hanoi Pack Assembly, packs) is flagged by `cn-lithium` (tier 3) and `steel-232`.
"""

from __future__ import annotations

import csv
import io
import time

from screening import jobs
from screening.jobs import Submission
from screening.storage.db import session_scope
from screening.storage.service_repository import SqlServiceStore
from tests.api.conftest import AS_OF, Service, ServiceFactory, sqlite_only, wait_done


def test_a_submitted_list_is_screened_and_its_reports_downloaded(service: Service) -> None:
    started = time.perf_counter()
    response = service.upload(service.acme)
    submit_seconds = time.perf_counter() - started
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert set(accepted) == {"id", "status"} and accepted["status"] in ("queued", "running", "done")
    assert response.headers["Location"] == f"/v1/screenings/{accepted['id']}"
    assert submit_seconds < 2.0

    status = wait_done(service.client, accepted["id"], service.acme)
    assert status["status"] == "done" and status["error"] is None
    assert status["progress"] == {"lines_done": 2, "lines_total": 2}
    assert (status["source"], status["filename"], status["as_of"]) == (
        "upload",
        "suppliers.csv",
        "2026-06-30",
    )

    report = service.client.get(f"/v1/screenings/{accepted['id']}/report", headers=service.acme.headers)
    assert report.status_code == 200 and report.headers["content-type"] == "application/json"
    document = report.json()
    assert document["as_of"] == AS_OF.isoformat() and document["summary"]["flagged_lines"] == 1
    assert {f["rule_id"] for f in document["lines"][0]["flags"]} == {"cn-lithium", "steel-232"}
    assert [e["line"] for e in document["errors"]] == [4, 5]

    as_csv = service.client.get(
        f"/v1/screenings/{accepted['id']}/report", params={"format": "csv"}, headers=service.acme.headers
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert {r["rule_id"] for r in rows if r["line"] == "2"} == {"cn-lithium", "steel-232"}

    as_html = service.client.get(
        f"/v1/screenings/{accepted['id']}/report?format=html", headers=service.acme.headers
    )
    assert as_html.status_code == 200 and "cn-lithium" in as_html.text
    as_xlsx = service.client.get(
        f"/v1/screenings/{accepted['id']}/report?format=xlsx", headers=service.acme.headers
    )
    assert as_xlsx.status_code == 200 and as_xlsx.content.startswith(b"PK")

    with session_scope(service.engine) as session:
        audit = SqlServiceStore(session).audit_log("acme")
    assert [(a["action"], a["subject"], a["actor"]) for a in audit] == [
        ("submitted", accepted["id"], service.acme.api_key[: jobs.PREFIX_LENGTH])
    ]


def test_a_json_body_with_options_is_screened(service: Service) -> None:
    body = {
        "suppliers": [
            {"supplier_name": "Hanoi Pack Assembly JSC", "supplier_country": "VN", "hs_code": "850760"},
            {"supplier_name": "", "supplier_country": "CN"},
        ],
        "as_of": "2026-06-30",
        "max_tier": 2,
    }
    response = service.client.post("/v1/screenings", json=body, headers=service.acme.headers)
    assert response.status_code == 202, response.text
    status = wait_done(service.client, response.json()["id"], service.acme)
    assert (status["source"], status["max_tier"], status["as_of"]) == ("json", 2, "2026-06-30")
    report = service.client.get(f"/v1/screenings/{status['id']}/report", headers=service.acme.headers).json()
    assert report["max_tier"] == 2
    (line,) = report["lines"]
    # tier 3 (the lithium) is beyond max_tier 2; the fasteners at tier 2 are not
    assert {f["rule_id"] for f in line["flags"]} == {"steel-232"}
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(2, "supplier_name")]


def test_tenants_never_see_each_others_screenings(service: Service) -> None:
    accepted = service.upload(service.acme).json()
    wait_done(service.client, accepted["id"], service.acme)
    for path in (f"/v1/screenings/{accepted['id']}", f"/v1/screenings/{accepted['id']}/report"):
        other = service.client.get(path, headers=service.globex.headers)
        assert other.status_code == 404 and other.json() == {
            "detail": f"screening {accepted['id']} not found"
        }
    assert service.client.get("/v1/screenings", headers=service.globex.headers).json() == {"screenings": []}
    mine = service.client.get("/v1/screenings", headers=service.acme.headers).json()["screenings"]
    assert [s["id"] for s in mine] == [accepted["id"]]


def test_the_same_idempotency_key_gives_the_same_screening(service: Service) -> None:
    first = service.upload(service.acme, headers={"Idempotency-Key": "po-2026-118"})
    again = service.upload(service.acme, headers={"Idempotency-Key": "po-2026-118"})
    other_tenant = service.upload(service.globex, headers={"Idempotency-Key": "po-2026-118"})
    assert first.status_code == again.status_code == other_tenant.status_code == 202
    assert again.json()["id"] == first.json()["id"] and other_tenant.json()["id"] != first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert service.count("screenings") == 2  # acme's one and globex's one
    other_key = service.upload(service.acme, headers={"Idempotency-Key": "po-2026-119"})
    assert other_key.json()["id"] != first.json()["id"] and service.count("screenings") == 3


@sqlite_only
def test_the_list_is_newest_first_and_filters_by_status(service: Service) -> None:
    ids = [service.upload(service.acme).json()["id"] for _ in range(3)]
    for screening_id in ids:
        wait_done(service.client, screening_id, service.acme)
    listed = service.client.get("/v1/screenings", headers=service.acme.headers).json()["screenings"]
    assert [s["id"] for s in listed] == ids[::-1]
    assert all(s["progress"] == {"lines_done": 2, "lines_total": 2} for s in listed)
    two = service.client.get("/v1/screenings?limit=2&status=done", headers=service.acme.headers).json()
    assert [s["id"] for s in two["screenings"]] == ids[:0:-1]
    queued = service.client.get("/v1/screenings?status=queued", headers=service.acme.headers).json()
    assert queued == {"screenings": []}


@sqlite_only
def test_a_key_is_required_and_must_be_valid(service: Service) -> None:
    accepted = service.upload(service.acme).json()
    key = service.acme.api_key
    for headers in (
        {},
        {"Authorization": f"Basic {key}"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {key}x"},
        {"Authorization": f"Bearer {key[: jobs.PREFIX_LENGTH]}"},
        {"Authorization": "Bearer ts_unknown_key_of_some_length"},
    ):
        for method, path in (("GET", f"/v1/screenings/{accepted['id']}"), ("GET", "/v1/screenings")):
            response = service.client.request(method, path, headers=headers)
            assert response.status_code == 401, (headers, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert isinstance(response.json()["detail"], str)
        refused = service.upload(
            service.acme, headers=headers | {"Authorization": headers.get("Authorization", "")}
        )
        assert refused.status_code == 401
    assert service.count("screenings") == 1


@sqlite_only
def test_a_report_is_refused_with_409_until_the_screening_is_done(service: Service) -> None:
    # A job stored but not handed to the runner stays queued.
    with session_scope(service.engine) as session:
        job, _ = jobs.submit(
            SqlServiceStore(session),
            "acme",
            Submission(data=service.files["suppliers"].read_bytes(), filename="s.csv", source="upload"),
        )
    response = service.client.get(f"/v1/screenings/{job.id}/report", headers=service.acme.headers)
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"screening {job.id} is queued; its report is ready when the status is done"
    }
    unknown = service.client.get("/v1/screenings/0123/report", headers=service.acme.headers)
    assert unknown.status_code == 404


@sqlite_only
def test_bad_submissions_get_a_plain_reason_and_store_nothing(service: Service) -> None:
    headers = service.acme.headers
    cases = [
        ({"files": {"file": ("list.pdf", b"%PDF-1.7 ...", "application/pdf")}}, 422, "is a PDF document"),
        ({"files": {"file": ("empty.csv", b"", "text/csv")}}, 422, "empty.csv is empty"),
        ({"files": {"other": ("a.csv", b"supplier_name\nA\n", "text/csv")}}, 400, "'file' part"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, "not valid JSON"),
        ({"json": {"rows": []}}, 422, '"suppliers" array'),
        ({"json": {"suppliers": [{"name": "A"}], "max_tier": 0}}, 422, "max_tier 0 is out of range"),
        ({"json": {"suppliers": [{"name": "A"}], "max_tier": "deep"}}, 422, "max_tier 'deep'"),
        (
            {"json": {"suppliers": [{"name": "A"}], "as_of": "2999-01-01"}},
            422,
            "as_of 2999-01-01 is in the future",
        ),
        ({"json": {"suppliers": [{"name": "A"}], "as_of": "30/06/2026"}}, 422, "is not a date"),
        ({"json": {"suppliers": [{"vendor": "A"}]}}, 201, ""),  # a synonym: accepted (checked below)
        ({"content": b"name\nA\n", "headers": {"Content-Type": "text/csv"}}, 415, "multipart/form-data"),
    ]
    for kwargs, status, message in cases:
        request_headers = {**headers, **kwargs.pop("headers", {})}
        response = service.client.post("/v1/screenings", headers=request_headers, **kwargs)
        if status == 201:
            assert response.status_code == 202, response.text
            continue
        assert response.status_code == status, (kwargs, response.text)
        assert message in response.json()["detail"], response.text
    conflict = service.client.post(
        "/v1/screenings?max_tier=3", json={"suppliers": [{"name": "A"}], "max_tier": 2}, headers=headers
    )
    assert conflict.status_code == 422 and "max_tier is given twice" in conflict.json()["detail"]
    query = service.client.post("/v1/screenings?max_tier=99", json={"suppliers": []}, headers=headers)
    assert query.status_code == 422 and query.json()["detail"].startswith("query max_tier:")
    assert service.count("screenings") == 1  # the one accepted above


@sqlite_only
def test_an_upload_over_the_limit_gets_413_and_stores_nothing(make_service: ServiceFactory) -> None:
    service = make_service(max_upload_bytes=2_000)
    big = b"supplier_name,supplier_country\n" + b"Hanoi Pack Assembly JSC,VN\n" * 100
    response = service.client.post(
        "/v1/screenings", files={"file": ("big.csv", big, "text/csv")}, headers=service.acme.headers
    )
    assert response.status_code == 413
    streamed = service.client.post(  # no Content-Length: refused while reading
        "/v1/screenings",
        content=(big[i : i + 500] for i in range(0, len(big), 500)),
        headers={**service.acme.headers, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    small = service.upload(service.acme)
    assert small.status_code == 202 and service.count("screenings") == 1
    metrics = service.client.get("/metrics").text
    assert 'tiersight_http_requests_total{method="POST",route="/v1/screenings",status="413"} 2.0' in metrics


@sqlite_only
def test_submissions_over_the_rate_get_429_with_retry_after(make_service: ServiceFactory) -> None:
    service = make_service(rate_limit_per_minute=6, rate_limit_burst=2)
    codes = [service.upload(service.acme).status_code for _ in range(2)]
    refused = service.upload(service.acme)
    assert codes == [202, 202] and refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 10  # one token back within 10 s at 6 a minute
    assert "too many submissions" in refused.json()["detail"]
    assert service.upload(service.globex).status_code == 202  # another key has its own bucket
    # reading is not limited
    assert service.client.get("/v1/screenings", headers=service.acme.headers).status_code == 200
    assert service.count("screenings") == 3


@sqlite_only
def test_jobs_left_queued_by_a_previous_process_run_at_start(
    make_service: ServiceFactory, service: Service
) -> None:
    with session_scope(service.engine) as session:
        job, _ = jobs.submit(
            SqlServiceStore(session),
            "acme",
            Submission(
                data=service.files["suppliers"].read_bytes(), filename="s.csv", source="upload", as_of=AS_OF
            ),
        )
    assert service.client.get(f"/v1/screenings/{job.id}", headers=service.acme.headers).json()["status"] == (
        "queued"
    )
    restarted = make_service()  # a second process over the same database
    assert wait_done(restarted.client, job.id, restarted.acme)["status"] == "done"


def test_keys_kept_for_webhooks_and_rescreens_are_refused(service: Service) -> None:
    for key, reason in (("erp:abc", "ERP webhooks"), ("rescreen:abc", "re-screens")):
        response = service.upload(service.acme, headers={"Idempotency-Key": key})
        assert response.status_code == 422 and reason in response.json()["detail"], response.text
    assert service.count("screenings") == 0
