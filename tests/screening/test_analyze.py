"""`analyze` on the hand-built network of test_services.py plus one more battery shipment into the US.

Every expected number is derived here from the rows and the test's HS input map (850760 <- 850790
direct, 7318 capital; 850790 <- 282520 direct):
- tier 1 (850760* into US consignees, in the window): S1 Hanoi Pack -> Acme 1,000 (VN) and S8 Volta ->
  Acme 3,000 (CN);
- tier 2, from (Hanoi Pack, 850760): S2 cells 400 (CN, direct) and S5 screws 30 (CN, capital); the
  furniture S4 is no input; from (Volta, 850760): Volta receives no battery inputs;
- tier 3, from (Volta, 850790): Qinghai's lithium salt S3 120 and S7 80 (CN, direct); S6 is from 2020,
  outside the five-year window.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from screening import services
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
