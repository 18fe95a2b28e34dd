"""Recording reviewers' decisions and applying them to later screenings, on SQLite and on PostgreSQL.

The network is the hand-built one of test_services.py plus two magnet makers whose names differ only
by a place ("Orbit Magnetics" cannot tell them apart) and one shipment into the second of them.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy import text as sql

from screening import ingest, services
from screening.decisions import Decision
from screening.errors import InputError, NotFoundError
from screening.model import LineResult, Report
from screening.names import name_key
from screening.report import report_to_dict
from screening.rules import load_rules
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from tests.screening.test_services import AS_OF, COMPANIES, RULES, SHIPMENTS, load

MAGNET_COMPANIES = """\
company_id,name,aliases,address,country,lei
C-ORBIT,Orbit Magnetics Co Ltd,,Beilun,CN,
C-ORBIT-NB,Orbit Magnetics (Ningbo) Co Ltd,,Ningbo,CN,
"""

MAGNET_SHIPMENTS = """\
shipment_id,shipper_name,shipper_country,consignee_name,consignee_country,consignee_id,hs_code,value_usd,date
S8,Baotou Rare Earth Works,CN,Orbit Magnetics (Ningbo),CN,C-ORBIT-NB,850511,700,2025-05-01
"""

SUPPLIERS = """\
supplier_name,supplier_country,hs_code,annual_value_usd
Orbit Magnetics,CN,850511,1000
Totally Unknown Widgets GmbH,DE,850760,500
Hanoi Pack Assembly JSC,VN,850760,2000
Acme Co Ltd,US,,10
"""
ORBIT, UNKNOWN, PACK, ACME = 2, 3, 4, 5  # line numbers (the header is line 1)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        name: tmp_path / f"{name}.csv" for name in ("companies", "shipments", "magnets", "s8", "suppliers")
    }
    for name, text in (
        ("companies", COMPANIES),
        ("shipments", SHIPMENTS),
        ("magnets", MAGNET_COMPANIES),
        ("s8", MAGNET_SHIPMENTS),
        ("suppliers", SUPPLIERS),
    ):
        paths[name].write_text(text, encoding="utf-8")
    paths["rules"] = tmp_path / "rules"
    paths["rules"].mkdir()
    for name, text in RULES.items():
        (paths["rules"] / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return paths


@pytest.fixture
def network(engine: Engine, files: dict[str, Path]) -> Engine:
    load(engine, shipments=files["shipments"], companies=files["companies"])
    load(engine, shipments=files["s8"], companies=files["magnets"])
    return engine


def screen(engine: Engine, files: dict[str, Path], tenant: str | None) -> Report:
    with session_scope(engine) as session:
        return services.screen(
            SqlNetworkStore(session),
            ingest.read_suppliers_file(files["suppliers"]),
            load_rules(files["rules"]),
            as_of=AS_OF,
            tenant=tenant,
        )


def lines(report: Report) -> dict[int, LineResult]:
    return {line.line: line for line in report.lines}


def decide(
    engine: Engine,
    name: str,
    country: str | None,
    action: str,
    company_id: str | None = None,
    tenant: str = "acme",
    decided_by: str = "cli",
    note: str = "",
) -> Decision:
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        return services.record_decision(store, tenant, name, country, action, company_id, decided_by, note)


def upstream(line: LineResult) -> set[tuple[int, str, float, int]]:
    return {(u.tier, u.origin, u.value_usd, u.shipments) for u in line.upstream}


def test_confirm_matches_an_ambiguous_line_and_it_is_traced(network: Engine, files: dict[str, Path]) -> None:
    before = lines(screen(network, files, "acme"))[ORBIT]
    assert before.match.status == "ambiguous" and before.upstream == ()
    decide(network, "Orbit Magnetics", "CN", "confirm", "C-ORBIT-NB", decided_by="alice", note="same VAT")
    report = screen(network, files, "acme")
    after = lines(report)[ORBIT]
    assert (after.match.status, after.match.company_id) == ("matched", "C-ORBIT-NB")
    assert upstream(after) == {(1, "CN", 1000.0, 0), (2, "CN", 700.0, 1)}
    shown = report_to_dict(report)["lines"][0]["match"]  # type: ignore[index]
    assert shown["decision"] == f"confirmed by alice on {dt.date.today().isoformat()} (same VAT)"
    assert shown["explanation"].startswith("reviewer decision:")
    assert report.summary.matched == 2


def test_confirm_matches_a_line_with_no_candidate_at_all(network: Engine, files: dict[str, Path]) -> None:
    assert lines(screen(network, files, "acme"))[UNKNOWN].match.candidates == ()
    decide(network, "Totally Unknown Widgets GmbH", "Germany", "confirm", "C-PACK")
    after = lines(screen(network, files, "acme"))[UNKNOWN]
    assert (after.match.status, after.match.company_id) == ("matched", "C-PACK")
    # Traced from Hanoi Pack as in test_services: cells and screws at tier 2, lithium at tier 3.
    assert {(u.tier, u.value_usd) for u in after.upstream if u.tier > 1} == {(2, 430.0), (3, 200.0)}


def test_rejecting_the_best_candidate_moves_the_match_to_the_runner_up(
    network: Engine,
    files: dict[str, Path],
) -> None:
    decide(network, "Orbit Magnetics", "CN", "reject", "C-ORBIT")
    after = lines(screen(network, files, "acme"))[ORBIT]
    assert (after.match.status, after.match.company_id) == ("matched", "C-ORBIT-NB")
    assert "C-ORBIT" not in {c.company_id for c in after.match.candidates}
    assert (2, "CN", 700.0, 1) in upstream(after)
    assert after.match.decision is not None and after.match.decision.startswith("C-ORBIT rejected by cli")


def test_rejecting_the_only_candidate_leaves_the_line_untraced(
    network: Engine, files: dict[str, Path]
) -> None:
    before = lines(screen(network, files, "acme"))[PACK]
    assert (before.match.status, before.match.company_id) == ("matched", "C-PACK")
    decide(network, "Hanoi Pack Assembly JSC", "VN", "reject", "C-PACK")
    after = lines(screen(network, files, "acme"))[PACK]
    assert after.match.status in ("ambiguous", "unmatched") and after.match.company_id is None
    assert after.upstream == () and after.flags == ()


def test_new_company_makes_a_matched_line_unmatched(network: Engine, files: dict[str, Path]) -> None:
    decide(network, "Hanoi Pack Assembly JSC", "VN", "new_company")
    after = lines(screen(network, files, "acme"))[PACK]
    assert (after.match.status, after.match.company_id, after.upstream) == ("unmatched", None, ())
    assert "C-PACK" in {c.company_id for c in after.match.candidates}  # kept for context
    assert after.match.decision is not None and after.match.decision.startswith("declared a new company")


def test_decisions_of_one_tenant_never_affect_another(network: Engine, files: dict[str, Path]) -> None:
    decide(network, "Hanoi Pack Assembly JSC", "VN", "new_company", tenant="tenant-a")
    decide(network, "Orbit Magnetics", "CN", "confirm", "C-ORBIT", tenant="tenant-a")
    assert lines(screen(network, files, "tenant-a"))[PACK].match.status == "unmatched"
    for other in ("tenant-b", None):
        report = lines(screen(network, files, other))
        assert (report[PACK].match.status, report[PACK].match.decision) == ("matched", None)
        assert (report[ORBIT].match.status, report[ORBIT].match.decision) == ("ambiguous", None)
    with session_scope(network) as session:
        assert services.list_decisions(SqlNetworkStore(session), "tenant-b") == []


def test_the_latest_decision_wins_and_history_is_kept(network: Engine, files: dict[str, Path]) -> None:
    first = decide(network, "Orbit Magnetics", "CN", "confirm", "C-ORBIT")
    second = decide(network, "Orbit Magnetics", "CN", "confirm", "C-ORBIT-NB")
    assert lines(screen(network, files, "acme"))[ORBIT].match.company_id == "C-ORBIT-NB"
    with session_scope(network) as session:
        store = SqlNetworkStore(session)
        assert [d.id for d in services.list_decisions(store, "acme")] == [second.id]
        history = services.list_decisions(store, "acme", include_superseded=True)
    assert [(d.id, d.superseded) for d in history] == [(first.id, True), (second.id, False)]
    decide(network, "Orbit Magnetics", "CN", "new_company")
    assert lines(screen(network, files, "acme"))[ORBIT].match.status == "unmatched"


def test_a_decision_applies_to_a_differently_written_name_with_the_same_key(
    network: Engine,
    files: dict[str, Path],
) -> None:
    assert name_key("ACME Co., Ltd.", "USA") == name_key("Acme Co Ltd", "US")
    assert lines(screen(network, files, "acme"))[ACME].match.status != "matched"
    decision = decide(network, "ACME Co., Ltd.", "USA", "confirm", "C-ACME")
    assert (decision.supplier_name, decision.country) == ("ACME Co., Ltd.", "US")
    after = lines(screen(network, files, "acme"))[ACME]
    assert (after.match.status, after.match.company_id) == ("matched", "C-ACME")


def test_a_decision_keyed_by_an_older_normaliser_still_applies(
    network: Engine,
    files: dict[str, Path],
) -> None:
    """Keys are recomputed from the decided name and country, so a normaliser change (which changes
    keys) never orphans a reviewer's decision."""
    decide(network, "Hanoi Pack Assembly JSC", "VN", "new_company")
    with session_scope(network) as session:
        session.execute(
            sql("UPDATE match_decisions SET key = :stale"), {"stale": "written by an older normaliser"}
        )
    after = lines(screen(network, files, "acme"))[PACK]
    assert after.match.status == "unmatched"
    assert after.match.decision is not None and after.match.decision.startswith("declared a new company")
    again = decide(network, "Hanoi Pack Assembly JSC", "VN", "confirm", "C-PACK")
    with session_scope(network) as session:
        history = services.list_decisions(SqlNetworkStore(session), "acme", include_superseded=True)
    assert [(d.action, d.superseded) for d in history] == [("new_company", True), ("confirm", False)]
    assert again.key == name_key("Hanoi Pack Assembly JSC", "VN")


def test_screening_reads_the_decisions_in_one_query(network: Engine, files: dict[str, Path]) -> None:
    decide(network, "Orbit Magnetics", "CN", "reject", "C-ORBIT")
    decide(network, "Hanoi Pack Assembly JSC", "VN", "new_company")
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(network, "before_cursor_execute", record)
    try:
        screen(network, files, "acme")
    finally:
        event.remove(network, "before_cursor_execute", record)
    assert sum("match_decisions" in s for s in statements) == 1


@pytest.mark.parametrize(
    ("action", "company_id", "error", "message"),
    [
        ("confirm", "C-NOPE", NotFoundError, "C-NOPE"),
        ("reject", "C-NOPE", NotFoundError, "C-NOPE"),
        ("confirm", None, InputError, "needs a company id"),
        ("new_company", "C-PACK", InputError, "names no company"),
        ("approve", "C-PACK", InputError, "confirm, reject, new_company"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_stored(
    network: Engine,
    action: str,
    company_id: str | None,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        decide(network, "Hanoi Pack Assembly JSC", "VN", action, company_id)
    with session_scope(network) as session:
        assert services.list_decisions(SqlNetworkStore(session), "acme", include_superseded=True) == []
