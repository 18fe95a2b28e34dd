"""Golden traces on small hand-built networks; every expected number is derived by hand in the test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from screening.model import Company, Shipment, UpstreamCell
from screening.network.graph import Graph
from screening.trace import TraceResult, Window, trace_line

AS_OF = dt.date(2026, 6, 30)
WINDOW = Window.default(AS_OF)  # 2021-06-30 .. 2026-06-30


class Inputs:
    """850760 (packs) <- cells 850790 and fasteners 7318; 850790 (cells) <- LiOH 282520 and 7318."""

    table: ClassVar[dict[str, tuple[str, ...]]] = {"850760": ("850790", "7318"), "850790": ("282520", "7318")}

    def input_set(self, hs6: str) -> tuple[str, ...]:
        found = {hs6}
        for product, inputs in self.table.items():
            if hs6.startswith(product):
                found.update(inputs)
        return tuple(sorted(found))


@dataclass(frozen=True)
class GoodsRule:
    id: str
    origin: str | None = None
    hs: str | None = None
    min_tier: int = 1

    def matches_goods(self, origin: str | None, hs_code: str | None, tier: int) -> bool:
        if self.origin is not None and origin != self.origin:
            return False
        if self.hs is not None and (hs_code is None or not hs_code.startswith(self.hs)):
            return False
        return tier >= self.min_tier


_counter = iter(range(1, 10_000))


def ship(shipper: str, consignee: str, hs: str, value: float, day: str = "2025-01-15", **kw: str) -> Shipment:
    return Shipment(
        shipment_id=kw.get("sid", f"S{next(_counter)}"),
        shipper_id=shipper,
        consignee_id=consignee,
        hs_code=hs,
        value_usd=value,
        date=dt.date.fromisoformat(day),
        origin_country=kw.get("origin"),
    )


COUNTRIES = {"P": "VN", "C": "CN", "F": "CN", "R": "CL", "U": "CN", "T": "VN", "M": "CN", "D": "US"}


def graph(*shipments: Shipment) -> Graph:
    companies = [Company(company_id=c, name=f"Company {c}", country=k) for c, k in COUNTRIES.items()]
    return Graph.build(shipments, companies)


def run(g: Graph, company: str, hs: str | None, value: float | None = 500.0, **kw: object) -> TraceResult:
    return trace_line(
        g,
        company_id=company,
        hs_code=hs,
        line_value=value,
        line_origin=COUNTRIES.get(company),
        inputs=Inputs(),
        window=kw.pop("window", WINDOW),  # type: ignore[arg-type]
        max_tier=kw.pop("max_tier", 4),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def cells(result: TraceResult) -> set[tuple[int, str, float, int]]:
    return {(c.tier, c.origin, c.value_usd, c.shipments) for c in result.upstream}


def test_inputs_are_followed_and_unrelated_goods_are_not() -> None:
    g = graph(
        ship("C", "P", "8507900000", 100.0),  # cells into the pack maker: tier 2, CN
        ship("F", "P", "731815", 10.0),  # screws (capital good): tier 2, CN
        ship("U", "P", "940360", 999.0),  # furniture: not an input of 850760, never counted
        ship("R", "C", "282520", 50.0),  # LiOH into the cell maker: tier 3, CL
        ship("M", "F", "720851", 70.0),  # steel plate into the screw maker: not in I(731815)
        ship("T", "F", "731815", 5.0),  # screws re-shipped to the screw maker: pass-through, tier 3 VN
    )
    result = run(g, "P", "8507600020")
    assert cells(result) == {
        (1, "VN", 500.0, 0),
        (2, "CN", 110.0, 2),
        (3, "CL", 50.0, 1),
        (3, "VN", 5.0, 1),
    }


def test_cycle_terminates_and_counts_each_shipment_once() -> None:
    # P -> C and C -> P both ship packs; P's state is reached at tier 1, so the cycle closes.
    g = graph(
        ship("C", "P", "850760", 100.0, sid="S-CP"),
        ship("P", "C", "850760", 40.0, sid="S-PC"),
    )
    result = run(g, "P", "850760", max_tier=6)
    # tier 2: C->P (CN, 100) opens (C, 850760); tier 3: P->C (VN origin, 40) counted, (P, 850760)
    # already reached so nothing more opens.
    assert cells(result) == {(1, "VN", 500.0, 0), (2, "CN", 100.0, 1), (3, "VN", 40.0, 1)}
    assert result.states == 2


def test_transshipment_keeps_the_origin_of_the_goods() -> None:
    g = graph(
        ship("T", "D", "850760", 300.0, origin="CN"),  # Vietnamese trader, Chinese goods
        ship("M", "T", "850760", 280.0),  # maker to trader: origin defaults to the shipper's country
    )
    result = run(g, "D", "850760")
    assert cells(result) == {(1, "US", 500.0, 0), (2, "CN", 300.0, 1), (3, "CN", 280.0, 1)}


def test_line_without_hs_code_traces_every_input_of_the_supplier() -> None:
    g = graph(
        ship("C", "P", "850790", 100.0),
        ship("U", "P", "940360", 999.0),  # counted: the wildcard takes every code at tier 2
        ship("R", "C", "282520", 50.0),  # tier 3 via (C, 850790)
        ship("M", "U", "440710", 20.0),  # timber into the furniture maker: not an input of 940360
        ship("T", "U", "940360", 7.0),  # furniture re-shipped: pass-through of (U, 940360), tier 3
    )
    result = run(g, "P", None, value=None)
    assert cells(result) == {
        (1, "VN", 0.0, 0),
        (2, "CN", 1099.0, 2),
        (3, "CL", 50.0, 1),
        (3, "VN", 7.0, 1),
    }


def test_shipments_outside_the_window_are_not_counted() -> None:
    window = Window(since=dt.date(2024, 1, 1), as_of=dt.date(2024, 12, 31))
    g = graph(
        ship("C", "P", "850790", 1.0, day="2023-12-31"),  # a day too early
        ship("C", "P", "850790", 2.0, day="2024-01-01"),  # first day: in
        ship("C", "P", "850790", 4.0, day="2024-12-31"),  # last day: in
        ship("C", "P", "850790", 8.0, day="2025-01-01"),  # a day too late
    )
    result = run(g, "P", "850760", window=window)
    assert cells(result) == {(1, "VN", 500.0, 0), (2, "CN", 6.0, 2)}


def test_default_window_is_five_years_back() -> None:
    assert Window.default(dt.date(2026, 11, 28)) == Window(dt.date(2021, 11, 28), dt.date(2026, 11, 28))
    assert Window.default(dt.date(2024, 2, 29)).since == dt.date(2019, 2, 28)


def test_a_state_reached_twice_is_opened_once() -> None:
    g = graph(
        ship("C", "P", "850790", 100.0),
        ship("C", "P", "850790", 60.0),  # same state (C, 850790) again: counted, not re-opened
        ship("R", "C", "282520", 50.0),  # must be counted once, not once per arrival at C
    )
    result = run(g, "P", "850760")
    assert cells(result) == {(1, "VN", 500.0, 0), (2, "CN", 160.0, 2), (3, "CL", 50.0, 1)}
    assert result.states == 3


def test_a_shipment_reachable_from_two_states_is_counted_once() -> None:
    # C holds two states: (C, 850790) and (C, 850760); screws into C are inputs of both.
    g = graph(
        ship("C", "P", "850790", 100.0),
        ship("C", "P", "850760", 30.0),  # pass-through of the pack itself opens (C, 850760)
        ship("F", "C", "731829", 9.0),
    )
    result = run(g, "P", "850760")
    assert cells(result) == {(1, "VN", 500.0, 0), (2, "CN", 130.0, 2), (3, "CN", 9.0, 1)}
    assert sum(1 for tier in result.counted.values() if tier == 3) == 1


def test_max_tier_bounds_the_walk() -> None:
    g = graph(ship("C", "P", "850790", 100.0), ship("R", "C", "282520", 50.0))
    assert cells(run(g, "P", "850760", max_tier=2)) == {(1, "VN", 500.0, 0), (2, "CN", 100.0, 1)}
    assert cells(run(g, "P", "850760", max_tier=1)) == {(1, "VN", 500.0, 0)}


def test_flags_keep_lowest_tier_summed_value_hit_count_and_one_path() -> None:
    g = graph(
        ship("C", "P", "850790", 100.0, sid="S1"),
        ship("R", "C", "282520", 50.0, sid="S2"),
        ship("M", "C", "282520", 25.0, sid="S3"),
    )
    china = GoodsRule("china-origin", origin="CN")
    lioh = GoodsRule("lioh", hs="282520")
    result = run(g, "P", "850760", rules=[china, lioh])
    # china-origin: S1 (tier 2, 100) and S3 (tier 3, 25); the line itself is VN.
    flag = result.hits["china-origin"]
    assert (flag.tier, flag.value_usd, flag.hits) == (2, 125.0, 2)
    assert [(s.company_id, s.tier, s.shipment_id) for s in flag.path] == [("P", 1, None), ("C", 2, "S1")]
    # lioh: S2 and S3, both tier 3; path goes through the first one found.
    lioh_hits = result.hits["lioh"]
    assert (lioh_hits.tier, lioh_hits.value_usd, lioh_hits.hits) == (3, 75.0, 2)
    assert [(s.company_id, s.shipment_id) for s in lioh_hits.path] == [("P", None), ("C", "S1"), ("R", "S2")]


def test_tier_one_is_the_line_itself_for_rules() -> None:
    g = graph(ship("C", "P", "850790", 100.0, sid="S1"))
    packs = GoodsRule("packs", hs="850760")
    vietnam = GoodsRule("vn", origin="VN")
    result = run(g, "P", "8507600010", rules=[packs, vietnam])
    assert (result.hits["packs"].tier, result.hits["packs"].value_usd, result.hits["packs"].hits) == (
        1,
        500.0,
        1,
    )
    assert result.hits["vn"].path[0].company_id == "P"
    # Without an HS code the line meets only rules that have no hs condition.
    no_hs = run(g, "P", None, rules=[packs, vietnam])
    assert "packs" not in no_hs.hits
    assert no_hs.hits["vn"].tier == 1


def test_restricted_parties_hit_the_supplier_and_shippers_of_counted_shipments() -> None:
    g = graph(
        ship("C", "P", "850790", 100.0, sid="S1"),
        ship("R", "C", "282520", 50.0, sid="S2"),
        ship("R", "C", "940360", 80.0, sid="S3"),  # R's furniture is not traced, so not a hit
    )
    party = GoodsRule("ndaa")
    result = run(g, "P", "850760", rules=[party], party_members={"ndaa": frozenset({"R"})})
    hit = result.hits["ndaa"]
    assert (hit.tier, hit.value_usd, hit.hits) == (3, 50.0, 1)
    at_tier_one = run(g, "P", "850760", rules=[party], party_members={"ndaa": frozenset({"P", "R"})})
    assert (at_tier_one.hits["ndaa"].tier, at_tier_one.hits["ndaa"].hits) == (1, 2)
    assert at_tier_one.hits["ndaa"].value_usd == 550.0


def test_upstream_cells_are_ordered_by_tier_then_value() -> None:
    g = graph(ship("C", "P", "850790", 1.0), ship("T", "P", "850790", 9.0))
    assert run(g, "P", "850760").upstream == (
        UpstreamCell(1, "VN", 500.0, 0),
        UpstreamCell(2, "VN", 9.0, 1),
        UpstreamCell(2, "CN", 1.0, 1),
    )
