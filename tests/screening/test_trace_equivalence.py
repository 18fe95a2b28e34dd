"""The vectorised walk of `trace_line` against the row-at-a-time walk it replaced, on random networks.

`reference_trace` below is the former implementation of `screening.trace.trace_line`, one shipment at
a time over `Graph.inbound`, kept as the specification: on every generated network, line, window,
tier bound and rule list both must give identical results -- upstream cells, flags (lowest tier,
value to the last bit, hits, value by tier, evidence path), counted shipments in counting order, and
the number of states.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.model import Company, PathStep, Shipment, UpstreamCell
from screening.network.graph import Graph
from screening.trace import (
    UNKNOWN_ORIGIN,
    WILDCARD,
    InputMap,
    RuleHits,
    TracedRule,
    TraceResult,
    Window,
    trace_line,
)


@dataclass(frozen=True, slots=True)
class _Reached:
    tier: int
    parent: tuple[str, str] | None
    shipment: int | None


def reference_trace(
    graph: Graph,
    *,
    company_id: str,
    hs_code: str | None,
    line_value: float | None,
    line_origin: str | None,
    inputs: InputMap,
    window: Window,
    max_tier: int = 4,
    rules: Sequence[TracedRule] = (),
    party_members: Mapping[str, frozenset[str]] | None = None,
) -> TraceResult:
    """The row-at-a-time breadth-first walk (the implementation `trace_line` had before it was vectorised)."""
    parties = party_members or {}
    goods_rules = [r for r in rules if r.id not in parties]
    party_rules = [r for r in rules if r.id in parties]
    first = window.since.toordinal()
    last = window.as_of.toordinal()

    start = (company_id, hs_code[:6] if hs_code else WILDCARD)
    reached: dict[tuple[str, str], _Reached] = {start: _Reached(1, None, None)}
    counted: dict[int, int] = {}
    upstream: dict[tuple[int, str], list[float]] = {}
    hits: dict[str, RuleHits] = {}

    def path_to(state: tuple[str, str]) -> tuple[PathStep, ...]:
        steps: list[PathStep] = []
        node: tuple[str, str] | None = state
        while node is not None:
            info = reached[node]
            steps.append(_step(graph, node[0], info.tier, info.shipment))
            node = info.parent
        return tuple(reversed(steps))

    def record(rule_id: str, tier: int, value: float, path: Callable[[], tuple[PathStep, ...]]) -> None:
        entry = hits.get(rule_id)
        if entry is None:
            entry = hits[rule_id] = RuleHits(rule_id, tier)
        entry.add(tier, value, path)

    value1 = line_value or 0.0
    origin1 = line_origin or UNKNOWN_ORIGIN
    upstream[(1, origin1)] = [value1, 0]
    tier1_hs = hs_code if hs_code else None
    for rule in goods_rules:
        if rule.matches_goods(line_origin, tier1_hs, 1):
            record(rule.id, 1, value1, lambda: path_to(start))
    for rule in party_rules:
        if company_id in parties[rule.id] and rule.matches_goods(line_origin, tier1_hs, 1):
            record(rule.id, 1, value1, lambda: path_to(start))

    frontier = [start]
    tier = 1
    while frontier and tier < max_tier:
        next_frontier: list[tuple[str, str]] = []
        for state in frontier:
            company, h = state
            prefixes = None if h == WILDCARD else inputs.input_set(h)
            for i in graph.inbound(company, prefixes):
                if i in counted or not first <= graph.day[i] <= last:
                    continue
                k = tier + 1
                counted[i] = k
                value = graph.value_usd[i]
                origin = graph.origin[i]
                cell = upstream.setdefault((k, origin or UNKNOWN_ORIGIN), [0.0, 0])
                cell[0] += value
                cell[1] += 1
                shipper = graph.shipper[i]
                opened = (shipper, graph.hs_code[i][:6])
                if opened not in reached:
                    reached[opened] = _Reached(k, state, i)
                    next_frontier.append(opened)

                def hop_path(
                    parent: tuple[str, str] = state, index: int = i, t: int = k
                ) -> tuple[PathStep, ...]:
                    return (*path_to(parent), _step(graph, graph.shipper[index], t, index))

                code = graph.hs_code[i]
                for rule in goods_rules:
                    if rule.matches_goods(origin, code, k):
                        record(rule.id, k, value, hop_path)
                for rule in party_rules:
                    if shipper in parties[rule.id] and rule.matches_goods(origin, code, k):
                        record(rule.id, k, value, hop_path)
        frontier = next_frontier
        tier += 1

    cells = tuple(
        UpstreamCell(tier=t, origin=o, value_usd=round(v[0], 2), shipments=int(v[1]))
        for (t, o), v in sorted(upstream.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
    )
    return TraceResult(upstream=cells, hits=hits, counted=counted, states=len(reached))


def _step(graph: Graph, company_id: str, tier: int, index: int | None) -> PathStep:
    if index is None:
        return PathStep(company_id=company_id, tier=tier, name=graph.company_name(company_id))
    return PathStep(
        company_id=company_id,
        tier=tier,
        shipment_id=graph.shipment_id[index],
        name=graph.company_name(company_id),
        hs_code=graph.hs_code[index],
        date=graph.date_of(index),
        origin=graph.origin[index],
        value_usd=graph.value_usd[index],
    )


# --------------------------------------------------------------------------------------------------
# Random networks
# --------------------------------------------------------------------------------------------------

# Codes of 4, 6, 8 and 10 digits; 8507 is a group of its own (its hs6 is "8507").
CODES = (
    "850760",
    "8507600010",
    "8507600020",
    "850790",
    "85079040",
    "8507904000",
    "282520",
    "7318",
    "731815",
    "940360",
    "8507",
)
PREFIXES = ("850790", "85079040", "8507600010", "282520", "7318", "73", "850760", "94", "8507", "28252000")
REGISTRY = {"A": "CN", "B": "VN", "C": "CN", "D": "US", "E": None}
PARTIES = (*REGISTRY, "X")  # X ships and receives but is not in the registry
COUNTRIES = ("CN", "VN", "US", "CL")
# A map in the shape of the shipped one (packs <- cells <- hydroxide, fasteners everywhere), with a
# national line longer than six digits, and a product listed by a prefix shorter than six digits.
BATTERIES = (
    ("850760", ("850790", "7318", "8507600010")),
    ("850790", ("282520", "85079040")),
    ("73", ("7318",)),
)


@dataclass(frozen=True)
class MapInputs:
    table: tuple[tuple[str, tuple[str, ...]], ...]

    def input_set(self, hs6: str) -> tuple[str, ...]:
        found = {hs6}
        for product, inputs in self.table:
            if hs6.startswith(product):
                found.update(inputs)
        return tuple(sorted(found))


@dataclass(frozen=True)
class Rule:
    id: str
    origin: str | None = None
    hs: str | None = None
    min_tier: int = 1
    max_tier: int | None = None

    def matches_goods(self, origin: str | None, hs_code: str | None, tier: int) -> bool:
        if tier < self.min_tier or (self.max_tier is not None and tier > self.max_tier):
            return False
        if self.origin is not None and origin != self.origin:
            return False
        return self.hs is None or (hs_code is not None and hs_code.startswith(self.hs))


DAYS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 12, 31))
VALUES = st.one_of(
    st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False),
    st.integers(0, 10_000).map(lambda cents: cents / 100),
)


@st.composite
def networks(draw: st.DrawFn) -> tuple[Graph, list[Shipment]]:
    size = draw(st.integers(0, 80))
    numbers = draw(st.lists(st.integers(0, 10_000), min_size=size, max_size=size, unique=True))
    days = draw(st.lists(DAYS, min_size=1, max_size=4))  # few dates: ties broken by shipment id
    shipments = [
        Shipment(
            shipment_id=f"S{number}",
            shipper_id=draw(st.sampled_from(PARTIES)),
            consignee_id=draw(st.sampled_from(PARTIES)),
            hs_code=draw(st.sampled_from(CODES)),
            value_usd=draw(VALUES),
            date=draw(st.sampled_from(days)),
            origin_country=draw(st.sampled_from((None, None, *COUNTRIES))),
        )
        for number in numbers
    ]
    companies = [Company(company_id=c, name=f"Company {c}", country=k) for c, k in REGISTRY.items()]
    return Graph.build(shipments, companies), shipments


@st.composite
def rule_lists(draw: st.DrawFn) -> tuple[list[Rule], dict[str, frozenset[str]]]:
    rules = [
        Rule(
            id=f"r{n}",
            origin=draw(st.sampled_from((None, None, *COUNTRIES))),
            hs=draw(st.sampled_from((None, None, *PREFIXES, "8507600010", "85"))),
            min_tier=draw(st.integers(1, 3)),
            max_tier=draw(st.sampled_from((None, 2, 3, 5))),
        )
        for n in range(draw(st.integers(0, 8)))
    ]
    members = {
        rule.id: frozenset(draw(st.lists(st.sampled_from(PARTIES), max_size=3)))
        for rule in rules
        if draw(st.booleans())
    }
    return rules, members


input_maps = st.one_of(
    st.just(MapInputs(BATTERIES)),
    st.just(MapInputs(BATTERIES)),
    st.lists(
        st.tuples(
            st.sampled_from(("850760", "8507", "850790", "282520", "7318", "94", "85")),
            st.lists(st.sampled_from(PREFIXES), max_size=4).map(tuple),
        ),
        max_size=4,
    ).map(lambda table: MapInputs(tuple(table))),
)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    as_of = dt.date(2026, 12, 31) if draw(st.integers(0, 3)) else draw(DAYS)
    if draw(st.integers(0, 3)):
        return Window.default(as_of)
    return Window(since=as_of - dt.timedelta(days=draw(st.integers(0, 2000))), as_of=as_of)


def assert_same(fast: TraceResult, slow: TraceResult) -> None:
    assert fast.upstream == slow.upstream
    assert list(fast.hits) == list(slow.hits)  # the same flags, found in the same order
    for rule_id, hits in slow.hits.items():
        got = fast.hits[rule_id]
        assert (got.tier, got.value_usd, got.hits, got.by_tier) == (
            hits.tier,
            hits.value_usd,
            hits.hits,
            hits.by_tier,
        )
        assert list(got.by_tier) == list(hits.by_tier)
        assert got.path == hits.path
    assert list(fast.counted.items()) == list(slow.counted.items())
    assert fast.states == slow.states


@st.composite
def lines(draw: st.DrawFn, shipments: list[Shipment]) -> tuple[str, str | None]:
    """A line's supplier and HS code: mostly a consignee of the network and goods it ships."""
    if shipments and draw(st.integers(0, 4)):
        company = draw(st.sampled_from([s.consignee_id for s in shipments]))
        shipped = [s.hs_code for s in shipments if s.shipper_id == company]
        hs = draw(st.sampled_from([*shipped, *CODES, None] if shipped else [*CODES, None]))
        return company, hs
    return draw(st.sampled_from((*PARTIES, "Z"))), draw(
        st.sampled_from((None, *CODES, "85076000"))
    )  # Z: unknown


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    network=networks(),
    inputs=input_maps,
    window=windows(),
    value=st.one_of(st.none(), VALUES),
    origin=st.sampled_from((None, *COUNTRIES)),
    max_tier=st.integers(1, 6),
    rules=rule_lists(),
)
def test_the_vectorised_walk_gives_the_row_at_a_time_results(
    data: st.DataObject,
    network: tuple[Graph, list[Shipment]],
    inputs: MapInputs,
    window: Window,
    value: float | None,
    origin: str | None,
    max_tier: int,
    rules: tuple[list[Rule], dict[str, frozenset[str]]],
) -> None:
    graph, shipments = network
    company, hs = data.draw(lines(shipments))
    listed, members = rules
    arguments = {
        "company_id": company,
        "hs_code": hs,
        "line_value": value,
        "line_origin": origin,
        "inputs": inputs,
        "window": window,
        "max_tier": max_tier,
        "rules": listed,
        "party_members": members,
    }
    slow = reference_trace(graph, **arguments)  # type: ignore[arg-type]
    fast = trace_line(graph, **arguments)  # type: ignore[arg-type]
    assert_same(fast, slow)
    # A second line on the same graph reuses the kept rows and rule tables: still the same answer,
    # and the first line left no mark behind.
    assert_same(trace_line(graph, **arguments), slow)  # type: ignore[arg-type]


def test_the_reference_is_the_walk_the_golden_tests_describe() -> None:
    """A fixed case, so that a change to the reference itself cannot go unnoticed."""
    companies = [Company(company_id=c, name=c, country=k) for c, k in REGISTRY.items()]
    day = dt.date(2025, 1, 15)
    graph = Graph.build(
        [
            Shipment("S1", "C", "B", "8507900000", 100.0, day),
            Shipment("S2", "D", "C", "282520", 50.0, day, origin_country="CL"),
            Shipment("S3", "A", "C", "282520", 25.0, day, origin_country="VN"),
            Shipment("S4", "D", "B", "940360", 999.0, day),
        ],
        companies,
    )
    inputs = MapInputs((("850760", ("850790",)), ("850790", ("282520",))))
    arguments = {
        "company_id": "B",
        "hs_code": "850760",
        "line_value": 10.0,
        "line_origin": "VN",
        "inputs": inputs,
        "window": Window.default(dt.date(2026, 6, 30)),
        "rules": [Rule("cn", origin="CN")],
    }
    for result in (reference_trace(graph, **arguments), trace_line(graph, **arguments)):  # type: ignore[arg-type]
        assert {(c.tier, c.origin, c.value_usd, c.shipments) for c in result.upstream} == {
            (1, "VN", 10.0, 0),
            (2, "CN", 100.0, 1),
            (3, "CL", 50.0, 1),
            (3, "VN", 25.0, 1),
        }
        assert (result.hits["cn"].tier, result.hits["cn"].value_usd, result.hits["cn"].hits) == (2, 100.0, 1)
        assert [step.shipment_id for step in result.hits["cn"].path] == [None, "S1"]
        assert result.states == 4


def _line(
    graph: Graph, inputs: InputMap, rules: Sequence[Rule] = (), **kw: object
) -> tuple[TraceResult, TraceResult]:
    arguments: dict[str, object] = {
        "company_id": "B",
        "hs_code": "850760",
        "line_value": 1.0,
        "line_origin": "VN",
        "inputs": inputs,
        "window": Window.default(dt.date(2026, 6, 30)),
        "rules": rules,
        **kw,
    }
    return trace_line(graph, **arguments), reference_trace(graph, **arguments)  # type: ignore[arg-type]


REGISTRY_COMPANIES = [Company(company_id=c, name=c, country=k) for c, k in REGISTRY.items()]


def test_an_input_longer_than_six_digits_takes_only_its_own_national_lines() -> None:
    day = dt.date(2025, 1, 15)
    graph = Graph.build(
        [
            Shipment("S1", "A", "B", "85079040", 1.0, day),  # the input itself: counted
            Shipment("S2", "A", "B", "850790", 2.0, day),  # same hs6, not under 85079040
            Shipment("S3", "A", "B", "8507900000", 4.0, day),  # same hs6, not under 85079040
            Shipment("S4", "C", "B", "8507904000", 8.0, day),  # under 85079040: counted
        ],
        REGISTRY_COMPANIES,
    )
    fast, slow = _line(graph, MapInputs((("850760", ("85079040",)),)))
    assert_same(fast, slow)
    assert sorted(graph.shipment_id[i] for i in fast.counted) == ["S1", "S4"]


def test_flags_are_listed_in_the_order_their_first_hits_are_found() -> None:
    day = dt.date(2025, 1, 15)
    graph = Graph.build(
        [
            Shipment("S1", "A", "B", "850790", 1.0, day),  # CN: hits "cn" (listed second) first
            Shipment("S2", "E", "B", "850790", 2.0, day, origin_country="VN"),  # hits "vn" (listed first)
        ],
        REGISTRY_COMPANIES,
    )
    rules = [Rule("vn", origin="VN", min_tier=2), Rule("cn", origin="CN")]
    fast, slow = _line(graph, MapInputs(BATTERIES), rules)
    assert_same(fast, slow)
    assert list(fast.hits) == ["cn", "vn"]


def test_values_add_up_in_the_walks_order_to_the_last_bit() -> None:
    # Hundreds of hits of very different sizes: a pairwise or reordered sum would differ in the last bits.
    day = dt.date(2025, 1, 15)
    values = [(n * 7919 % 1000) * 10.0 ** (n % 9 - 2) + 0.1 for n in range(600)]
    graph = Graph.build(
        [Shipment(f"S{n:04d}", "A", "B", "850790", v, day) for n, v in enumerate(values)], REGISTRY_COMPANIES
    )
    fast, slow = _line(graph, MapInputs(BATTERIES), [Rule("cn", origin="CN")])
    assert_same(fast, slow)
    expected = 0.0
    for v in values:
        expected += v
    assert fast.hits["cn"].value_usd == expected
    assert fast.hits["cn"].by_tier == {2: expected}
    assert float(np.sum(values)) != expected  # numpy's pairwise sum would not do
