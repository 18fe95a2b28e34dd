"""Network-wide exposure of trade in a product (CONTRACT section 5, `analyze`): the seed report's view.

Tier 1 is every shipment in the window whose HS code starts with the product and whose consignee is in
the destination (any destination when none is given). Each tier-1 shipment opens the state (shipper,
hs6); tiers 2..N follow section 4's rules (inputs of the state's code plus the code itself), and each
shipment is counted once in the whole analysis, at the first tier that reaches it.

Reported: value and shipment count by tier and origin; at each upstream tier, value by input kind
(`direct` inputs, `capital` goods such as fasteners and machine parts, the product itself passed on by
traders); the same value by origin region (China, elsewhere in Asia, the EU, the destination,
elsewhere); the top tier-1 suppliers (from an origin, when given) with their number of distinct tier-1
recipients; and the concentration of origins per tier (Herfindahl-Hirschman index on 0..10,000).

For goods that downstream industries rely on (permanent magnets in the default rules), the industries
view: the destination's exports of each industry's products, and how much of that value has the
product in its traced supply chain within the same number of tiers (see `industry_exports`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from screening.codes import region_of
from screening.network.graph import Graph
from screening.rules.evaluate import HsInputs, industry_of
from screening.rules.schema import Industry
from screening.trace import UNKNOWN_ORIGIN, Window

SAME_PRODUCT = "same goods"  # a shipment of the state's own code: passed on, not an input
UNLISTED = "unlisted"  # an input prefix the map lists for another product of the state's code


@dataclass(frozen=True, slots=True)
class TierOrigin:
    tier: int
    origin: str
    value_usd: float
    shipments: int


@dataclass(frozen=True, slots=True)
class TierRegion:
    tier: int
    region: str
    value_usd: float
    shipments: int


@dataclass(frozen=True, slots=True)
class RegionTotal:
    """One region over all tiers: the seed's "export shipments of magnets and inputs" by region."""

    region: str
    value_usd: float
    shipments: int


@dataclass(frozen=True, slots=True)
class IndustryExports:
    """The destination's exports of one industry's products, and the part with the product upstream."""

    industry: str
    value_usd: float
    shipments: int
    traced_value_usd: float  # exports whose supply chain, traced to the analysis's tiers, holds the product
    traced_shipments: int


@dataclass(frozen=True, slots=True)
class TierKind:
    tier: int
    kind: str  # "direct" | "capital" | SAME_PRODUCT | UNLISTED
    value_usd: float
    shipments: int


@dataclass(frozen=True, slots=True)
class Supplier:
    company_id: str
    name: str | None
    country: str | None
    value_usd: float
    recipients: int


@dataclass(frozen=True, slots=True)
class Concentration:
    tier: int
    hhi: float  # sum of squared origin shares, 0..10,000
    origins: int
    top_origin: str
    top_share: float


@dataclass(frozen=True, slots=True)
class Analysis:
    product: str
    destination: str | None
    origin: str | None
    tiers: int
    window: Window
    by_tier_origin: tuple[TierOrigin, ...]
    by_tier_region: tuple[TierRegion, ...]
    by_region: tuple[RegionTotal, ...]
    by_tier_kind: tuple[TierKind, ...]
    top_suppliers: tuple[Supplier, ...]
    concentration: tuple[Concentration, ...]
    industries: tuple[IndustryExports, ...] = ()


def analyze(
    graph: Graph,
    inputs: HsInputs,
    *,
    product: str,
    window: Window,
    destination: str | None = None,
    origin: str | None = None,
    tiers: int = 2,
    top: int = 10,
    industries: Sequence[Industry] = (),
) -> Analysis:
    """The exposure of trade in `product` (an HS prefix) into `destination`, traced up to `tiers`.

    With `industries` and a destination, the industries view of the destination's exports is added.
    """
    first, last = window.since.toordinal(), window.as_of.toordinal()
    counted: dict[int, int] = {}
    cells: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0])
    kinds: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0])

    def count(i: int, tier: int) -> None:
        counted[i] = tier
        cell = cells[(tier, graph.origin[i] or UNKNOWN_ORIGIN)]
        cell[0] += graph.value_usd[i]
        cell[1] += 1

    # Tier 1: a scan of every shipment (the graph is indexed by consignee, not by code).
    frontier: dict[tuple[str, str], None] = {}
    supplier_value: dict[str, float] = defaultdict(float)
    supplier_recipients: dict[str, set[str]] = defaultdict(set)
    for i, code in enumerate(graph.hs_code):
        if not code.startswith(product) or not first <= graph.day[i] <= last:
            continue
        consignee = graph.consignee[i]
        if destination is not None and graph.company_country(consignee) != destination:
            continue
        count(i, 1)
        shipper = graph.shipper[i]
        frontier.setdefault((shipper, code[:6]), None)
        if origin is None or graph.origin[i] == origin:
            supplier_value[shipper] += graph.value_usd[i]
            supplier_recipients[shipper].add(consignee)

    reached = dict(frontier)
    tier = 1
    while frontier and tier < tiers:
        following: dict[tuple[str, str], None] = {}
        for company, hs6 in frontier:
            for i in graph.inbound(company, inputs.input_set(hs6)):
                if i in counted or not first <= graph.day[i] <= last:
                    continue
                count(i, tier + 1)
                code = graph.hs_code[i]
                kind = inputs.kind_of(hs6, code) or (SAME_PRODUCT if code.startswith(hs6) else UNLISTED)
                entry = kinds[(tier + 1, kind)]
                entry[0] += graph.value_usd[i]
                entry[1] += 1
                opened = (graph.shipper[i], code[:6])
                if opened not in reached:
                    reached[opened] = None
                    following[opened] = None
        frontier = following
        tier += 1

    ranked = sorted(supplier_value.items(), key=lambda item: (-item[1], item[0]))[:top]
    regions: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0])
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for (t, o), (v, n) in cells.items():
        name = region_of(o, destination)
        for entry in (regions[(t, name)], totals[name]):
            entry[0] += v
            entry[1] += n
    return Analysis(
        product=product,
        destination=destination,
        origin=origin,
        tiers=tiers,
        window=window,
        by_tier_origin=tuple(
            TierOrigin(t, o, round(v[0], 2), int(v[1]))
            for (t, o), v in sorted(cells.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
        ),
        by_tier_region=tuple(
            TierRegion(t, r, round(v[0], 2), int(v[1]))
            for (t, r), v in sorted(regions.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
        ),
        by_region=tuple(
            RegionTotal(r, round(v[0], 2), int(v[1]))
            for r, v in sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
        ),
        by_tier_kind=tuple(
            TierKind(t, k, round(v[0], 2), int(v[1]))
            for (t, k), v in sorted(kinds.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
        ),
        top_suppliers=tuple(
            Supplier(
                company_id=company_id,
                name=graph.company_name(company_id),
                country=graph.company_country(company_id),
                value_usd=round(value, 2),
                recipients=len(supplier_recipients[company_id]),
            )
            for company_id, value in ranked
        ),
        concentration=_concentration(cells),
        industries=(
            industry_exports(
                graph, inputs, industries, product=product, exporter=destination, window=window, tiers=tiers
            )
            if industries and destination is not None
            else ()
        ),
    )


def industry_exports(
    graph: Graph,
    inputs: HsInputs,
    industries: Sequence[Industry],
    *,
    product: str,
    exporter: str,
    window: Window,
    tiers: int,
) -> tuple[IndustryExports, ...]:
    """The exporter country's exports by downstream industry, and how much of each has `product` upstream.

    An export is a shipment in the window whose shipper is in `exporter` and whose consignee is not
    (a consignee of unknown country counts as abroad); its industry is that of the longest listed
    prefix of its HS code (`industries.yaml`). It is *traced* when a shipment of `product` is reached
    within `tiers` tiers from it by section 4's rules: the export is tier 1, the inputs of its
    (shipper, hs6) state tier 2, and so on. The starts are explored together: every state within
    `tiers - 2` hops of some export is expanded once, and a reverse breadth-first pass from the states
    that receive the product gives each state its distance to it.
    """
    first, last = window.since.toordinal(), window.as_of.toordinal()
    exports: list[tuple[int, str, tuple[str, str]]] = []
    for i, code in enumerate(graph.hs_code):
        if not first <= graph.day[i] <= last or graph.company_country(graph.shipper[i]) != exporter:
            continue
        if graph.company_country(graph.consignee[i]) == exporter:
            continue
        industry = industry_of(industries, code)
        if industry is not None:
            exports.append((i, industry, (graph.shipper[i], code[:6])))

    # Forward: expand states up to tiers - 2 hops from the nearest export, recording reverse edges.
    depth: dict[tuple[str, str], int] = {}
    for _i, _industry, state in exports:
        depth.setdefault(state, 0)
    frontier = list(depth)
    feeding: list[tuple[str, str]] = []  # states that receive the product itself
    parents: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    hops = 0
    while frontier and hops <= tiers - 2:
        following: list[tuple[str, str]] = []
        for state in frontier:
            company, hs6 = state
            receives = False
            for i in graph.inbound(company, inputs.input_set(hs6)):
                if not first <= graph.day[i] <= last:
                    continue
                code = graph.hs_code[i]
                receives = receives or code.startswith(product)
                upstream = (graph.shipper[i], code[:6])
                parents[upstream].add(state)
                if upstream not in depth:
                    depth[upstream] = hops + 1
                    following.append(upstream)
            if receives:
                feeding.append(state)
        frontier = following
        hops += 1

    # Backward: hops from each state down to a state that receives the product.
    distance = dict.fromkeys(feeding, 0)
    queue = list(feeding)
    while queue:
        following = []
        for state in queue:
            for parent in parents.get(state, ()):
                if parent not in distance:
                    distance[parent] = distance[state] + 1
                    following.append(parent)
        queue = following

    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0.0, 0])
    for i, industry, state in exports:
        entry = sums[industry]
        value = graph.value_usd[i]
        entry[0] += value
        entry[1] += 1
        if distance.get(state, tiers) <= tiers - 2:
            entry[2] += value
            entry[3] += 1
    return tuple(
        IndustryExports(industry, round(v[0], 2), int(v[1]), round(v[2], 2), int(v[3]))
        for industry, v in sorted(sums.items(), key=lambda item: (-item[1][0], item[0]))
    )


def _concentration(cells: Mapping[tuple[int, str], list[float]]) -> tuple[Concentration, ...]:
    by_tier: dict[int, dict[str, float]] = defaultdict(dict)
    for (tier, origin), (value, _shipments) in cells.items():
        by_tier[tier][origin] = value
    out: list[Concentration] = []
    for tier in sorted(by_tier):
        values = by_tier[tier]
        total = sum(values.values())
        if total <= 0:
            continue
        shares = {origin: value / total for origin, value in values.items()}
        leader = max(shares, key=lambda origin: (shares[origin], origin))
        out.append(
            Concentration(
                tier=tier,
                hhi=round(sum((100 * share) ** 2 for share in shares.values()), 1),
                origins=len(shares),
                top_origin=leader,
                top_share=round(shares[leader], 4),
            )
        )
    return tuple(out)
