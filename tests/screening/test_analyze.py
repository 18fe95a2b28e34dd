"""`analyze` on the hand-built network of test_services.py plus one more battery shipment into the US.

Every expected number is derived here from the rows and the test's HS input map (850760 <- 850790
direct, 7318 capital; 850790 <- 282520 direct):
- tier 1 (850760* into US consignees, in the window): S1 Hanoi Pack -> Acme 1,000 (VN) and S8 Volta ->
  Acme 3,000 (CN);
- tier 2, from (Hanoi Pack, 850760): S2 cells 400 (CN, direct) and S5 screws 30 (CN, capital); the
  furniture S4 is no input; from (Volta, 850760): Volta receives no battery inputs;
- tier 3, from (Volta, 850790): Qinghai's lithium salt S3 120 and S7 80 (CN, direct); S6 is from 2020,
  outside the five-year window.
By region (destination US): China = CN, Vietnam is elsewhere in Asia.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from screening import analysis_report, services
from screening.codes import region_of
from screening.errors import InputError
from screening.rules import load_rules
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from tests.screening.test_cli import run
from tests.screening.test_services import AS_OF, SHIPMENTS, files, load  # noqa: F401  (fixture)

MORE = "S8,SHENZHEN VOLTA CELLS CO LTD,CN,ACME POWER TOOLS INC,US,850760,3000,2025-05-01,\n"


@pytest.fixture
def network(files: dict[str, Path]) -> dict[str, Path]:  # noqa: F811
    files["shipments"].write_text(SHIPMENTS + MORE, encoding="utf-8")
    return files


def analyze(engine: Engine, rules: Path, **options: object) -> services.Analysis:
    with session_scope(engine) as session:
        return services.analyze(SqlNetworkStore(session), load_rules(rules), **options)  # type: ignore[arg-type]


def test_value_by_tier_origin_and_input_kind(engine: Engine, network: dict[str, Path]) -> None:
    load(engine, shipments=network["shipments"], companies=network["companies"])
    result = analyze(engine, network["rules"], product="850760", destination="US", tiers=3, as_of=AS_OF)
    assert [(c.tier, c.origin, c.value_usd, c.shipments) for c in result.by_tier_origin] == [
        (1, "CN", 3000.0, 1),
        (1, "VN", 1000.0, 1),
        (2, "CN", 430.0, 2),
        (3, "CN", 200.0, 2),
    ]
    assert [(k.tier, k.kind, k.value_usd, k.shipments) for k in result.by_tier_kind] == [
        (2, "direct", 400.0, 1),
        (2, "capital", 30.0, 1),
        (3, "direct", 200.0, 2),
    ]
    # Tier 1: shares 0.75 and 0.25, HHI 75^2 + 25^2 = 6,250; one origin upstream: 10,000.
    assert [(c.tier, c.hhi, c.origins, c.top_origin, c.top_share) for c in result.concentration] == [
        (1, 6250.0, 2, "CN", 0.75),
        (2, 10000.0, 1, "CN", 1.0),
        (3, 10000.0, 1, "CN", 1.0),
    ]
    assert [(s.company_id, s.country, s.value_usd, s.recipients) for s in result.top_suppliers] == [
        ("C-VOLTA", "CN", 3000.0, 1),
        ("C-PACK", "VN", 1000.0, 1),
    ]
    assert [(r.tier, r.region, r.value_usd, r.shipments) for r in result.by_tier_region] == [
        (1, "China", 3000.0, 1),
        (1, "elsewhere in Asia", 1000.0, 1),
        (2, "China", 430.0, 2),
        (3, "China", 200.0, 2),
    ]
    # All tiers: China 3,000 + 430 + 200 over S8, S2, S5, S3, S7; Vietnam S1.
    assert [(r.region, r.value_usd, r.shipments) for r in result.by_region] == [
        ("China", 3630.0, 5),
        ("elsewhere in Asia", 1000.0, 1),
    ]
    assert result.industries == ()  # the rules list no industries relying on batteries


def test_two_tiers_stop_at_tier_two_and_origin_selects_the_suppliers(
    engine: Engine, network: dict[str, Path]
) -> None:
    load(engine, shipments=network["shipments"], companies=network["companies"])
    result = analyze(
        engine, network["rules"], product="8507.60", destination="USA", origin="China", tiers=2, as_of=AS_OF
    )
    assert max(c.tier for c in result.by_tier_origin) == 2
    assert [s.company_id for s in result.top_suppliers] == ["C-VOLTA"]
    assert (result.product, result.destination, result.origin) == ("850760", "US", "CN")


def test_destination_and_window_select_tier_one(engine: Engine, network: dict[str, Path]) -> None:
    load(engine, shipments=network["shipments"], companies=network["companies"])
    # Cells (850790) into Vietnam: S2 only, and its lithium salt one tier up.
    cells = analyze(engine, network["rules"], product="8507", destination="VN", tiers=2, as_of=AS_OF)
    assert [(c.tier, c.origin, c.value_usd) for c in cells.by_tier_origin] == [
        (1, "CN", 400.0),
        (2, "CN", 200.0),
    ]
    # Before S1 and S8 arrived, nothing was traded in batteries into the US.
    early = analyze(engine, network["rules"], product="850760", destination="US", as_of=dt.date(2025, 2, 28))
    assert early.by_tier_origin == () and early.top_suppliers == ()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"product": "85x"}, "--product '85x' is not an HS code"),
        ({"product": "850760", "destination": "Narnia"}, "--destination 'Narnia' is not a country"),
        ({"product": "850760", "tiers": 0}, "--tiers 0 is out of range"),
    ],
)
def test_bad_options_are_refused(
    engine: Engine, network: dict[str, Path], options: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        analyze(engine, network["rules"], **options)


def test_analyze_command(network: dict[str, Path], tmp_path: Path) -> None:
    loaded = run(
        "network", "load", str(network["shipments"]), "--companies", str(network["companies"]), cwd=tmp_path
    )
    assert loaded.returncode == 0, loaded.stderr
    args = ["--product", "850760", "--destination", "US", "--tiers", "3", "--as-of", AS_OF.isoformat()]
    done = run("analyze", *args, "--rules", str(network["rules"]), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["by_tier_origin"][0] == {"tier": 1, "origin": "CN", "value_usd": 3000.0, "shipments": 1}
    assert data["top_suppliers"][0] == {
        "company_id": "C-VOLTA",
        "name": "Shenzhen Volta Cells Co., Ltd.",
        "country": "CN",
        "value_usd": 3000.0,
        "recipients": 1,
    }
    text = run("analyze", *args, "--rules", str(network["rules"]), cwd=tmp_path)
    assert text.returncode == 0 and "HHI 6,250 over 2 origins; CN 75.0%" in text.stdout
    bad = run("analyze", "--product", "battery", cwd=tmp_path)
    assert bad.returncode == 2 and "--product 'battery' is not an HS code" in bad.stderr


# Acme (US) exports: E1 drills to Germany (tools), E2 laptops to Canada (electronics), E3 drills to
# another US company (not an export), E4 drills to Germany in 2019 (outside the window).
EXPORTS = """\
C-ACME,Acme Power Tools Inc,,Milwaukee WI,US,
C-BUYER-DE,Werkzeughandel Berlin GmbH,,Berlin,DE,
C-BUYER-CA,Maple Office Supply Ltd,,Toronto,CA,
C-BUYER-US,Prairie Hardware LLC,,Omaha NE,US,
"""
EXPORT_SHIPMENTS = """\
E1,ACME POWER TOOLS INC,US,WERKZEUGHANDEL BERLIN GMBH,DE,846721,5000,2025-06-01,
E2,ACME POWER TOOLS INC,US,MAPLE OFFICE SUPPLY LTD,CA,847130,700,2025-06-02,
E3,ACME POWER TOOLS INC,US,PRAIRIE HARDWARE LLC,US,846721,900,2025-06-03,
E4,ACME POWER TOOLS INC,US,WERKZEUGHANDEL BERLIN GMBH,DE,846721,800,2019-06-01,
"""
INDUSTRIES = """\
inputs: ["850790"]
industries:
  - {hs: "8467", industry: tools}
  - {hs: "8471", industry: electronics}
"""
DRILLS = """\
  - hs: "846721"
    name: drills
    inputs:
      - {hs: "850760", kind: direct, materials: [battery packs]}
"""


@pytest.fixture
def exporting(network: dict[str, Path]) -> dict[str, Path]:
    """Acme's exports, industries relying on cells (850790) and drills made of battery packs."""
    companies = (
        network["companies"]
        .read_text(encoding="utf-8")
        .replace("C-ACME,Acme Power Tools Inc,,Milwaukee WI,US,\n", "")
    )
    network["companies"].write_text(companies + EXPORTS, encoding="utf-8")
    with network["shipments"].open("a", encoding="utf-8") as handle:
        handle.write(EXPORT_SHIPMENTS)
    (network["rules"] / "industries.yaml").write_text(INDUSTRIES, encoding="utf-8")
    with (network["rules"] / "hs_inputs.yaml").open("a", encoding="utf-8") as handle:
        handle.write(DRILLS)
    return network


def test_industries_view_counts_exports_and_traces_the_product_upstream(
    engine: Engine, exporting: dict[str, Path]
) -> None:
    """Drills (E1, 5,000) have the cells upstream: tier 2 Hanoi's packs S1 into Acme, tier 3 Volta's cells
    S2 into Hanoi. Laptops (E2, 700) have no listed inputs, so nothing is traced. E3 stays in the US and
    E4 is outside the window. With two tiers the cells (tier 3) are out of reach."""
    load(engine, shipments=exporting["shipments"], companies=exporting["companies"])
    three = analyze(engine, exporting["rules"], product="850790", destination="US", tiers=3, as_of=AS_OF)
    assert [
        (i.industry, i.value_usd, i.shipments, i.traced_value_usd, i.traced_shipments)
        for i in three.industries
    ] == [
        ("tools", 5000.0, 1, 5000.0, 1),
        ("electronics", 700.0, 1, 0.0, 0),
    ]
    two = analyze(engine, exporting["rules"], product="850790", destination="US", tiers=2, as_of=AS_OF)
    assert [(i.industry, i.traced_value_usd) for i in two.industries] == [
        ("tools", 0.0),
        ("electronics", 0.0),
    ]
    # Not a product the industries rely on, or no destination: no industries view.
    assert (
        analyze(engine, exporting["rules"], product="850760", destination="US", as_of=AS_OF).industries == ()
    )
    assert analyze(engine, exporting["rules"], product="850790", tiers=3, as_of=AS_OF).industries == ()


def test_analysis_csv_and_json_carry_the_industries_view(engine: Engine, exporting: dict[str, Path]) -> None:
    load(engine, shipments=exporting["shipments"], companies=exporting["companies"])
    result = analyze(engine, exporting["rules"], product="850790", destination="US", tiers=3, as_of=AS_OF)
    rows = list(csv.DictReader(io.StringIO(analysis_report.render_csv(result).decode("utf-8"))))
    sections = {row["section"] for row in rows}
    assert sections == {"industry_exports"}  # no cells into the US: only the industries view
    tools = next(row for row in rows if row["industry"] == "tools")
    assert (tools["value_usd"], tools["traced_value_usd"], tools["country"]) == ("5000.0", "5000.0", "US")
    data = json.loads(analysis_report.render_json(result, rules_version="v"))
    assert data["industries"][0]["traced_shipments"] == 1 and data["by_tier_origin"] == []


def test_analyze_command_writes_csv(exporting: dict[str, Path], tmp_path: Path) -> None:
    loaded = run(
        "network",
        "load",
        str(exporting["shipments"]),
        "--companies",
        str(exporting["companies"]),
        cwd=tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "out" / "analysis.csv"
    args = ["--product", "850760", "--destination", "US", "--tiers", "3", "--as-of", AS_OF.isoformat()]
    done = run(
        "analyze",
        *args,
        "--rules",
        str(exporting["rules"]),
        "--format",
        "csv",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    first = rows[0]
    assert (first["section"], first["tier"], first["origin"], first["value_usd"]) == (
        "tier_origin",
        "1",
        "CN",
        "3000.0",
    )
    regions = [(r["region"], r["value_usd"]) for r in rows if r["section"] == "region"]
    assert regions == [("China", "3630.0"), ("elsewhere in Asia", "1000.0")]
    missing = run("analyze", *args, "--format", "csv", cwd=tmp_path)
    assert missing.returncode == 2 and "--format needs --out FILE" in missing.stderr
    wrong = run("analyze", *args, "--format", "pdf", "--out", str(out), cwd=tmp_path)
    assert wrong.returncode == 2 and "--format 'pdf' is not one of" in wrong.stderr


@pytest.mark.parametrize(
    ("country", "home", "region"),
    [
        ("CN", "US", "China"),
        ("HK", "US", "elsewhere in Asia"),  # a separate origin in trade records
        ("VN", "US", "elsewhere in Asia"),
        ("TR", "US", "elsewhere in Asia"),  # UN M49: Western Asia
        ("DE", "US", "EU"),
        ("HU", None, "EU"),
        ("GB", "US", "elsewhere"),  # left the EU on 2020-01-31
        ("US", "US", "US"),
        ("US", None, "elsewhere"),
        ("MX", "US", "elsewhere"),
        ("DE", "DE", "DE"),  # the destination is its own region, even inside the EU
        ("unknown", "US", "unknown"),
        (None, "US", "unknown"),
    ],
)
def test_origin_regions(country: str | None, home: str | None, region: str) -> None:
    assert region_of(country, home) == region
