"""Network load and screening end to end on a hand-built network, on SQLite and on PostgreSQL.

The rule folder is written by the test, so every expected number below follows from the rows in
this file and CONTRACT.md section 4, not from the shipped rules.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from screening import ingest, services
from screening.report import report_to_dict
from screening.rules import load_rules
from screening.storage.db import make_engine, migrate, session_scope
from screening.storage.repository import SqlNetworkStore

AS_OF = dt.date(2026, 6, 30)

COMPANIES = """\
company_id,name,aliases,address,country,lei
C-VOLTA,"Shenzhen Volta Cells Co., Ltd.",Volta Cells|深圳伏特电池有限公司,"Bao'an District, Shenzhen",CN,
C-PACK,Hanoi Pack Assembly JSC,,Long Bien,VN,
C-ACME,Acme Power Tools Inc,,Milwaukee WI,US,
"""

SHIPMENTS = """\
shipment_id,shipper_name,shipper_country,consignee_name,consignee_country,hs_code,value_usd,date,origin_country
S1,HANOI PACK ASSEMBLY JSC,VN,ACME POWER TOOLS INC,US,8507.60.0020,1000,2025-03-01,
S2,SHENZHEN VOLTA CELLS CO LTD,CN,Hanoi Pack Assembly J.S.C.,VN,850790,400,2025-02-01,
S3,QINGHAI LITHIUM SALT WORKS,CN,"Shenzhen Volta Cells Co., Ltd.",CN,282520,120,2025-01-10,
S4,Hai Phong Furniture Co,VN,HANOI PACK ASSEMBLY JSC,VN,940360,50,2025-02-02,
S5,NINGBO FASTENER MFG CO LTD,CN,HANOI PACK ASSEMBLY JSC,VN,731815,30,2025-02-03,
S6,QINGHAI LITHIUM SALT WORKS,CN,SHENZHEN VOLTA CELLS CO LTD,CN,282520,999,2020-01-10,
S7,Qinghai Lithium Salt Works Co.,China,Shenzhen Volta Cells Co Ltd,CHN,282520,80,2025-04-11,
"""

SUPPLIERS = """\
Vendor Name,Country,HTS Code,Annual Spend (USD),Vendor ID
Hanoi Pack Assembly,Vietnam,8507.60.0020,2000000,V-1
Totally Unknown Widgets GmbH,DE,,500,V-2
,CN,850760,10,V-3
Hanoi Pack Assembly JSC,VN,85x,10,V-4
"""

RULES = {
    "hs_inputs.yaml": """\
        products:
          - hs: "850760"
            name: lithium-ion batteries
            inputs:
              - {hs: "850790", kind: direct, materials: [cells]}
              - {hs: "7318", kind: capital, materials: [fasteners]}
          - hs: "850790"
            name: cells
            inputs:
              - {hs: "282520", kind: direct, materials: [Li]}
        """,
    "test.yaml": """\
        rules:
          - id: cn-lithium
            title: Chinese lithium hydroxide
            kind: export_control
            authority: Test authority
            document: Test document 1
            source: https://example.org/1
            effective_from: 2025-01-01
            effective_to: null
            severity: high
            when: {origin: [CN], hs: ["282520"]}
            note: test rule
          - id: steel-232
            title: Steel derivatives
            kind: tariff
            authority: Test authority
            document: Test document 2
            source: https://example.org/2
            effective_from: 2025-06-04
            effective_to: null
            severity: medium
            when: {hs: ["7318"]}
            tariff: {rate_pct: 50, importing_country: US}
            note: test rule
          - id: not-yet
            title: A rule in the future
            kind: export_control
            authority: Test authority
            document: Test document 3
            source: https://example.org/3
            effective_from: 2027-01-01
            effective_to: null
            severity: high
            when: {origin: [CN]}
            note: test rule
        """,
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "companies": tmp_path / "companies.csv",
        "shipments": tmp_path / "shipments.csv",
        "suppliers": tmp_path / "suppliers.csv",
        "rules": tmp_path / "rules",
    }
    paths["companies"].write_text(COMPANIES, encoding="utf-8")
    paths["shipments"].write_text(SHIPMENTS, encoding="utf-8")
    paths["suppliers"].write_text(SUPPLIERS, encoding="utf-8")
    paths["rules"].mkdir()
    for name, text in RULES.items():
        (paths["rules"] / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return paths


def load(engine: Engine, **paths: Path) -> services.LoadSummary:
    with session_scope(engine) as session:
        return services.load_network(SqlNetworkStore(session), **paths)


def test_load_links_messy_names_to_the_registry_and_clusters_the_rest(
    engine: Engine, files: dict[str, Path]
) -> None:
    summary = load(engine, shipments=files["shipments"], companies=files["companies"])
    assert summary.shipments == 7
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        shipments = {s.shipment_id: s for s in store.shipments()}
    # Every spelling of the registry companies resolved to the registry id.
    assert shipments["S1"].shipper_id == "C-PACK" and shipments["S1"].consignee_id == "C-ACME"
    assert shipments["S2"].shipper_id == "C-VOLTA" and shipments["S2"].consignee_id == "C-PACK"
    assert {shipments[s].consignee_id for s in ("S3", "S6", "S7")} == {"C-VOLTA"}
    # Qinghai is not in the registry: one new company for its three spellings.
    assert shipments["S3"].shipper_id == shipments["S6"].shipper_id == shipments["S7"].shipper_id
    assert shipments["S3"].shipper_id not in {"C-VOLTA", "C-PACK", "C-ACME"}
    # Countries normalised, origin defaulted to the shipper's country, HS codes to digits.
    assert shipments["S7"].origin_country == "CN"
    assert shipments["S1"].hs_code == "8507600020"
    # Registry (3) + Qinghai + Hai Phong Furniture + Ningbo Fastener.
    assert summary.companies == 6


def test_load_is_idempotent_and_additive(engine: Engine, files: dict[str, Path], tmp_path: Path) -> None:
    first = load(engine, shipments=files["shipments"], companies=files["companies"])
    again = load(engine, shipments=files["shipments"], companies=files["companies"])
    assert (again.companies, again.shipments) == (first.companies, first.shipments)
    assert again.network_version == first.network_version
    assert all(record.rows_added == 0 for record in again.loads)
    more = tmp_path / "more.csv"
    more.write_text(
        "shipper,consignee,hs,value,arrival_date\n"
        "Qinghai Lithium Salt Works,Shenzhen Volta Cells,282520,5,2025-05-01\n",
        encoding="utf-8",
    )
    added = load(engine, shipments=more)
    assert added.shipments == first.shipments + 1
    assert added.companies == first.companies  # both parties were already known
    assert added.network_version != first.network_version
    # A shipment without an id gets one from its content: loading it again adds nothing.
    assert load(engine, shipments=more).shipments == added.shipments


def test_registry_alone_is_a_valid_network(engine: Engine, files: dict[str, Path]) -> None:
    summary = load(engine, companies=files["companies"])
    assert (summary.companies, summary.shipments) == (3, 0)


def test_screening_report_has_the_contract_numbers(engine: Engine, files: dict[str, Path]) -> None:
    load(engine, shipments=files["shipments"], companies=files["companies"])
    rules = load_rules(files["rules"])
    submission = ingest.read_suppliers_file(files["suppliers"])
    with session_scope(engine) as session:
        report = services.screen(SqlNetworkStore(session), submission, rules, as_of=AS_OF)
    data = report_to_dict(report)
    assert data["as_of"] == "2026-06-30" and data["since"] == "2021-06-30" and data["max_tier"] == 4
    assert data["rules_version"] == rules.version

    lines = {line["line"]: line for line in data["lines"]}  # type: ignore[attr-defined]
    pack = lines[2]
    assert pack["match"]["status"] == "matched" and pack["match"]["company_id"] == "C-PACK"
    # Tier 1: the line (VN, 2,000,000). Tier 2: S2 cells (CN 400) + S5 screws (CN 30); the
    # furniture S4 is no input of 850760. Tier 3: Qinghai's LiOH into Volta, S3 (120) + S7 (80);
    # S6 is dated 2020, outside the five-year window.
    assert {(u["tier"], u["origin"], u["value_usd"], u["shipments"]) for u in pack["upstream"]} == {
        (1, "VN", 2_000_000.0, 0),
        (2, "CN", 430.0, 2),
        (3, "CN", 200.0, 2),
    }
    flags = {f["rule_id"]: f for f in pack["flags"]}
    assert set(flags) == {"cn-lithium", "steel-232"}  # `not-yet` is not in force on 2026-06-30
    lithium = flags["cn-lithium"]
    assert (lithium["tier"], lithium["value_usd"], lithium["hits"]) == (3, 200.0, 2)
    assert [(p["company_id"], p["tier"], p.get("shipment_id")) for p in lithium["path"]] == [
        ("C-PACK", 1, None),
        ("C-VOLTA", 2, "S2"),
        (lithium["path"][2]["company_id"], 3, "S3"),
    ]
    steel = flags["steel-232"]
    assert (steel["tier"], steel["value_usd"], steel["hits"], steel["kind"]) == (2, 30.0, 1, "tariff")
    assert steel["value_by_tier"] == [{"tier": 2, "value_usd": 30.0}]
    assert lithium["value_by_tier"] == [{"tier": 3, "value_usd": 200.0}]
    # No tariff hits the battery import itself (8507600020 is not 7318); the Ningbo screws (S5, 30 USD)
    # upstream would bear the 50% steel rate if imported directly: 15 USD latent.
    assert pack["tariffs"] == {
        "rate_pct": 0.0,
        "duty_usd": 0.0,
        "applied": [],
        "latent_duty_usd": 15.0,
        "latent": [
            {"rule_id": "steel-232", "rate_pct": 50.0, "basis": None, "value_usd": 30.0, "duty_usd": 15.0}
        ],
    }

    assert lines[3]["match"]["status"] == "unmatched" and lines[3]["upstream"] == []
    assert {(e["line"], e["column"]) for e in data["errors"]} == {(4, "supplier_name"), (5, "hs_code")}  # type: ignore[attr-defined]
    summary = data["summary"]
    assert summary["lines"] == 2 and summary["matched"] == 1 and summary["unmatched"] == 1  # type: ignore[index]
    assert summary["flagged_lines"] == 1  # type: ignore[index]


def test_as_of_before_a_rule_takes_effect_raises_no_flag(engine: Engine, files: dict[str, Path]) -> None:
    load(engine, shipments=files["shipments"], companies=files["companies"])
    rules = load_rules(files["rules"])
    submission = ingest.read_suppliers_file(files["suppliers"])
    with session_scope(engine) as session:
        report = services.screen(SqlNetworkStore(session), submission, rules, as_of=dt.date(2025, 6, 3))
    flags = {f.rule_id for f in report.lines[0].flags}
    # steel-232 starts 2025-06-04; cn-lithium (2025-01-01) is in force; S7 (2025-04-11) is in the window.
    assert flags == {"cn-lithium"}


def test_as_of_replay_uses_the_rules_then_in_force_and_no_later_shipment(
    engine: Engine, files: dict[str, Path]
) -> None:
    """As of 2025-02-05 the Hanoi Pack line sees S2 (02-01) and S5 (02-03) at tier 2 and S3 (01-10) at
    tier 3; S7 (04-11) has not arrived yet and S6 (2020-01-10) is before the window's start (2020-02-05).
    The steel rule (from 2025-06-04) is not in force yet, so the screws raise no flag."""
    load(engine, shipments=files["shipments"], companies=files["companies"])
    submission = ingest.read_suppliers_file(files["suppliers"])
    with session_scope(engine) as session:
        report = services.screen(
            SqlNetworkStore(session), submission, load_rules(files["rules"]), as_of=dt.date(2025, 2, 5)
        )
    pack = report.lines[0]
    assert (report.as_of, report.since) == (dt.date(2025, 2, 5), dt.date(2020, 2, 5))
    assert {(u.tier, u.origin, u.value_usd, u.shipments) for u in pack.upstream} == {
        (1, "VN", 2_000_000.0, 0),
        (2, "CN", 430.0, 2),
        (3, "CN", 120.0, 1),
    }
    [lithium] = pack.flags
    assert (lithium.rule_id, lithium.tier, lithium.value_usd, lithium.hits) == ("cn-lithium", 3, 120.0, 1)


def test_load_counts_rejected_rows_once_and_keeps_rows_with_a_bad_optional_field(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "shipments.csv"
    path.write_text(
        "shipper,consignee,hs,value,date,shipper_country\n"
        "Alpha Cells Co,Beta Packs Ltd,850790,10,2025-01-01,CN\n"
        "Alpha Cells Co,Beta Packs Ltd,850790,20,2025-01-02,Atlantis\n"  # bad optional country: kept
        "Alpha Cells Co,Beta Packs Ltd,850790,lots,2025-01-03,CN\n",  # bad value: rejected
        encoding="utf-8",
    )
    summary = load(engine, shipments=path)
    (record,) = summary.loads
    assert (record.rows_read, record.rows_added, record.rows_rejected) == (3, 2, 1)
    assert {(e.line, e.column) for e in summary.errors} == {(3, "shipper_country"), (4, "value_usd")}


def test_two_databases_loaded_with_the_same_files_never_share_a_version(
    files: dict[str, Path], tmp_path: Path
) -> None:
    # The in-process snapshot cache is keyed by version: a shared version would let one database's
    # network answer for another's.
    versions = []
    for name in ("one.db", "two.db"):
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        migrate(engine)
        versions.append(
            load(engine, shipments=files["shipments"], companies=files["companies"]).network_version
        )
        engine.dispose()
    assert versions[0] != versions[1]


PARTY_RULE = """\
rules:
  - id: listed-makers
    title: Listed makers
    kind: restricted_party
    authority: Test authority
    document: Test list
    source: https://example.org/list
    effective_from: 2020-01-01
    severity: high
    when: {parties: lists/parties.csv}
    note: test rule
"""


def test_restricted_party_lists_follow_the_rule_folder_they_come_from(
    engine: Engine, files: dict[str, Path], tmp_path: Path
) -> None:
    load(engine, shipments=files["shipments"], companies=files["companies"])
    submission = ingest.read_suppliers_file(files["suppliers"])
    found = []
    for party in ("Qinghai Lithium Salt Works Co Ltd", "Some Unrelated Magnet Works"):
        folder = tmp_path / f"rules-{len(found)}"
        (folder / "lists").mkdir(parents=True)
        (folder / "parties.yaml").write_text(PARTY_RULE, encoding="utf-8")
        (folder / "hs_inputs.yaml").write_text(textwrap.dedent(RULES["hs_inputs.yaml"]), encoding="utf-8")
        (folder / "lists" / "parties.csv").write_text(
            f"name,aliases,country\n{party},,CN\n", encoding="utf-8"
        )
        with session_scope(engine) as session:
            report = services.screen(SqlNetworkStore(session), submission, load_rules(folder), as_of=AS_OF)
        found.append({(f.rule_id, f.tier, f.hits) for f in report.lines[0].flags})
    # Qinghai ships LiOH at tier 3 (S3 and S7 in the window); the second list names nobody in the
    # network, and the members found for the first folder must not carry over to it.
    assert found == [{("listed-makers", 3, 2)}, set()]
