"""The report page's views of a report: value by origin region, tier and outcome (and its Sankey), the
flagged lines' order and each line's tier tree merged from its flags' evidence paths."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

from screening.model import Flag, LineResult, Match, PathStep, UpstreamCell
from screening.report import flagged_lines, sorted_flags
from screening.report_views import (
    FLAGGED,
    NOT_FLAGGED,
    flow_cells,
    flow_table,
    hit_text,
    origins_reached,
    report_sankey,
    sankey_text,
    tier_tree,
    worst_severity,
)

ROOT = PathStep(company_id="C1", tier=1, name="Ningbo Magnet Works")
MAGNETS = PathStep(
    company_id="C2",
    tier=2,
    shipment_id="S9",
    name="Baotou Alloy Trading",
    hs_code="850511",
    date=dt.date(2025, 6, 2),
    origin="CN",
    value_usd=1200.0,
)
OXIDE = PathStep(
    company_id="C3",
    tier=3,
    shipment_id="S12",
    name="Ganzhou Smelting",
    hs_code="280530",
    date=dt.date(2025, 5, 1),
    origin="CN",
    value_usd=500.0,
)
STEEL = PathStep(
    company_id="C4",
    tier=2,
    shipment_id="S20",
    name="Osaka Steel",
    hs_code="731816",
    date=dt.date(2024, 1, 3),
    origin="JP",
    value_usd=90.0,
)


def flag(
    rule_id: str, path: tuple[PathStep, ...], severity: str = "high", kind: str = "export_control"
) -> Flag:
    return Flag(
        rule_id=rule_id,
        kind=kind,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        tier=path[-1].tier,
        value_usd=100.0,
        hits=1,
        path=path,
    )


def line(number: int, flags: tuple[Flag, ...], upstream: tuple[UpstreamCell, ...] = ()) -> LineResult:
    return LineResult(
        line=number,
        input={"supplier_name": f"Supplier {number}"},
        match=Match(status="matched", company_id="C1", name="Ningbo Magnet Works", country="CN", score=1.0),
        upstream=upstream,
        flags=flags,
    )


UPSTREAM = (
    UpstreamCell(tier=1, origin="CN", value_usd=1000.0, shipments=0),
    UpstreamCell(tier=2, origin="CN", value_usd=1200.0, shipments=3),
    UpstreamCell(tier=2, origin="JP", value_usd=90.0, shipments=1),
    UpstreamCell(tier=3, origin="CN", value_usd=800.0, shipments=2),
)


def test_the_tier_tree_merges_the_flags_paths_and_lists_each_flag_where_its_path_ends() -> None:
    tariff = flag("us-301", (ROOT,), severity="medium", kind="tariff")
    magnets = flag("cn-18", (ROOT, MAGNETS))
    oxide = flag("cn-57", (ROOT, MAGNETS, OXIDE))
    steel = flag("us-232", (ROOT, STEEL), severity="low")
    (tree,) = tier_tree(line(2, (tariff, steel, oxide, magnets), UPSTREAM))

    assert tree.step == ROOT and tree.consignee is None
    assert [f.rule_id for f in tree.flags] == ["us-301"]
    assert tree.counted == UPSTREAM[0]  # the line's own value at tier 1
    assert [child.step for child in tree.children] == [MAGNETS, STEEL]  # the most severe path first
    magnets_hop, steel_hop = tree.children
    assert magnets_hop.consignee == ROOT and [f.rule_id for f in magnets_hop.flags] == ["cn-18"]
    assert magnets_hop.counted == UPSTREAM[1]  # this line's tier-2 shipments from CN
    assert steel_hop.counted == UPSTREAM[2]
    (oxide_hop,) = magnets_hop.children
    assert oxide_hop.consignee == MAGNETS and oxide_hop.children == ()
    assert [f.rule_id for f in oxide_hop.flags] == ["cn-57"]
    assert tree.hops() == 4
    assert set(tree.rule_ids()) == {"us-301", "cn-18", "cn-57", "us-232"}
    assert origins_reached([tree]) == ("CN", "JP")
    assert len({node.key for node in (tree, magnets_hop, steel_hop, oxide_hop)}) == 4


def test_a_hop_reached_by_another_shipment_is_a_separate_branch() -> None:
    other = replace(MAGNETS, shipment_id="S10")
    (tree,) = tier_tree(line(2, (flag("a", (ROOT, MAGNETS)), flag("b", (ROOT, other)))))
    assert [child.step.shipment_id for child in tree.children] == ["S9", "S10"]


def test_a_line_without_paths_has_no_tree_and_a_restricted_party_by_name_its_own_root() -> None:
    assert tier_tree(line(2, ())) == ()
    listed = PathStep(company_id="P9", tier=1, name="Supplier 2")
    (tree,) = tier_tree(line(2, (flag("party", (listed,), kind="restricted_party"),)))
    assert tree.step == listed and tree.counted is None and tree.children == ()


def test_flagged_lines_come_most_severe_first_then_in_file_order() -> None:
    lines = [
        line(5, (flag("x", (ROOT,), severity="low"),)),
        line(3, ()),
        line(9, (flag("y", (ROOT,), severity="high"),)),
        line(4, (flag("z", (ROOT,), severity="low"), flag("w", (ROOT,), severity="high"))),
    ]
    assert [item.line for item in flagged_lines(lines)] == [4, 9, 5]
    assert worst_severity(lines[3]) == "high" and worst_severity(lines[1]) is None
    assert [f.rule_id for f in sorted_flags(lines[3])] == ["w", "z"]


def test_hit_text_names_the_hop_that_met_the_rule() -> None:
    text = hit_text(flag("cn-57", (ROOT, MAGNETS, OXIDE)))
    assert text == "Met at tier 3: a shipment by Ganzhou Smelting, HS 280530, origin CN, on 2025-05-01."
    assert (
        hit_text(flag("us-301", (ROOT,)))
        == "Met at tier 1 by the listed supplier itself, Ningbo Magnet Works."
    )


def test_flow_cells_sum_value_by_region_tier_and_outcome_china_first() -> None:
    flagged = line(2, (flag("a", (ROOT, MAGNETS)),), UPSTREAM)
    clean = line(
        3,
        (),
        (
            UpstreamCell(tier=1, origin="DE", value_usd=50.0, shipments=0),
            UpstreamCell(tier=2, origin="CN", value_usd=10.0, shipments=1),
            UpstreamCell(tier=2, origin="HK", value_usd=5.0, shipments=1),
        ),
    )
    cells = flow_cells([clean, flagged])
    assert [(c.region, c.tier, c.flagged, c.value_usd, c.shipments) for c in cells] == [
        ("China", 1, True, 1000.0, 0),
        ("China", 2, True, 1200.0, 3),
        ("China", 2, False, 10.0, 1),
        ("China", 3, True, 800.0, 2),
        ("elsewhere in Asia", 2, True, 90.0, 1),  # JP
        ("elsewhere in Asia", 2, False, 5.0, 1),  # HK is not China
        ("EU", 1, False, 50.0, 0),
    ]
    table = flow_table(cells)
    assert table.tiers == (1, 2, 3)
    assert [(r.region, r.values, r.total) for r in table.regions] == [
        ("China", (1000.0, 1210.0, 800.0), 3010.0),
        ("elsewhere in Asia", (0.0, 95.0, 0.0), 95.0),
        ("EU", (50.0, 0.0, 0.0), 50.0),
    ]
    assert [(r.region, r.total) for r in table.outcomes] == [(FLAGGED, 3090.0), (NOT_FLAGGED, 65.0)]
    assert table.totals == (1050.0, 1305.0, 800.0) and table.total == 3155.0

    layout = report_sankey(cells)
    assert layout is not None
    columns: dict[int, list[str]] = {}
    for node in layout.nodes:
        columns.setdefault(node.column, []).append(node.label)
    assert columns == {
        0: ["China", "elsewhere in Asia", "EU"],
        1: ["tier 1", "tier 2", "tier 3"],
        2: [FLAGGED, NOT_FLAGGED],
    }
    values = {node.label: node.value for node in layout.nodes}
    assert math.isclose(values["tier 2"], 1305.0) and math.isclose(values[FLAGGED], 3090.0)
    assert sum(link.value for link in layout.links if link.target == "outcome:1") == 3090.0
    text = sankey_text(cells)
    assert text.startswith("$3.2K traced in all. By origin: China $3.0K") and "lines not flagged" in text


def test_nothing_traced_draws_no_sankey() -> None:
    assert report_sankey(flow_cells([line(2, ())])) is None
    assert report_sankey(()) is None
