"""Renderings of a network analysis (`tiersight analyze`): JSON, CSV, HTML and plain text.

`analysis_to_dict` is the one producer of the JSON form (CONTRACT.md section 5 names
`by_tier_origin` and `top_suppliers`; the other keys are extensions); the CSV is the same values as
one long table with a `section` column, so that a spreadsheet pivot can regroup any of them. Text
cells a spreadsheet would read as a formula are neutralised as in the screening report.

The HTML page is self-contained, like the screening report: inline CSS and inline SVG charts whose
geometry is computed here (`sankey_layout`, `bar_layout`), no script, no font and no asset fetched,
every value autoescaped. Each chart has a text alternative and its numbers are also in a table.
`render_fragment` gives the same summary and sections for another page to embed (the web UI's).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache

import jinja2

from screening.analyze import SAME_PRODUCT, UNLISTED, Analysis, TierRegion
from screening.codes import ASIA_REGION, CHINA_REGION, EU_REGION, OTHER_REGION, UNKNOWN_REGION
from screening.report import neutralise, template_environment

CSV_COLUMNS: tuple[str, ...] = (
    "section",
    "tier",
    "origin",
    "region",
    "kind",
    "industry",
    "company_id",
    "name",
    "country",
    "value_usd",
    "shipments",
    "recipients",
    "traced_value_usd",
    "traced_shipments",
    "hhi",
    "top_share",
)


def analysis_to_dict(result: Analysis, *, rules_version: str) -> dict[str, object]:
    return {
        "product": result.product,
        "destination": result.destination,
        "origin": result.origin,
        "tiers": result.tiers,
        "as_of": result.window.as_of.isoformat(),
        "since": result.window.since.isoformat(),
        "rules_version": rules_version,
        "by_tier_origin": [asdict(cell) for cell in result.by_tier_origin],
        "by_tier_region": [asdict(cell) for cell in result.by_tier_region],
        "by_region": [asdict(cell) for cell in result.by_region],
        "by_tier_kind": [asdict(cell) for cell in result.by_tier_kind],
        "top_suppliers": [asdict(supplier) for supplier in result.top_suppliers],
        "concentration": [asdict(cell) for cell in result.concentration],
        "industries": [asdict(item) for item in result.industries],
    }


def render_json(result: Analysis, *, rules_version: str) -> bytes:
    text = json.dumps(analysis_to_dict(result, rules_version=rules_version), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _csv_rows(result: Analysis) -> Iterable[dict[str, object]]:
    for cell in result.by_tier_origin:
        yield {"section": "tier_origin", **asdict(cell)}
    for region in result.by_tier_region:
        yield {"section": "tier_region", **asdict(region)}
    for total in result.by_region:
        yield {"section": "region", **asdict(total)}
    for kind in result.by_tier_kind:
        yield {"section": "tier_kind", **asdict(kind)}
    for supplier in result.top_suppliers:
        yield {"section": "top_supplier", "tier": 1, **asdict(supplier)}
    for c in result.concentration:
        yield {
            "section": "concentration",
            "tier": c.tier,
            "origin": c.top_origin,
            "hhi": c.hhi,
            "top_share": c.top_share,
            "shipments": None,
        }
    for industry in result.industries:
        yield {"section": "industry_exports", "country": result.destination, **asdict(industry)}


def render_csv(result: Analysis) -> bytes:
    """One row per figure; the `section` column says which table of the analysis it belongs to."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n", extrasaction="raise")
    writer.writeheader()
    for row in _csv_rows(result):
        writer.writerow(
            {
                key: neutralise(value) if isinstance(value, str) else ("" if value is None else value)
                for key, value in row.items()
            }
        )
    return out.getvalue().encode("utf-8")


def render_text(result: Analysis) -> str:
    """What `tiersight analyze` prints without --json: the tables an analyst reads first."""
    lines: list[str] = []
    where = f" into {result.destination}" if result.destination else ""
    lines.append(
        f"Trade in {result.product}{where}, tiers 1-{result.tiers}, "
        f"{result.window.since} to {result.window.as_of}"
    )
    lines.append("By origin region (all tiers):")
    for total in result.by_region:
        lines.append(f"  {total.region:<18} {total.value_usd:>18,.2f} USD  {total.shipments:>8,} shipments")
    lines.append("By tier and origin:")
    for cell in result.by_tier_origin:
        lines.append(
            f"  tier {cell.tier}  {cell.origin:<8} {cell.value_usd:>18,.2f} USD"
            f"  {cell.shipments:>8,} shipments"
        )
    if result.by_tier_kind:
        lines.append("Upstream by input kind:")
        for kind in result.by_tier_kind:
            lines.append(
                f"  tier {kind.tier}  {kind.kind:<12} {kind.value_usd:>14,.2f} USD"
                f"  {kind.shipments:>8,} shipments"
            )
    lines.append("Concentration of origins (HHI, 0-10,000):")
    for c in result.concentration:
        lines.append(
            f"  tier {c.tier}: HHI {c.hhi:,.0f} over {c.origins} origins; {c.top_origin} {c.top_share:.1%}"
        )
    if result.top_suppliers:
        from_origin = f" from {result.origin}" if result.origin else ""
        lines.append(f"Top tier-1 suppliers{from_origin}:")
        for s in result.top_suppliers:
            lines.append(
                f"  {s.company_id:<12} {(s.name or '')[:40]:<40} {s.country or '':<3} "
                f"{s.value_usd:>16,.2f} USD  {s.recipients} recipients"
            )
    if result.industries:
        lines.append(
            f"Industries relying on {result.product}: exports from {result.destination}"
            f" (traced: the product found upstream within {result.tiers} tiers)"
        )
        for item in result.industries:
            lines.append(
                f"  {item.industry:<14} {item.value_usd:>18,.2f} USD  {item.shipments:>6,} shipments;"
                f" traced {item.traced_value_usd:>16,.2f} USD  {item.traced_shipments:>6,} shipments"
            )
    return "\n".join(lines)


# --- HTML: chart geometry ---------------------------------------------------------------------

# Colours of the charts, one per origin region (the destination's own region takes HOME_COLOUR),
# per input kind and per series of the industries view; text stays dark on white.
REGION_COLOURS: dict[str, str] = {
    CHINA_REGION: "#b2182b",
    ASIA_REGION: "#e08214",
    EU_REGION: "#2166ac",
    OTHER_REGION: "#762a83",
    UNKNOWN_REGION: "#8c8c8c",
}
HOME_COLOUR = "#1b7837"
KIND_COLOURS: dict[str, str] = {
    "direct": "#2166ac",
    "capital": "#e08214",
    SAME_PRODUCT: "#b2182b",
    UNLISTED: "#8c8c8c",
}
EXPORTS_COLOUR = "#7f7f7f"
TRACED_COLOUR = "#b2182b"
TIER_COLOUR = "#4d4d4d"


def region_order(destination: str | None) -> tuple[str, ...]:
    """The seed report's order of origin regions: China, elsewhere in Asia, the EU, the destination,
    elsewhere, unknown."""
    home = (destination,) if destination else ()
    return (CHINA_REGION, ASIA_REGION, EU_REGION, *home, OTHER_REGION, UNKNOWN_REGION)


def region_colour(region: str, destination: str | None) -> str:
    if destination is not None and region == destination:
        return HOME_COLOUR
    return REGION_COLOURS.get(region, REGION_COLOURS[UNKNOWN_REGION])


def compact_money(value: float) -> str:
    """`$9.5B`, `$748.3M`, `$31.9K`, `$950`: the largest unit in which the value rounds to at least 1."""
    sign = "-" if value < 0 else ""
    size = abs(value)
    for unit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if round(size / unit, 1) >= 1:
            return f"{sign}${size / unit:.1f}{suffix}"
    return f"{sign}${size:,.0f}"


@dataclass(frozen=True, slots=True)
class SankeyNode:
    key: str
    label: str
    column: int
    value: float
    x: float
    y: float
    height: float
    colour: str


@dataclass(frozen=True, slots=True)
class SankeyLink:
    source: str
    target: str
    value: float
    width: float
    path: str  # SVG path data of the band: two cubic Bezier edges joined by vertical lines
    colour: str


@dataclass(frozen=True, slots=True)
class SankeyLayout:
    width: float
    height: float
    node_width: float
    scale: float  # the height that stands for the largest column's total value
    nodes: tuple[SankeyNode, ...]
    links: tuple[SankeyLink, ...]

    def label(self, key: str) -> str:
        return next(node.label for node in self.nodes if node.key == key)


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _band(x0: float, top0: float, x1: float, top1: float, width: float) -> str:
    mid = (x0 + x1) / 2
    bottom0, bottom1 = top0 + width, top1 + width
    return (
        f"M{_num(x0)},{_num(top0)} C{_num(mid)},{_num(top0)} {_num(mid)},{_num(top1)} {_num(x1)},{_num(top1)}"
        f" L{_num(x1)},{_num(bottom1)} C{_num(mid)},{_num(bottom1)} {_num(mid)},{_num(bottom0)}"
        f" {_num(x0)},{_num(bottom0)} Z"
    )


def sankey_layout(
    columns: Sequence[Sequence[tuple[str, str, str]]],
    flows: Sequence[tuple[str, str, float]],
    *,
    scale: float = 400.0,
    gap: float = 18.0,
    width: float = 960.0,
    node_width: float = 14.0,
    margin_left: float = 210.0,
    margin_right: float = 170.0,
    margin_y: float = 12.0,
) -> SankeyLayout:
    """Node boxes and link bands of a Sankey diagram: `columns` left to right, each a list of
    (key, label, colour) top to bottom; `flows` (source key, target key, value) between adjacent columns.

    A node's value is the larger of its inflow and outflow; heights are value times `scale` over the
    largest column total, so the heights of a column whose flows add up sum to `scale`, and a link's
    width is its value on the same factor. Columns are spread evenly and centred vertically, nodes
    `gap` apart. Links leave a node in the order of their targets and enter in the order of their
    sources, so bands do not cross at the nodes. Values of zero or less draw nothing (no NaN when
    every value is zero).
    """
    inflow: dict[str, float] = defaultdict(float)
    outflow: dict[str, float] = defaultdict(float)
    for source, target, value in flows:
        if value > 0:
            outflow[source] += value
            inflow[target] += value
    values = {key: max(inflow[key], outflow[key]) for column in columns for key, _label, _colour in column}
    totals = [sum(values[key] for key, _label, _colour in column) for column in columns]
    largest = max(totals, default=0.0)
    factor = scale / largest if largest > 0 else 0.0
    tallest = max((scale + gap * (len(column) - 1) for column in columns if column), default=0.0)
    span = width - margin_left - margin_right - node_width
    nodes: dict[str, SankeyNode] = {}
    rank: dict[str, int] = {}
    for index, column in enumerate(columns):
        x = margin_left + (span * index / (len(columns) - 1) if len(columns) > 1 else 0.0)
        height = sum(values[key] * factor for key, _label, _colour in column) + gap * (len(column) - 1)
        y = margin_y + (tallest - height) / 2
        for position, (key, label, colour) in enumerate(column):
            nodes[key] = SankeyNode(key, label, index, values[key], x, y, values[key] * factor, colour)
            rank[key] = position
            y += values[key] * factor + gap
    drawn = [(source, target, value) for source, target, value in flows if value > 0]
    leaving = {key: node.y for key, node in nodes.items()}
    source_top: dict[tuple[str, str], float] = {}
    for source, target, value in sorted(drawn, key=lambda flow: (rank[flow[0]], rank[flow[1]])):
        source_top[(source, target)] = leaving[source]
        leaving[source] += value * factor
    entering = {key: node.y for key, node in nodes.items()}
    links: list[SankeyLink] = []
    for source, target, value in sorted(drawn, key=lambda flow: (rank[flow[1]], rank[flow[0]])):
        a, b = nodes[source], nodes[target]
        band = _band(a.x + node_width, source_top[(source, target)], b.x, entering[target], value * factor)
        entering[target] += value * factor
        links.append(SankeyLink(source, target, value, value * factor, band, a.colour))
    links.sort(key=lambda link: (nodes[link.source].column, rank[link.source], rank[link.target]))
    return SankeyLayout(
        width=width,
        height=tallest + 2 * margin_y,
        node_width=node_width,
        scale=scale,
        nodes=tuple(nodes.values()),
        links=tuple(links),
    )


def tier_sankey(cells: Sequence[TierRegion], *, product: str, destination: str | None) -> SankeyLayout:
    """The seed's flow diagram: origin regions (left) to tiers (middle) to the product (right)."""
    present = {cell.region for cell in cells}
    order = region_order(destination)
    regions = [r for r in order if r in present]
    regions += sorted(present - set(order))
    tiers = sorted({cell.tier for cell in cells})
    tier_value: dict[int, float] = defaultdict(float)
    for cell in cells:
        tier_value[cell.tier] += cell.value_usd
    columns = [
        [(f"region:{r}", r, region_colour(r, destination)) for r in regions],
        [(f"tier:{t}", f"tier {t}", TIER_COLOUR) for t in tiers],
        [("product", f"HS {product}", TIER_COLOUR)],
    ]
    flows = [(f"region:{cell.region}", f"tier:{cell.tier}", cell.value_usd) for cell in cells]
    flows += [(f"tier:{t}", "product", tier_value[t]) for t in tiers]
    return sankey_layout(columns, flows)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    colour: str
    y: float
    length: float


@dataclass(frozen=True, slots=True)
class BarGroup:
    label: str
    y: float  # baseline of the group's heading; its bars start just below
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class BarChart:
    width: float
    height: float
    x: float  # where every bar starts
    bar_height: float
    groups: tuple[BarGroup, ...]


def bar_layout(
    groups: Sequence[tuple[str, Sequence[tuple[str, float, str]]]],
    *,
    width: float = 960.0,
    label_width: float = 190.0,
    value_width: float = 90.0,
    bar_height: float = 16.0,
    gap: float = 5.0,
    heading: float = 30.0,
) -> BarChart:
    """Horizontal bars in headed groups: `groups` is a list of (heading, [(label, value, colour)]).

    Every bar is on one scale, the largest value spanning the width left after the labels and the
    value text; values of zero or less get no length (no NaN when every value is zero).
    """
    largest = max((value for _h, bars in groups for _l, value, _c in bars), default=0.0)
    span = width - label_width - value_width
    factor = span / largest if largest > 0 else 0.0
    y = 0.0
    out: list[BarGroup] = []
    for title, bars in groups:
        y += heading
        top = y
        laid: list[Bar] = []
        for label, value, colour in bars:
            laid.append(Bar(label, value, colour, y + gap, max(value, 0.0) * factor))
            y += bar_height + gap
        out.append(BarGroup(title, top, tuple(laid)))
    return BarChart(width=width, height=y + gap, x=label_width, bar_height=bar_height, groups=tuple(out))


# --- HTML: the page ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    """One row of a table next to a chart: a value, its shipments and its share (%) of its group."""

    group: int  # the tier, or 0 for a table over all tiers
    label: str
    value_usd: float
    shipments: int
    share: float


def _shares(rows: Iterable[tuple[int, str, float, int]]) -> list[Share]:
    """Each value's share of the total of its group (its tier), 0 when that total is not positive."""
    items = list(rows)
    totals: dict[int, float] = defaultdict(float)
    for group, _label, value, _shipments in items:
        totals[group] += value
    return [
        Share(group, label, value, shipments, 100.0 * value / totals[group] if totals[group] > 0 else 0.0)
        for group, label, value, shipments in items
    ]


def _region_bars(result: Analysis) -> BarChart:
    order = {region: i for i, region in enumerate(region_order(result.destination))}
    groups: dict[int, list[tuple[str, float, str]]] = defaultdict(list)
    for cell in sorted(result.by_tier_region, key=lambda c: (c.tier, order.get(c.region, len(order)))):
        groups[cell.tier].append(
            (cell.region, cell.value_usd, region_colour(cell.region, result.destination))
        )
    return bar_layout([(f"tier {tier}", bars) for tier, bars in sorted(groups.items())])


def _kind_bars(result: Analysis) -> BarChart:
    order = {kind: i for i, kind in enumerate(KIND_COLOURS)}
    groups: dict[int, list[tuple[str, float, str]]] = defaultdict(list)
    for kind in sorted(result.by_tier_kind, key=lambda k: (k.tier, order.get(k.kind, len(order)), k.kind)):
        groups[kind.tier].append((kind.kind, kind.value_usd, KIND_COLOURS.get(kind.kind, "#8c8c8c")))
    return bar_layout([(f"tier {tier}", bars) for tier, bars in sorted(groups.items())])


def _industry_bars(result: Analysis) -> BarChart:
    return bar_layout(
        [
            (
                item.industry,
                [
                    ("exports", item.value_usd, EXPORTS_COLOUR),
                    (f"with HS {result.product} upstream", item.traced_value_usd, TRACED_COLOUR),
                ],
            )
            for item in result.industries
        ]
    )


def _sankey_text(result: Analysis) -> str:
    """The flow diagram in words, for readers who cannot see it."""
    parts = [
        f"tier {cell.tier} from {cell.region}: {compact_money(cell.value_usd)}"
        for cell in result.by_tier_region
    ]
    total = sum(cell.value_usd for cell in result.by_tier_region)
    return f"{compact_money(total)} in all, " + "; ".join(parts) + "."


def _bars_text(chart: BarChart) -> str:
    return (
        "; ".join(
            f"{group.label}: " + ", ".join(f"{bar.label} {compact_money(bar.value)}" for bar in group.bars)
            for group in chart.groups
        )
        + "."
    )


def _fmt_money(value: float) -> str:
    return f"{value:,.2f}"


def _fmt_num(value: float) -> str:
    """A coordinate for SVG markup: at most two decimals, never NaN or infinite."""
    if not math.isfinite(value):
        raise ValueError(f"chart coordinate {value!r} is not a finite number")
    return _num(value)


@cache
def html_environment() -> jinja2.Environment:
    """The templates' environment with the charts' filters (`money`, `compact`, `grouped`, `num`) and
    `bars_text`: shared by every rendering that draws `_charts.html.j2`'s charts (the scenario's too)."""
    env = template_environment()
    env.filters["money"] = _fmt_money
    env.filters["compact"] = compact_money
    env.filters["grouped"] = "{:,}".format
    env.filters["num"] = _fmt_num
    env.globals["bars_text"] = _bars_text
    return env


def sankey_svg(layout: SankeyLayout, *, id: str, title: str, description: str) -> str:
    """A Sankey layout as inline SVG markup (`_charts.html.j2`'s `sankey_chart`: a title, a description,
    every label escaped), for a page of another environment to embed (the web UI's report)."""
    chart = html_environment().get_template("_charts.html.j2").module.sankey_chart  # type: ignore[attr-defined]
    return str(chart(layout, id, title, description))


def _html_context(result: Analysis, *, rules_version: str) -> dict[str, object]:
    """What the page and the fragment draw: the chart layouts and the tables' rows with their shares."""
    traded = bool(result.by_tier_origin)
    return {
        "a": result,
        "into": f"into {result.destination}" if result.destination else "into any destination",
        "rules_version": rules_version,
        "traded": traded,
        "total_usd": sum(total.value_usd for total in result.by_region),
        "total_shipments": sum(total.shipments for total in result.by_region),
        "sankey": tier_sankey(result.by_tier_region, product=result.product, destination=result.destination)
        if traded
        else None,
        "sankey_text": _sankey_text(result) if traded else "",
        "region_chart": _region_bars(result),
        "kind_chart": _kind_bars(result),
        "industry_chart": _industry_bars(result),
        "regions": _shares((0, t.region, t.value_usd, t.shipments) for t in result.by_region),
        "tier_regions": _shares((c.tier, c.region, c.value_usd, c.shipments) for c in result.by_tier_region),
        "tier_origins": _shares((c.tier, c.origin, c.value_usd, c.shipments) for c in result.by_tier_origin),
        "tier_kinds": _shares((k.tier, k.kind, k.value_usd, k.shipments) for k in result.by_tier_kind),
        "exports_colour": EXPORTS_COLOUR,
        "traced_colour": TRACED_COLOUR,
    }


def render_html(result: Analysis, *, rules_version: str) -> bytes:
    """A self-contained page: the flow from origin regions through the tiers to the product, value by
    region per tier and by input kind, top tier-1 suppliers, concentration and the industries view."""
    template = html_environment().get_template("analysis.html.j2")
    return template.render(_html_context(result, rules_version=rules_version)).encode("utf-8")


def render_fragment(result: Analysis, *, rules_version: str) -> str:
    """The page's summary and sections as a fragment of another HTML page (headings from h2, every value
    escaped; the page brings the styles of `_charts.css`): what the web UI's analyze page shows."""
    template = html_environment().get_template("_analysis_fragment.html.j2")
    return template.render(_html_context(result, rules_version=rules_version))


FORMATS: tuple[str, ...] = ("csv", "html")


def render(result: Analysis, fmt: str, *, rules_version: str) -> bytes:
    """The analysis in one of `FORMATS` (json too, for callers that pick the format at run time)."""
    if fmt == "json":
        return render_json(result, rules_version=rules_version)
    if fmt == "csv":
        return render_csv(result)
    if fmt == "html":
        return render_html(result, rules_version=rules_version)
    raise ValueError(f"unknown analysis format {fmt!r}")
