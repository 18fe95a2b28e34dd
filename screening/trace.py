"""Breadth-first tracing of one supplier line up the shipment network (CONTRACT.md section 4).

Normative semantics, restated as the invariants this module keeps:

* A state is (company, hs6). A matched line starts one tier-1 state (supplier, hs6 of the line);
  a line without HS code starts a wildcard state whose input set is every code.
* From each state (C, h) at tier k < max_tier, every shipment in the window whose consignee is C
  and whose HS code starts with a prefix of I(h) is counted at tier k+1 -- unless it was already
  counted for this line -- and opens the state (shipper, hs6) at tier k+1 unless that state was
  already reached. Depth-bounded, breadth-first, each state opened once, each shipment counted once.
* Upstream value is summed by (tier, origin) over counted shipments; tier 1 is the line itself.
* Rules are evaluated on tier 1 and on every counted shipment; per rule at most one flag: the
  lowest tier hit, the summed value and number of hits, and the evidence path of the first hit
  found at that lowest tier.

The walk takes its input map and rules through two small protocols so that it can be tested on
hand-built networks without any rule files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from screening.model import PathStep, UpstreamCell
from screening.network.graph import Graph

WILDCARD = "*"
UNKNOWN_ORIGIN = "unknown"


class InputMap(Protocol):
    def input_set(self, hs6: str) -> tuple[str, ...]:
        """Every HS prefix that is an input to hs6, plus hs6 itself (pass-through)."""
        ...


class TracedRule(Protocol):
    """What tracing needs of a rule: an id, and whether goods at a tier meet its conditions."""

    @property
    def id(self) -> str: ...

    def matches_goods(self, origin: str | None, hs_code: str | None, tier: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Window:
    """Shipments with since <= date <= as_of are in the window (both ends inclusive)."""

    since: dt.date
    as_of: dt.date

    @classmethod
    def default(cls, as_of: dt.date, since: dt.date | None = None) -> Window:
        if since is None:
            try:
                since = as_of.replace(year=as_of.year - 5)
            except ValueError:  # 29 February
                since = as_of.replace(year=as_of.year - 5, day=28)
        return cls(since=since, as_of=as_of)


@dataclass(slots=True)
class RuleHits:
    """Accumulates one rule's hits on one line; becomes one flag."""

    rule_id: str
    tier: int
    value_usd: float = 0.0
    hits: int = 0
    path: tuple[PathStep, ...] = ()
    by_tier: dict[int, float] = field(default_factory=dict)  # value of the hits at each tier

    def add(self, tier: int, value: float, path: Callable[[], tuple[PathStep, ...]]) -> None:
        if tier < self.tier or not self.path:
            self.tier = tier
            self.path = path()
        self.value_usd += value
        self.hits += 1
        self.by_tier[tier] = self.by_tier.get(tier, 0.0) + value


@dataclass(slots=True)
class TraceResult:
    upstream: tuple[UpstreamCell, ...]
    hits: dict[str, RuleHits]
    counted: dict[int, int] = field(default_factory=dict)  # shipment index -> tier
    states: int = 0


@dataclass(frozen=True, slots=True)
class _Reached:
    tier: int
    parent: tuple[str, str] | None
    shipment: int | None


def trace_line(
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
    """Trace one matched line from its tier-1 supplier up to `max_tier`.

    `party_members` maps a restricted-party rule id to the network companies that the party list
    matched; such a rule hits the tier-1 company and every shipper of a counted shipment in it.
    Rules absent from `party_members` are goods rules, evaluated on origin, HS code and tier.
    """
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

    # Tier 1: the line itself.
    value1 = line_value or 0.0
    origin1 = line_origin or UNKNOWN_ORIGIN
    upstream[(1, origin1)] = [value1, 0]  # the line itself, not a shipment
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
