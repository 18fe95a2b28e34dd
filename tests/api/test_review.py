"""Match review over a real database: the lines a reviewer sees, decisions posted on them, and the
re-screen that applies them (embedded runner, SQLite and PostgreSQL).

The network is tests/screening/test_services.py's plus test_services_decisions.py's two magnet makers
whose names differ only by a place, so that "Orbit Magnetics" (line 2) is ambiguous between C-ORBIT and
C-ORBIT-NB; only C-ORBIT-NB receives a shipment (S8, Chinese magnets, hs 850511). A rule written here
flags Chinese magnets, so that confirming C-ORBIT-NB raises one flag on line 2. Line 3 (Hanoi Pack
Assembly) is matched by the matcher and flagged as in test_screenings.py; line 4 is in no company.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from screening import jobs, services
from screening.decisions import Decision
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from screening.storage.service_repository import SqlServiceStore
from tests.api.conftest import AS_OF, Service, ServiceFactory, Tenant, sqlite_only, wait_done
from tests.screening.test_services import load
from tests.screening.test_services_decisions import MAGNET_COMPANIES, MAGNET_SHIPMENTS

ORBIT, PACK, UNKNOWN = 2, 3, 4  # line numbers (the header is line 1)

SUPPLIERS = """\
supplier_name,supplier_country,hs_code,annual_value_usd
Orbit Magnetics,CN,850511,1000
Hanoi Pack Assembly JSC,VN,850760,2000
Totally Unknown Widgets GmbH,DE,850760,500
"""

MAGNET_RULE = """\
    rules:
      - id: cn-magnets
        title: Chinese magnets
        kind: export_control
        authority: Test authority
        document: Test document 4
        source: https://example.org/4
        effective_from: 2025-01-01
        effective_to: null
        severity: high
        when: {origin: [CN], hs: ["850511"]}
        note: test rule
"""


@pytest.fixture
def files(files: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    (files["rules"] / "magnets.yaml").write_text(textwrap.dedent(MAGNET_RULE), encoding="utf-8")
    for name, text in (("magnets", MAGNET_COMPANIES), ("s8", MAGNET_SHIPMENTS), ("review", SUPPLIERS)):
        files[name] = tmp_path / f"{name}.csv"
        files[name].write_text(text, encoding="utf-8")
    return files


@pytest.fixture
def network(network: Engine, files: dict[str, Path]) -> Engine:
    load(network, shipments=files["s8"], companies=files["magnets"])
    return network


# -- helpers ----------------------------------------------------------------------------------------


def screened(service: Service, tenant: Tenant) -> str:
    """Submit the review list and wait for it; the screening's id."""
    response = service.client.post(
        "/v1/screenings",
        files={"file": ("review.csv", service.files["review"].read_bytes(), "text/csv")},
        data={"as_of": AS_OF.isoformat()},
        headers=tenant.headers,
    )
    assert response.status_code == 202, response.text
    screening_id: str = response.json()["id"]
    assert wait_done(service.client, screening_id, tenant)["status"] == "done"
    return screening_id


def decide(service: Service, tenant: Tenant, screening_id: str, line: int, **body: Any) -> httpx.Response:
    response: httpx.Response = service.client.post(
        f"/v1/screenings/{screening_id}/lines/{line}/decision", json=body, headers=tenant.headers
    )
    return response


def rescreened(service: Service, tenant: Tenant, response: httpx.Response) -> str:
    """The re-screen a 202 answered with, once it is done."""
    assert response.status_code == 202, response.text
    new_id: str = response.json()["id"]
    assert response.headers["Location"] == f"/v1/screenings/{new_id}"
    assert wait_done(service.client, new_id, tenant)["status"] == "done"
    return new_id


def report_lines(service: Service, tenant: Tenant, screening_id: str) -> dict[int, dict[str, Any]]:
    response = service.client.get(f"/v1/screenings/{screening_id}/report", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return {line["line"]: line for line in response.json()["lines"]}


def review(service: Service, tenant: Tenant, screening_id: str) -> dict[str, Any]:
    response = service.client.get(f"/v1/screenings/{screening_id}/review", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def audit(service: Service, tenant: Tenant) -> list[tuple[str, str, str]]:
    with session_scope(service.engine) as session:
        rows = SqlServiceStore(session).audit_log(tenant.name)
    return [(str(r["action"]), str(r["subject"]), str(r["detail"])) for r in rows]


def events(service: Service, tenant: Tenant, screening_id: str) -> list[tuple[str, Any, Any]]:
    """(type, line, rule id) of a screening's events."""
    with session_scope(service.engine) as session:
        found = SqlServiceStore(session).events(tenant.name, screening_id)
    out = []
    for event in found:
        payload = event["payload"]
        assert isinstance(payload, dict)
        flag = payload.get("flag") or {}
        out.append((str(event["type"]), flag.get("line"), flag.get("rule_id")))
    return out


def decisions(service: Service, tenant: Tenant) -> list[Decision]:
    with session_scope(service.engine) as session:
        return services.list_decisions(SqlNetworkStore(session), tenant.name, include_superseded=True)


def prefix(tenant: Tenant) -> str:
    return tenant.api_key[: jobs.PREFIX_LENGTH]


# -- the review list ------------------------------------------------------------------------------------


def test_review_lists_the_ambiguous_and_unmatched_lines_with_their_candidates(service: Service) -> None:
    screening_id = screened(service, service.acme)
    body = review(service, service.acme, screening_id)
    assert body["screening_id"] == screening_id and body["rescreened_by"] is None
    by_line = {line["line"]: line for line in body["lines"]}
    assert sorted(by_line) == [ORBIT, UNKNOWN]  # line 3 is matched by the matcher alone
    orbit = by_line[ORBIT]
    assert orbit["status"] == "ambiguous" and orbit["input"]["supplier_name"] == "Orbit Magnetics"
    assert {c["company_id"] for c in orbit["candidates"]} == {"C-ORBIT", "C-ORBIT-NB"}
    assert all(c["explanation"] for c in orbit["candidates"]) and orbit["explanation"]
    assert (orbit["decided"], orbit["pending"], orbit["decisions"], orbit["decision"]) == (
        False,
        False,
        [],
        None,
    )
    assert (by_line[UNKNOWN]["status"], by_line[UNKNOWN]["candidates"]) == ("unmatched", [])


# -- deciding -------------------------------------------------------------------------------------------


def test_confirming_a_candidate_rescreens_the_list_with_the_line_matched(service: Service) -> None:
    first = screened(service, service.acme)
    before = report_lines(service, service.acme, first)
    response = decide(
        service, service.acme, first, ORBIT, action="confirm", company_id="C-ORBIT-NB", note="VAT"
    )
    accepted = response.json()
    second = rescreened(service, service.acme, response)
    assert second != first and accepted["rescreen_of"] == first
    [recorded] = accepted["decisions"]
    assert (recorded["line"], recorded["action"], recorded["company_id"], recorded["decided_by"]) == (
        ORBIT,
        "confirm",
        "C-ORBIT-NB",
        prefix(service.acme),
    )
    assert (recorded["supplier_name"], recorded["country"]) == ("Orbit Magnetics", "CN")

    status = service.client.get(f"/v1/screenings/{second}", headers=service.acme.headers).json()
    assert (status["source"], status["rescreen_of"], status["as_of"]) == (
        "rescreen",
        first,
        AS_OF.isoformat(),
    )
    after = report_lines(service, service.acme, second)
    match = after[ORBIT]["match"]
    assert (match["status"], match["company_id"]) == ("matched", "C-ORBIT-NB")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert match["decision"] == f"confirmed by {prefix(service.acme)} on {today} (VAT)"
    assert [f["rule_id"] for f in after[ORBIT]["flags"]] == ["cn-magnets"]
    assert after[PACK] == before[PACK]  # the other lines are screened as before

    # The re-screen's events are the flag differences: the new flag, not the flags line 3 had already.
    assert events(service, service.acme, second) == [
        ("screening.completed", None, None),
        ("flag.raised", ORBIT, "cn-magnets"),
    ]
    assert ("flag.raised", PACK, "cn-lithium") in events(service, service.acme, first)

    assert [(action, subject) for action, subject, _ in audit(service, service.acme)] == [
        ("submitted", first),
        ("decided", first),
        ("submitted", second),
    ]
    decided = audit(service, service.acme)[1][2]
    assert decided.startswith(f"line {ORBIT}: confirm C-ORBIT-NB for 'Orbit Magnetics' (CN)")

    # The first screening now points at its re-screen, and shows the decision as applying now.
    old = review(service, service.acme, first)
    assert old["rescreened_by"] == second
    orbit = next(line for line in old["lines"] if line["line"] == ORBIT)
    assert (orbit["decided"], orbit["pending"]) == (True, True)
    assert [(d["action"], d["company_id"]) for d in orbit["decisions"]] == [("confirm", "C-ORBIT-NB")]
    # The re-screen still lists the line (a decision matched it, another may change it), as applied.
    new = review(service, service.acme, second)
    orbit = next(line for line in new["lines"] if line["line"] == ORBIT)
    assert (orbit["status"], orbit["decided"], orbit["pending"]) == ("matched", True, False)
    assert orbit["decision"] == match["decision"]


def test_rejecting_the_best_candidate_moves_the_match_to_the_other(service: Service) -> None:
    first = screened(service, service.acme)
    second = rescreened(
        service,
        service.acme,
        decide(service, service.acme, first, ORBIT, action="reject", company_id="C-ORBIT"),
    )
    match = report_lines(service, service.acme, second)[ORBIT]["match"]
    assert (match["status"], match["company_id"]) == ("matched", "C-ORBIT-NB")
    assert match["decision"].startswith(f"C-ORBIT rejected by {prefix(service.acme)}")
    assert "C-ORBIT" not in {c["company_id"] for c in match["candidates"]}
    # The rejected company, no longer a candidate, can still be confirmed on the re-screen.
    third = rescreened(
        service,
        service.acme,
        decide(service, service.acme, second, ORBIT, action="confirm", company_id="C-ORBIT"),
    )
    match = report_lines(service, service.acme, third)[ORBIT]["match"]
    assert (match["status"], match["company_id"]) == ("matched", "C-ORBIT")
    assert [(d.action, d.superseded) for d in decisions(service, service.acme)] == [
        ("reject", True),
        ("confirm", False),
    ]


def test_a_new_company_leaves_the_line_unmatched_and_clears_its_flag(service: Service) -> None:
    first = screened(service, service.acme)
    second = rescreened(
        service,
        service.acme,
        decide(service, service.acme, first, ORBIT, action="confirm", company_id="C-ORBIT-NB"),
    )
    third = rescreened(
        service, service.acme, decide(service, service.acme, second, ORBIT, action="new_company")
    )
    match = report_lines(service, service.acme, third)[ORBIT]["match"]
    assert match["status"] == "unmatched" and match.get("company_id") is None
    assert match["decision"].startswith(f"declared a new company by {prefix(service.acme)}")
    assert events(service, service.acme, third) == [
        ("screening.completed", None, None),
        ("flag.cleared", ORBIT, "cn-magnets"),
    ]


def test_one_request_decides_several_lines_with_one_rescreen(service: Service) -> None:
    first = screened(service, service.acme)
    body = {
        "decisions": [
            {"line": ORBIT, "action": "confirm", "company_id": "C-ORBIT"},
            {"line": UNKNOWN, "action": "new_company", "note": "a start-up"},
        ]
    }
    response = service.client.post(
        f"/v1/screenings/{first}/decisions", json=body, headers=service.acme.headers
    )
    second = rescreened(service, service.acme, response)
    assert [d["line"] for d in response.json()["decisions"]] == [ORBIT, UNKNOWN]
    lines = report_lines(service, service.acme, second)
    assert (lines[ORBIT]["match"]["status"], lines[ORBIT]["match"]["company_id"]) == ("matched", "C-ORBIT")
    assert lines[UNKNOWN]["match"]["status"] == "unmatched"
    assert lines[UNKNOWN]["match"]["decision"].endswith("(a start-up)")
    assert [action for action, _, _ in audit(service, service.acme)] == [
        "submitted",
        "decided",
        "decided",
        "submitted",
    ]
    assert service.count("screenings") == 2


# -- refusals -------------------------------------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize(
    ("line", "body", "status", "words"),
    [
        (99, {"action": "new_company"}, 404, ["line 99"]),
        (PACK, {"action": "reject", "company_id": "C-PACK"}, 409, ["line 3", "C-PACK"]),
        (ORBIT, {"action": "confirm", "company_id": "C-PACK"}, 422, ["company_id", "'C-PACK'", "C-ORBIT-NB"]),
        (ORBIT, {"action": "confirm", "company_id": "C-NOWHERE"}, 422, ["company_id", "'C-NOWHERE'"]),
        (ORBIT, {"action": "reject", "company_id": "C-VOLTA"}, 422, ["company_id", "'C-VOLTA'"]),
        (UNKNOWN, {"action": "confirm", "company_id": "C-PACK"}, 422, ["company_id", "candidates: none"]),
        (ORBIT, {"action": "confirm"}, 422, ["company_id is required for a confirm decision"]),
        (ORBIT, {"action": "reject"}, 422, ["company_id is required for a reject decision"]),
        (ORBIT, {"action": "new_company", "company_id": "C-ORBIT"}, 422, ["company_id must be absent"]),
        (ORBIT, {"action": "merge", "company_id": "C-ORBIT"}, 422, ["action"]),
        (ORBIT, {"action": "confirm", "company_id": "C-ORBIT", "by": "x"}, 422, ["by"]),
    ],
)
def test_a_bad_decision_is_refused_naming_the_line_or_field_and_changes_nothing(
    service: Service, line: int, body: dict[str, Any], status: int, words: list[str]
) -> None:
    first = screened(service, service.acme)
    response = decide(service, service.acme, first, line, **body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert all(word in detail for word in words), detail
    assert decisions(service, service.acme) == []
    assert service.count("screenings") == 1
    assert [action for action, _, _ in audit(service, service.acme)] == ["submitted"]


@sqlite_only
def test_a_bad_item_of_several_is_named_and_nothing_is_recorded(service: Service) -> None:
    first = screened(service, service.acme)
    body = {
        "decisions": [
            {"line": ORBIT, "action": "confirm", "company_id": "C-ORBIT"},
            {"line": PACK, "action": "new_company"},
        ]
    }
    response = service.client.post(
        f"/v1/screenings/{first}/decisions", json=body, headers=service.acme.headers
    )
    assert response.status_code == 409 and response.json()["detail"].startswith("decisions[1] (line 3): ")
    empty = service.client.post(
        f"/v1/screenings/{first}/decisions", json={"decisions": []}, headers=service.acme.headers
    )
    assert empty.status_code == 422 and "decisions" in empty.json()["detail"]
    assert decisions(service, service.acme) == [] and service.count("screenings") == 1


@sqlite_only
def test_a_screening_not_done_or_unknown_takes_no_decision(service: Service) -> None:
    with session_scope(service.engine) as session:  # stored, never dispatched: it stays queued
        queued, _ = jobs.submit(
            SqlServiceStore(session),
            "acme",
            jobs.Submission(data=SUPPLIERS.encode(), filename="review.csv", source="upload", as_of=AS_OF),
        )
    response = decide(service, service.acme, queued.id, ORBIT, action="new_company")
    assert response.status_code == 409 and f"screening {queued.id} is queued" in response.json()["detail"]
    listed = service.client.get(f"/v1/screenings/{queued.id}/review", headers=service.acme.headers)
    assert listed.status_code == 409
    unknown = decide(service, service.acme, "0" * 32, ORBIT, action="new_company")
    assert unknown.status_code == 404 and "0" * 32 in unknown.json()["detail"]
    no_key = service.client.post(
        f"/v1/screenings/{queued.id}/lines/2/decision", json={"action": "new_company"}
    )
    assert no_key.status_code == 401
    assert decisions(service, service.acme) == []


def test_a_screening_already_rescreened_sends_the_reviewer_to_the_newest(service: Service) -> None:
    first = screened(service, service.acme)
    second = rescreened(
        service,
        service.acme,
        decide(service, service.acme, first, ORBIT, action="reject", company_id="C-ORBIT"),
    )
    third = rescreened(
        service, service.acme, decide(service, service.acme, second, UNKNOWN, action="new_company")
    )
    for old in (first, second):
        response = decide(service, service.acme, old, ORBIT, action="confirm", company_id="C-ORBIT")
        assert response.status_code == 409, response.text
        assert f"decide on the newest screening of its lineage, {third} (done)" in response.json()["detail"]
        assert review(service, service.acme, old)["rescreened_by"] == third
    assert review(service, service.acme, third)["rescreened_by"] is None
    assert len(decisions(service, service.acme)) == 2 and service.count("screenings") == 3


def test_a_failed_rescreen_leaves_the_decisions_to_the_screening_it_rescreened(
    make_service: ServiceFactory,
) -> None:
    """A second API process on the same database with a broker nobody answers: its re-screen stays
    queued until it fails (as a worker's time limit fails it); the lineage goes back to the screening
    it re-screened, which takes the next decision and re-screens once more."""
    service = make_service()
    first = screened(service, service.acme)
    brokered = make_service(broker_url="redis://127.0.0.1:9/0")  # connection refused: stays queued
    response = decide(brokered, service.acme, first, ORBIT, action="reject", company_id="C-ORBIT")
    assert response.status_code == 202, response.text
    second = response.json()["id"]
    assert review(service, service.acme, first)["rescreened_by"] == second
    with session_scope(service.engine) as session:
        assert SqlServiceStore(session).fail(second, "time limit exceeded").status == "failed"
    assert review(service, service.acme, first)["rescreened_by"] is None
    response = decide(service, service.acme, first, ORBIT, action="confirm", company_id="C-ORBIT")
    third = rescreened(service, service.acme, response)
    assert third not in (first, second)
    assert review(service, service.acme, first)["rescreened_by"] == third
    assert review(service, service.acme, third)["rescreened_by"] is None
    assert service.count("screenings") == 3
    assert [d.action for d in decisions(service, service.acme)] == ["reject", "confirm"]


def test_two_reviewers_deciding_on_one_screening_at_once_make_one_rescreen(service: Service) -> None:
    first = screened(service, service.acme)
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def post(body: dict[str, Any]) -> None:
        barrier.wait()
        answers.append(decide(service, service.acme, first, ORBIT, **body))

    threads = [
        threading.Thread(target=post, args=({"action": "confirm", "company_id": company},))
        for company in ("C-ORBIT", "C-ORBIT-NB")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 202)
    second = rescreened(service, service.acme, winner)
    [recorded] = decisions(service, service.acme)  # the refused request recorded nothing
    assert recorded.company_id == winner.json()["decisions"][0]["company_id"]
    assert report_lines(service, service.acme, second)[ORBIT]["match"]["company_id"] == recorded.company_id
    assert service.count("screenings") == 2


# -- tenants apart --------------------------------------------------------------------------------------


def test_another_tenant_neither_sees_nor_decides_and_decisions_stay_with_their_tenant(
    service: Service,
) -> None:
    ours = screened(service, service.acme)
    assert (
        service.client.get(f"/v1/screenings/{ours}/review", headers=service.globex.headers).status_code == 404
    )
    refused = decide(service, service.globex, ours, ORBIT, action="confirm", company_id="C-ORBIT-NB")
    assert refused.status_code == 404 and refused.json()["detail"] == f"screening {ours} not found"
    assert decisions(service, service.globex) == [] and decisions(service, service.acme) == []
    assert service.count("screenings") == 1

    rescreened(
        service,
        service.acme,
        decide(service, service.acme, ours, ORBIT, action="confirm", company_id="C-ORBIT-NB"),
    )
    theirs = screened(service, service.globex)  # the same list: acme's decision does not apply to globex
    assert report_lines(service, service.globex, theirs)[ORBIT]["match"]["status"] == "ambiguous"
    assert (
        next(line for line in review(service, service.globex, theirs)["lines"] if line["line"] == ORBIT)[
            "decided"
        ]
        is False
    )
    assert [action for action, _, _ in audit(service, service.globex)] == ["submitted"]
