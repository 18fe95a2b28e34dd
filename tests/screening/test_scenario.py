"""`scenario` on a small hand-built network; every expected number is derived here from the rows.

Input map (as in test_services.py): packs 850760 <- cells 850790 (direct), fasteners 7318 (capital);
cells 850790 <- lithium hydroxide 282520. Origins are the shippers' countries.

    S1  PACK  (VN) -> ACME  (US)  850760  1,000   2025-03-01
    S2  VOLTA (CN) -> PACK  (VN)  850790    400   2025-02-01
    S3  SALT  (CN) -> VOLTA (CN)  282520    120   2025-01-10   domestic: never restricted
    S4  SOFA  (VN) -> PACK  (VN)  940360     50   2025-02-02   furniture, no input
    S5  BOLT  (CN) -> PACK  (VN)  731815     30   2025-02-03
    S8  VOLTA (CN) -> ACME  (US)  850760  3,000   2025-05-01
    S9  KPACK (JP) -> BERLIN(DE)  850760    500   2025-04-01
    S10 SALT  (CN) -> GUMI  (KR)  282520    200   2025-01-05
    S11 GUMI  (KR) -> PACK  (VN)  850790    600   2025-02-10
    S12 VOLTA (CN) -> ACME  (US)  850760  9,999   2020-05-01   outside the window
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from screening import services
from screening.errors import InputError
from screening.model import Company, Shipment
from screening.network.graph import Graph
from screening.rules import load_rules
from screening.scenario import Scenario, scenario
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from screening.trace import Window, trace_line
from tests.screening.test_cli import run
from tests.screening.test_services import AS_OF, files, load  # noqa: F401  (fixture)

WINDOW = Window.default(AS_OF)  # 2021-06-30 .. 2026-06-30

COUNTRIES = {
    "PACK": "VN",
    "VOLTA": "CN",
    "SALT": "CN",
    "SOFA": "VN",
    "BOLT": "CN",
    "ACME": "US",
    "KPACK": "JP",
    "BERLIN": "DE",
    "GUMI": "KR",
}
ROWS = (
    ("S1", "PACK", "ACME", "850760", 1000, "2025-03-01"),
    ("S2", "VOLTA", "PACK", "850790", 400, "2025-02-01"),
    ("S3", "SALT", "VOLTA", "282520", 120, "2025-01-10"),
    ("S4", "SOFA", "PACK", "940360", 50, "2025-02-02"),
    ("S5", "BOLT", "PACK", "731815", 30, "2025-02-03"),
    ("S8", "VOLTA", "ACME", "850760", 3000, "2025-05-01"),
    ("S9", "KPACK", "BERLIN", "850760", 500, "2025-04-01"),
    ("S10", "SALT", "GUMI", "282520", 200, "2025-01-05"),
    ("S11", "GUMI", "PACK", "850790", 600, "2025-02-10"),
    ("S12", "VOLTA", "ACME", "850760", 9999, "2020-05-01"),
)


class Inputs:
    table: ClassVar[dict[str, tuple[str, ...]]] = {"850760": ("850790", "7318"), "850790": ("282520",)}

    def input_set(self, hs6: str) -> tuple[str, ...]:
        return tuple(sorted({hs6, *self.table.get(hs6, ())}))


def network() -> Graph:
    shipments = [
        Shipment(sid, shipper, consignee, hs, float(value), dt.date.fromisoformat(day), COUNTRIES[shipper])
        for sid, shipper, consignee, hs, value, day in ROWS
    ]
    companies = [Company(c, f"{c.title()} Co", country) for c, country in COUNTRIES.items()]
    return Graph.build(shipments, companies)


def what_if(**options: object) -> Scenario:
    return scenario(network(), Inputs(), window=WINDOW, **options)  # type: ignore[arg-type]


def test_batteries_stop_who_is_hit_at_which_tier_and_who_else_sells() -> None:
    """Restricted: CN-origin 8507 leaving China in the window = S2 (400) and S8 (3,000); S12 is too old.
    ACME: S8 is restricted (tier 1, 3,000); S1 comes from PACK's (PACK, 850760) state, which takes the
    restricted cells S2 (tier 2, 1,000) -> 4,000 of 4,000 at risk, tier 1.
    PACK: S2 restricted (tier 1, 400); S11 (GUMI's cells, from Korean inputs), S4 and S5 are not -> 400 of
    1,080. VOLTA's lithium salt and BERLIN's Japanese packs depend on nothing restricted."""
    result = what_if(origin="CN", hs=("8507",))
    assert (result.restricted_value_usd, result.restricted_shipments, result.companies_at_risk) == (
        3400.0,
        2,
        2,
    )
    rows = [
        (e.company_id, e.value_at_risk_usd, e.purchases, e.purchases_total_usd, e.tier, e.restricted_hs)
        for e in result.exposures
    ]
    assert rows == [
        ("ACME", 4000.0, 2, 4000.0, 1, ("850760", "850790")),
        ("PACK", 400.0, 1, 1080.0, 1, ("850790",)),
    ]
    assert [(s.company_id, s.tier, s.shipment_id) for s in result.exposures[0].path] == [("VOLTA", 1, "S8")]
    # Alternatives, the biggest restricted code first: packs (3,000), then cells (400).
    packs, cells = result.inputs
    assert (packs.hs6, packs.value_usd, cells.hs6, cells.value_usd) == ("850760", 3000.0, "850790", 400.0)
    # KPACK (JP) is independent; PACK sells packs too but its cells come from China (tier 2): last.
    assert [
        (a.company_id, a.value_usd, a.recipients, a.depends_on_origin, a.dependency_tier)
        for a in packs.alternatives
    ] == [
        ("KPACK", 500.0, 1, False, None),
        ("PACK", 1000.0, 1, True, 2),
    ]
    assert [(a.company_id, a.value_usd, a.depends_on_origin) for a in cells.alternatives] == [
        ("GUMI", 600.0, False)
    ]


def test_a_dependency_three_tiers_up_and_its_evidence_path() -> None:
    """Lithium hydroxide (2825): S10 leaves China for Korea (restricted); S3 stays in China (not).
    GUMI (KR) imports it: tier 1, 200. PACK buys GUMI's cells S11, made of it: tier 2, 600.
    ACME buys PACK's packs S1, made of those cells: tier 3, 1,000 — ACME > PACK > GUMI by value."""
    result = what_if(origin="CN", hs=("2825",))
    assert (result.restricted_value_usd, result.restricted_shipments) == (200.0, 1)
    assert [(e.company_id, e.value_at_risk_usd, e.tier) for e in result.exposures] == [
        ("ACME", 1000.0, 3),
        ("PACK", 600.0, 2),
        ("GUMI", 200.0, 1),
    ]
    path = result.exposures[0].path
    assert [(s.company_id, s.tier, s.shipment_id, s.hs_code, s.origin) for s in path] == [
        ("PACK", 1, "S1", "850760", "VN"),
        ("GUMI", 2, "S11", "850790", "KR"),
        ("SALT", 3, "S10", "282520", "CN"),
    ]
    # Two tiers: ACME's dependency (tier 3) is out of reach.
    shallow = what_if(origin="CN", hs=("2825",), max_tier=2)
    assert [(e.company_id, e.tier) for e in shallow.exposures] == [("PACK", 2), ("GUMI", 1)]
    # Only US companies; or only named ones.
    assert [e.company_id for e in what_if(origin="CN", hs=("2825",), destination="US").exposures] == ["ACME"]
    named = what_if(origin="CN", hs=("2825",), companies={"GUMI", "BERLIN"})
    assert [e.company_id for e in named.exposures] == ["GUMI"] and named.companies_at_risk == 1


def test_no_hs_means_every_good_and_domestic_trade_is_never_restricted() -> None:
    """Every CN-origin export in the window: S2, S5, S8, S10 = 400 + 30 + 3,000 + 200 (S3 is domestic)."""
    result = what_if(origin="CN")
    assert (result.restricted_value_usd, result.restricted_shipments) == (3630.0, 4)
    assert "VOLTA" not in {e.company_id for e in result.exposures}
    # The window 2019-01-01 .. 2024-01-01 holds S12 alone; 2014 .. 2019 holds nothing at all.
    old = scenario(network(), Inputs(), origin="CN", window=Window.default(dt.date(2024, 1, 1)))
    assert [(e.company_id, e.value_at_risk_usd, e.tier) for e in old.exposures] == [("ACME", 9999.0, 1)]
    empty = scenario(network(), Inputs(), origin="CN", window=Window.default(dt.date(2019, 1, 1)))
    assert (empty.restricted_shipments, empty.exposures, empty.inputs) == (0, (), ())


# --- through the service and the command line, on the loaded network of test_services.py ------------

MORE = "S8,SHENZHEN VOLTA CELLS CO LTD,CN,ACME POWER TOOLS INC,US,850760,3000,2025-05-01,\n"


def test_scenario_command(files: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    files["shipments"].write_text(files["shipments"].read_text(encoding="utf-8") + MORE, encoding="utf-8")
    loaded = run(
        "network", "load", str(files["shipments"]), "--companies", str(files["companies"]), cwd=tmp_path
    )
    assert loaded.returncode == 0, loaded.stderr
    args = [
        "--origin",
        "China",
        "--hs",
        "8507.60, 8507.90",
        "--as-of",
        AS_OF.isoformat(),
        "--rules",
        str(files["rules"]),
    ]
    done = run("scenario", *args, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["origin"], data["hs"], data["restricted"]) == (
        "CN",
        ["850760", "850790"],
        {"value_usd": 3400.0, "shipments": 2},
    )
    acme = data["companies"][0]
    assert (acme["company_id"], acme["value_at_risk_usd"], acme["tier"]) == ("C-ACME", 4000.0, 1)
    assert acme["path"] == [
        {
            "company_id": "C-VOLTA",
            "tier": 1,
            "shipment_id": "S8",
            "name": "Shenzhen Volta Cells Co., Ltd.",
            "hs_code": "850760",
            "date": "2025-05-01",
            "origin": "CN",
            "value_usd": 3000.0,
        }
    ]
    named = run("scenario", *args, "--company", "Hanoi Pack Assembly", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert "C-PACK" in named.stdout and "C-ACME" not in named.stdout.split("Alternatives")[0]
    assert "tier 1: Shenzhen Volta Cells Co., Ltd. [C-VOLTA] shipped 850790 (CN)" in named.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"origin": "Atlantis"}, "--origin 'Atlantis' is not a country"),
        ({"origin": "CN", "hs": ["85x"]}, "--hs '85x' is not an HS code"),
        ({"origin": "CN", "destination": "Narnia"}, "--destination 'Narnia' is not a country"),
        ({"origin": "CN", "max_tier": 0}, "--max-tier 0 is out of range"),
        (
            {"origin": "CN", "companies": ["Zzyzx Quantum Llamas"]},
            "--company 'Zzyzx Quantum Llamas' is no network",
        ),
        ({"origin": "CN", "since": dt.date(2026, 7, 1)}, "--since 2026-07-01 is after --as-of"),
    ],
)
def test_bad_options_are_refused(
    engine: Engine,
    files: dict[str, Path],  # noqa: F811
    options: dict[str, object],
    message: str,
) -> None:
    load(engine, shipments=files["shipments"], companies=files["companies"])
    with session_scope(engine) as session, pytest.raises(InputError, match=message):
        services.scenario(SqlNetworkStore(session), load_rules(files["rules"]), as_of=AS_OF, **options)  # type: ignore[arg-type]


# --- agreement with tracing on random networks -----------------------------------------------------

CODES = ("850760", "850790", "282520", "731815", "940360")
PLACES = ("CN", "VN", "US", "KR")


@dataclass(frozen=True)
class Stopped:
    """The scenario's restriction as a goods rule: tracing cannot see the consignee, so the random
    networks below send every CN-origin shipment abroad, and then the two definitions coincide."""

    id: str = "stop"

    def matches_goods(self, origin: str | None, hs_code: str | None, tier: int) -> bool:
        return origin == "CN" and hs_code is not None and hs_code.startswith(("8507", "2825"))


@st.composite
def networks(draw: st.DrawFn) -> Graph:
    companies = [
        Company(f"K{i}", f"K{i}", draw(st.sampled_from(PLACES))) for i in range(draw(st.integers(2, 7)))
    ]
    rows = []
    for n in range(draw(st.integers(0, 45))):
        shipper, consignee = draw(st.permutations(companies))[:2]
        if shipper.country == "CN" and consignee.country == "CN":
            continue
        day = dt.date(2025, 1, 1) - dt.timedelta(days=draw(st.integers(0, 3000)))
        value = float(draw(st.integers(1, 1000)))
        rows.append(
            Shipment(
                f"S{n}", shipper.company_id, consignee.company_id, draw(st.sampled_from(CODES)), value, day
            )
        )
    return Graph.build(rows, companies)


@given(graph=networks(), max_tier=st.integers(1, 4))
@settings(max_examples=300, deadline=None)
def test_every_company_tier_and_value_agree_with_tracing_each_purchase(graph: Graph, max_tier: int) -> None:
    window = Window.default(dt.date(2025, 1, 1))
    result = scenario(
        graph, Inputs(), origin="CN", hs=("8507", "2825"), window=window, max_tier=max_tier, top=100
    )
    expected: dict[str, tuple[int, float]] = {}
    first, last = window.since.toordinal(), window.as_of.toordinal()
    for j in range(len(graph)):
        if not first <= graph.day[j] <= last:
            continue
        traced = trace_line(
            graph,
            company_id=graph.shipper[j],
            hs_code=graph.hs_code[j],
            line_value=graph.value_usd[j],
            line_origin=graph.origin[j],
            inputs=Inputs(),
            window=window,
            max_tier=max_tier,
            rules=[Stopped()],
        )
        hit = traced.hits.get("stop")
        if hit is not None:
            tier, value = expected.get(graph.consignee[j], (99, 0.0))
            expected[graph.consignee[j]] = (min(tier, hit.tier), value + graph.value_usd[j])
    got = {e.company_id: (e.tier, e.value_at_risk_usd) for e in result.exposures}
    assert got == {c: (t, round(v, 2)) for c, (t, v) in expected.items()}
    for e in result.exposures:
        assert len(e.path) == e.tier and Stopped().matches_goods(
            e.path[-1].origin, e.path[-1].hs_code, e.tier
        )
