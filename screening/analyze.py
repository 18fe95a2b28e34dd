"""Network-wide exposure of trade in a product (CONTRACT section 5, `analyze`): the seed report's view.

Tier 1 is every shipment in the window whose HS code starts with the product and whose consignee is in
the destination (any destination when none is given). Each tier-1 shipment opens the state (shipper,
hs6); tiers 2..N follow section 4's rules (inputs of the state's code plus the code itself), and each
shipment is counted once in the whole analysis, at the first tier that reaches it.

Reported: value and shipment count by tier and origin; at each upstream tier, value by input kind
(`direct` inputs, `capital` goods such as fasteners and machine parts, the product itself passed on by
traders); the top tier-1 suppliers (from an origin, when given) with their number of distinct tier-1
recipients; and the concentration of origins per tier (Herfindahl-Hirschman index on 0..10,000).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from screening.network.graph import Graph
from screening.rules.evaluate import HsInputs
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
    by_tier_kind: tuple[TierKind, ...]
    top_suppliers: tuple[Supplier, ...]
    concentration: tuple[Concentration, ...]


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
) -> Analysis:
    """The exposure of trade in `product` (an HS prefix) into `destination`, traced up to `tiers`."""
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
