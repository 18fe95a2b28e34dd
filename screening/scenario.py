"""What if an origin stops shipping some goods (CONTRACT section 5, `scenario`).

The restricted shipments are those in the window whose origin is the scenario's origin, whose HS code
starts with one of its prefixes (every code when none is given) and whose consignee is outside the
origin: an export restriction stops exports, not the origin's domestic trade.

A downstream company depends on the restricted goods through a purchase — a shipment it received in
the window — when the purchase itself is restricted (tier 1) or when tracing up from the purchase by
section 4's rules (the purchase opens the state (shipper, hs6); inputs of that state's code are the
next tier) reaches a restricted shipment within `max_tier` tiers; the purchase's tier of dependency is
the tier of the nearest one. A company's value at risk is the value of its purchases that depend; its
tier is the lowest tier among them; its evidence path runs from the purchase's shipper up to the
restricted shipment, hop by hop.

The whole network is answered at once, backwards: every state that receives a restricted shipment
among its inputs is at distance 0; a state whose company ships goods of its code to a company whose
state takes them as inputs puts that state one hop further. Breadth-first, so each state gets its
shortest distance and, with it, the first hop of a shortest evidence path.

Alternatives: for each restricted HS6 code, the shippers of the same code from other origins in the
window, with their volumes and their own dependency on the restricted goods (the state (shipper, hs6)
at some distance): an alternative that itself depends on the origin is not an alternative, and is
ranked after every independent one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from screening.model import PathStep
from screening.network.graph import Graph
from screening.trace import InputMap, Window, path_step

State = tuple[str, str]  # (company id, hs6)


@dataclass(frozen=True, slots=True)
class Exposure:
    """One downstream company's dependency on the restricted goods."""

    company_id: str
    name: str | None
    country: str | None
    value_at_risk_usd: float  # purchases in the window that depend on the restricted goods
    purchases: int  # how many such purchases (shipments received)
    purchases_total_usd: float  # everything the company received in the window, for scale
    tier: int  # lowest tier at which a restricted shipment sits (1: the company imports it directly)
    restricted_hs: tuple[str, ...]  # HS6 codes of the restricted goods its evidence paths end at
    path: tuple[PathStep, ...]  # from the dependent purchase (tier 1) to the restricted shipment


@dataclass(frozen=True, slots=True)
class Alternative:
    company_id: str
    name: str | None
    country: str | None
    value_usd: float  # its shipments of the code from other origins, in the window
    shipments: int
    recipients: int
    depends_on_origin: bool
    dependency_tier: int | None  # tier of the restricted goods upstream of its own shipments (>= 2)


@dataclass(frozen=True, slots=True)
class RestrictedInput:
    hs6: str
    value_usd: float  # restricted shipments of this code in the window
    shipments: int
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True, slots=True)
class Scenario:
    origin: str
    hs: tuple[str, ...]  # empty: every code
    window: Window
    max_tier: int
    destination: str | None
    restricted_value_usd: float
    restricted_shipments: int
    companies_at_risk: int  # before `top` and `companies` narrow the list
    exposures: tuple[Exposure, ...]
    inputs: tuple[RestrictedInput, ...]


def scenario(
    graph: Graph,
    inputs: InputMap,
    *,
    origin: str,
    hs: Sequence[str] = (),
    window: Window,
    max_tier: int = 4,
    destination: str | None = None,
    companies: Collection[str] = (),
    top: int = 25,
    alternatives: int = 5,
) -> Scenario:
    """Downstream companies ranked by value at risk if `origin` stops exporting goods of `hs`.

    `destination` keeps only companies in that country and `companies` (ids) only those companies;
    a company gets a row only when something it received depends on the restricted goods.
    """
    first, last = window.since.toordinal(), window.as_of.toordinal()
    prefixes = tuple(hs)

    def in_window(i: int) -> bool:
        return first <= graph.day[i] <= last

    def restricted(i: int) -> bool:
        return (
            graph.origin[i] == origin
            and graph.hs_code[i].startswith(prefixes or ("",))
            and graph.company_country(graph.consignee[i]) != origin
        )

    # Shipments in the window by (shipper, hs6), and the codes each company ships (its states).
    by_shipper: dict[State, list[int]] = defaultdict(list)
    ships: dict[str, set[str]] = defaultdict(set)
    blocked: list[int] = []
    for i in range(len(graph)):
        if not in_window(i):
            continue
        hs6 = graph.hs_code[i][:6]
        by_shipper[(graph.shipper[i], hs6)].append(i)
        ships[graph.shipper[i]].add(hs6)
        if restricted(i):
            blocked.append(i)
    blocked.sort(key=lambda i: (graph.shipment_id[i], i))
    blocked_set = set(blocked)

    input_sets: dict[str, tuple[str, ...]] = {}

    def takes(company: str, code: str) -> list[str]:
        """The states of `company` (its shipped codes) that take goods of `code` as inputs."""
        out = []
        for hs6 in sorted(ships.get(company, ())):
            prefixes_of = input_sets.get(hs6)
            if prefixes_of is None:
                prefixes_of = input_sets[hs6] = inputs.input_set(hs6)
            if code.startswith(prefixes_of):
                out.append(hs6)
        return out

    # Backwards from the restricted shipments: distance of each state to one, and its first hop.
    distance: dict[State, int] = {}
    hop: dict[State, tuple[int, State | None]] = {}  # state -> (shipment into it, state it comes from)
    level: list[State] = []
    for r in blocked:
        consignee = graph.consignee[r]
        for hs6 in takes(consignee, graph.hs_code[r]):
            state = (consignee, hs6)
            if state not in distance:
                distance[state] = 0
                hop[state] = (r, None)
                level.append(state)
    d = 0
    while level and d + 2 < max_tier:
        following: list[State] = []
        for state in level:
            for j in by_shipper.get(state, ()):
                buyer = graph.consignee[j]
                for hs6 in takes(buyer, graph.hs_code[j]):
                    upper = (buyer, hs6)
                    if upper not in distance:
                        distance[upper] = d + 1
                        hop[upper] = (j, state)
                        following.append(upper)
        level = following
        d += 1

    def tier_of(j: int) -> int | None:
        if j in blocked_set:
            return 1
        dist = distance.get((graph.shipper[j], graph.hs_code[j][:6]))
        return None if dist is None or dist + 2 > max_tier else dist + 2

    def path_of(j: int) -> tuple[PathStep, ...]:
        steps = [_step(graph, j, 1)]
        state: State | None = (graph.shipper[j], graph.hs_code[j][:6])
        if j in blocked_set:
            return tuple(steps)
        while state is not None:
            shipment, state = hop[state]
            steps.append(_step(graph, shipment, len(steps) + 1))
        return tuple(steps)

    # Downstream: every company's purchases, with their tier of dependency.
    risk: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    received: dict[str, float] = defaultdict(float)
    nearest: dict[str, tuple[int, float, int]] = {}  # company -> (tier, -value, index) of its best path
    ends: dict[str, set[str]] = defaultdict(set)
    wanted = set(companies)
    for j in range(len(graph)):
        if not in_window(j):
            continue
        buyer = graph.consignee[j]
        if destination is not None and graph.company_country(buyer) != destination:
            continue
        if wanted and buyer not in wanted:
            continue
        received[buyer] += graph.value_usd[j]
        tier = tier_of(j)
        if tier is None:
            continue
        entry = risk[buyer]
        entry[0] += graph.value_usd[j]
        entry[1] += 1
        ends[buyer].add(graph.hs_code[_last_shipment(j, blocked_set, graph, hop)][:6])
        key = (tier, -graph.value_usd[j], j)
        if buyer not in nearest or key < nearest[buyer]:
            nearest[buyer] = key

    ranked = sorted(risk, key=lambda c: (-risk[c][0], nearest[c][0], c))
    exposures = tuple(
        Exposure(
            company_id=c,
            name=graph.company_name(c),
            country=graph.company_country(c),
            value_at_risk_usd=round(risk[c][0], 2),
            purchases=int(risk[c][1]),
            purchases_total_usd=round(received[c], 2),
            tier=nearest[c][0],
            restricted_hs=tuple(sorted(ends[c])),
            path=path_of(nearest[c][2]),
        )
        for c in ranked[:top]
    )
    return Scenario(
        origin=origin,
        hs=prefixes,
        window=window,
        max_tier=max_tier,
        destination=destination,
        restricted_value_usd=round(sum(graph.value_usd[i] for i in blocked), 2),
        restricted_shipments=len(blocked),
        companies_at_risk=len(risk),
        exposures=exposures,
        inputs=_alternatives(graph, blocked, by_shipper, distance, origin, max_tier, alternatives),
    )


def _last_shipment(
    j: int, blocked: set[int], graph: Graph, hop: dict[State, tuple[int, State | None]]
) -> int:
    """The restricted shipment at the end of purchase `j`'s evidence path."""
    if j in blocked:
        return j
    state: State | None = (graph.shipper[j], graph.hs_code[j][:6])
    shipment = j
    while state is not None:
        shipment, state = hop[state]
    return shipment


def _alternatives(
    graph: Graph,
    blocked: Sequence[int],
    by_shipper: dict[State, list[int]],
    distance: dict[State, int],
    origin: str,
    max_tier: int,
    limit: int,
) -> tuple[RestrictedInput, ...]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for r in blocked:
        entry = totals[graph.hs_code[r][:6]]
        entry[0] += graph.value_usd[r]
        entry[1] += 1
    shippers: dict[str, list[str]] = defaultdict(list)
    for shipper, code6 in by_shipper:
        if code6 in totals:
            shippers[code6].append(shipper)
    out: list[RestrictedInput] = []
    for hs6, (value, count) in sorted(totals.items(), key=lambda item: (-item[1][0], item[0])):
        suppliers: list[Alternative] = []
        for shipper in shippers[hs6]:
            indices = by_shipper[(shipper, hs6)]
            others = [i for i in indices if graph.origin[i] != origin]
            if not others:
                continue
            dist = distance.get((shipper, hs6))
            tier = None if dist is None or dist + 2 > max_tier else dist + 2
            suppliers.append(
                Alternative(
                    company_id=shipper,
                    name=graph.company_name(shipper),
                    country=graph.company_country(shipper),
                    value_usd=round(sum(graph.value_usd[i] for i in others), 2),
                    shipments=len(others),
                    recipients=len({graph.consignee[i] for i in others}),
                    depends_on_origin=tier is not None,
                    dependency_tier=tier,
                )
            )
        suppliers.sort(key=lambda a: (a.depends_on_origin, -a.value_usd, a.company_id))
        out.append(RestrictedInput(hs6, round(value, 2), int(count), tuple(suppliers[:limit])))
    return tuple(out)


def _step(graph: Graph, index: int, tier: int) -> PathStep:
    return path_step(graph, graph.shipper[index], tier, index)
