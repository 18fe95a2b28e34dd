"""Views of a screening report for the web UI's report page: the value of the traced lines by origin
region, tier and outcome (flagged or not) with its Sankey diagram, and each flagged line's tier tree.

Everything here is computed from a `Report` as the stored JSON holds it (CONTRACT section 6), nothing
else: the tier tree merges the evidence paths of a line's flags (one path per flag, from the tier-1
supplier up to the flag's first hit at its lowest tier), so hops that several flags share are shown
once, and each hop carries the shipment that reached it, as the path records it. No framework here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from screening.analysis_report import (
    TIER_COLOUR,
    SankeyLayout,
    compact_money,
    region_colour,
    region_order,
    sankey_layout,
)
from screening.codes import region_of
from screening.model import SEVERITY_ORDER, Flag, LineResult, PathStep, UpstreamCell
from screening.report import sorted_flags

FLAGGED = "flagged lines"
NOT_FLAGGED = "lines not flagged"
FLAGGED_COLOUR = "#b2182b"
NOT_FLAGGED_COLOUR = "#4d7a4d"


# --- value by origin region, tier and outcome -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlowCell:
    """Value of the traced lines' upstream cells for one origin region, tier and outcome."""

    region: str
    tier: int
    flagged: bool
    value_usd: float
    shipments: int


def flow_cells(lines: Iterable[LineResult]) -> tuple[FlowCell, ...]:
    """The lines' upstream cells (tier 1 is a line's own value) summed by (origin region, tier,
    whether the line has a flag), in region order (China first), then tier, then flagged first.
    Only traced (matched) lines have upstream cells, so only they count."""
    totals: defaultdict[tuple[str, int, bool], list[float]] = defaultdict(lambda: [0.0, 0])
    for line in lines:
        flagged = bool(line.flags)
        for cell in line.upstream:
            total = totals[(region_of(cell.origin), cell.tier, flagged)]
            total[0] += cell.value_usd
            total[1] += cell.shipments
    order = {region: i for i, region in enumerate(region_order(None))}
    keys = sorted(totals, key=lambda k: (order.get(k[0], len(order)), k[0], k[1], not k[2]))
    return tuple(
        FlowCell(
            region,
            tier,
            flagged,
            round(totals[(region, tier, flagged)][0], 2),
            int(totals[(region, tier, flagged)][1]),
        )
        for region, tier, flagged in keys
    )


def outcome_label(flagged: bool) -> str:
    return FLAGGED if flagged else NOT_FLAGGED


def report_sankey(cells: Sequence[FlowCell], *, width: float = 960.0) -> SankeyLayout | None:
    """Origin regions (left) to tiers (middle) to flagged lines and lines not flagged (right); None
    when nothing was traced."""
    if not any(cell.value_usd > 0 for cell in cells):
        return None
    regions = list(dict.fromkeys(cell.region for cell in cells))
    tiers = sorted({cell.tier for cell in cells})
    outcomes = [flagged for flagged in (True, False) if any(cell.flagged == flagged for cell in cells)]
    region_tier: defaultdict[tuple[str, int], float] = defaultdict(float)
    tier_outcome: defaultdict[tuple[int, bool], float] = defaultdict(float)
    for cell in cells:
        region_tier[(cell.region, cell.tier)] += cell.value_usd
        tier_outcome[(cell.tier, cell.flagged)] += cell.value_usd
    columns = [
        [(f"region:{r}", r, region_colour(r, None)) for r in regions],
        [(f"tier:{t}", f"tier {t}", TIER_COLOUR) for t in tiers],
        [
            (
                f"outcome:{int(flagged)}",
                outcome_label(flagged),
                FLAGGED_COLOUR if flagged else NOT_FLAGGED_COLOUR,
            )
            for flagged in outcomes
        ],
    ]
    flows = [(f"region:{r}", f"tier:{t}", value) for (r, t), value in region_tier.items()]
    flows += [(f"tier:{t}", f"outcome:{int(f)}", value) for (t, f), value in tier_outcome.items()]
    return sankey_layout(columns, flows, width=width, scale=320.0, margin_left=230.0, margin_right=200.0)


def sankey_text(cells: Sequence[FlowCell]) -> str:
    """The diagram in words, for readers who cannot see it."""
    by_region: defaultdict[str, float] = defaultdict(float)
    by_tier: defaultdict[int, float] = defaultdict(float)
    flagged = 0.0
    for cell in cells:
        by_region[cell.region] += cell.value_usd
        by_tier[cell.tier] += cell.value_usd
        flagged += cell.value_usd if cell.flagged else 0.0
    total = sum(by_region.values())
    regions = "; ".join(f"{region} {compact_money(value)}" for region, value in by_region.items())
    tiers = "; ".join(f"tier {tier} {compact_money(value)}" for tier, value in sorted(by_tier.items()))
    return (
        f"{compact_money(total)} traced in all. By origin: {regions}. By tier: {tiers}. "
        f"{compact_money(flagged)} of it on flagged lines, "
        f"{compact_money(total - flagged)} on lines not flagged."
    )


@dataclass(frozen=True, slots=True)
class RegionRow:
    """One row of the diagram's table: a region's value at each tier (in `FlowTable.tiers` order)."""

    region: str
    values: tuple[float, ...]
    total: float


@dataclass(frozen=True, slots=True)
class FlowTable:
    tiers: tuple[int, ...]
    regions: tuple[RegionRow, ...]
    outcomes: tuple[RegionRow, ...]  # "flagged lines" and "lines not flagged" by tier
    totals: tuple[float, ...]
    total: float


def flow_table(cells: Sequence[FlowCell]) -> FlowTable:
    """The diagram's numbers as a table: value by region and tier, by outcome and tier, and totals."""
    tiers = tuple(sorted({cell.tier for cell in cells}))

    def rows(label: Callable[[FlowCell], str]) -> tuple[RegionRow, ...]:
        values: dict[str, dict[int, float]] = {}
        for cell in cells:
            at = values.setdefault(label(cell), defaultdict(float))
            at[cell.tier] += cell.value_usd
        return tuple(
            RegionRow(name, tuple(round(at.get(t, 0.0), 2) for t in tiers), round(sum(at.values()), 2))
            for name, at in values.items()
        )

    by_outcome = sorted(rows(lambda cell: outcome_label(cell.flagged)), key=lambda row: row.region != FLAGGED)
    totals = tuple(round(sum(cell.value_usd for cell in cells if cell.tier == t), 2) for t in tiers)
    return FlowTable(
        tiers=tiers,
        regions=rows(lambda cell: cell.region),
        outcomes=tuple(by_outcome),
        totals=totals,
        total=round(sum(totals), 2),
    )


# --- flagged lines ----------------------------------------------------------------------------------


def worst_severity(line: LineResult) -> str | None:
    """The most severe of the line's flags, None without flags."""
    if not line.flags:
        return None
    return max(line.flags, key=lambda flag: SEVERITY_ORDER.get(flag.severity, -1)).severity


def hit_text(flag: Flag) -> str:
    """Where the flag's evidence path ends, in words: the hop that met the rule at its lowest tier."""
    if not flag.path:
        return f"Met at tier {flag.tier}."
    end = flag.path[-1]
    who = end.name or end.company_id
    if end.shipment_id is None:
        return f"Met at tier {end.tier} by the listed supplier itself, {who}."
    parts = [f"Met at tier {end.tier}: a shipment by {who}"]
    if end.hs_code:
        parts.append(f"HS {end.hs_code}")
    if end.origin:
        parts.append(f"origin {end.origin}")
    if end.date is not None:
        parts.append(f"on {end.date.isoformat()}")
    return ", ".join(parts) + "."


@dataclass(frozen=True, slots=True)
class TierNode:
    """One hop of a line's tier tree: the company reached (`step`), the company it shipped to (the
    parent hop's company; None at the root), the line's counted shipments at this hop's tier and
    origin (`counted`), the flags whose evidence path ends here, and the hops further up."""

    step: PathStep
    consignee: PathStep | None
    counted: UpstreamCell | None
    flags: tuple[Flag, ...]
    children: tuple[TierNode, ...] = field(default=())

    @property
    def key(self) -> str:
        """A stable id for the hop within its line (for HTML ids)."""
        return f"t{self.step.tier}-{self.step.company_id}-{self.step.shipment_id or 'root'}"

    def rule_ids(self) -> tuple[str, ...]:
        """Every rule met on this hop or further up, each once, in the order found."""
        seen = dict.fromkeys(flag.rule_id for flag in self.flags)
        for child in self.children:
            seen.update(dict.fromkeys(child.rule_ids()))
        return tuple(seen)

    def hops(self) -> int:
        """How many hops this subtree holds, itself included."""
        return 1 + sum(child.hops() for child in self.children)


class _Building:
    __slots__ = ("children", "flags", "step")

    def __init__(self, step: PathStep) -> None:
        self.step = step
        self.flags: list[Flag] = []
        self.children: dict[tuple[int, str, str | None], _Building] = {}


def _hop_key(step: PathStep) -> tuple[int, str, str | None]:
    return (step.tier, step.company_id, step.shipment_id)


def tier_tree(line: LineResult) -> tuple[TierNode, ...]:
    """The line's flags' evidence paths merged into trees from the tier-1 supplier up (one root per
    distinct tier-1 company: one for a traced line). A hop is the same when its tier, company and
    shipment are; flags are listed at the hop where their path ends."""
    roots: dict[tuple[int, str, str | None], _Building] = {}
    for flag in sorted_flags(line):
        if not flag.path:
            continue
        level = roots
        node: _Building | None = None
        for step in flag.path:
            node = level.setdefault(_hop_key(step), _Building(step))
            level = node.children
        assert node is not None
        node.flags.append(flag)
    counted = {(cell.tier, cell.origin): cell for cell in line.upstream}

    def freeze(node: _Building, parent: PathStep | None) -> TierNode:
        children = sorted(node.children.values(), key=lambda child: child.step.tier)
        cell = counted.get((node.step.tier, node.step.origin)) if node.step.origin else None
        if cell is None and node.step.tier == 1 and parent is None:
            tier1 = [c for c in line.upstream if c.tier == 1]
            cell = tier1[0] if len(tier1) == 1 else None
        return TierNode(
            step=node.step,
            consignee=parent,
            counted=cell,
            flags=tuple(node.flags),
            children=tuple(freeze(child, node.step) for child in children),
        )

    return tuple(freeze(root, None) for root in roots.values())


def origins_reached(trees: Iterable[TierNode]) -> tuple[str, ...]:
    """The distinct origins of the hops of the trees, in the order found (top-down, depth first)."""
    found: dict[str, None] = {}

    def walk(node: TierNode) -> None:
        if node.step.origin:
            found.setdefault(node.step.origin, None)
        for child in node.children:
            walk(child)

    for tree in trees:
        walk(tree)
    return tuple(found)
