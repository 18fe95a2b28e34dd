"""Renderings of a what-if scenario (`tiersight scenario`): the JSON form, the text an analyst reads,
and HTML: a self-contained page (`render_html`) and the same sections as a fragment of another page
(`render_fragment`, the web UI's what-if page). The HTML draws the value at risk by company as a bar
chart with analysis_report's layout (inline SVG, a title and a description, its numbers also in the
table), each company's evidence path hop by hop as nested `<details>`, and the alternative suppliers
of each restricted code, those that depend on the origin themselves marked and ranked last."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from screening.analysis_report import BarChart, bar_layout, html_environment
from screening.model import PathStep
from screening.report import step_to_dict
from screening.scenario import Exposure, Scenario


def _exposure_dict(item: Exposure) -> dict[str, object]:
    return {
        "company_id": item.company_id,
        "name": item.name,
        "country": item.country,
        "value_at_risk_usd": item.value_at_risk_usd,
        "purchases": item.purchases,
        "purchases_total_usd": item.purchases_total_usd,
        "tier": item.tier,
        "restricted_hs": list(item.restricted_hs),
        "path": [step_to_dict(step) for step in item.path],
    }


def scenario_to_dict(result: Scenario, *, rules_version: str) -> dict[str, object]:
    return {
        "origin": result.origin,
        "hs": list(result.hs),
        "destination": result.destination,
        "as_of": result.window.as_of.isoformat(),
        "since": result.window.since.isoformat(),
        "max_tier": result.max_tier,
        "rules_version": rules_version,
        "restricted": {"value_usd": result.restricted_value_usd, "shipments": result.restricted_shipments},
        "companies_at_risk": result.companies_at_risk,
        "companies": [_exposure_dict(item) for item in result.exposures],
        "inputs": [
            {
                "hs6": item.hs6,
                "value_usd": item.value_usd,
                "shipments": item.shipments,
                "alternatives": [asdict(alt) for alt in item.alternatives],
            }
            for item in result.inputs
        ],
    }


def render_json(result: Scenario, *, rules_version: str) -> bytes:
    text = json.dumps(scenario_to_dict(result, rules_version=rules_version), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def render_text(result: Scenario) -> str:
    goods = ", ".join(result.hs) if result.hs else "all goods"
    where = f" in {result.destination}" if result.destination else ""
    lines = [
        f"If {result.origin} stopped exporting {goods} ({result.window.since} to {result.window.as_of},"
        f" tiers 1-{result.max_tier}):",
        f"  restricted trade in the window: {result.restricted_value_usd:,.2f} USD"
        f" in {result.restricted_shipments:,} shipments",
        f"  companies{where} with purchases at risk: {result.companies_at_risk:,}",
    ]
    if result.exposures:
        lines.append("Most exposed (value of purchases that depend on the restricted goods):")
    for item in result.exposures:
        share = item.value_at_risk_usd / item.purchases_total_usd if item.purchases_total_usd else 0.0
        lines.append(
            f"  {item.company_id:<12} {(item.name or '')[:40]:<40} {item.country or '':<3}"
            f" {item.value_at_risk_usd:>16,.2f} USD ({share:.0%} of purchases)  tier {item.tier}"
            f"  [{', '.join(item.restricted_hs)}]"
        )
        for step in item.path:
            lines.append(
                f"      tier {step.tier}: {step.name or step.company_id} [{step.company_id}] shipped"
                f" {step.hs_code} ({step.origin or 'origin unknown'}) on {step.date}, {step.shipment_id},"
                f" {step.value_usd or 0:,.2f} USD"
            )
    for restricted in result.inputs:
        lines.append(
            f"Alternatives for {restricted.hs6} (restricted: {restricted.value_usd:,.2f} USD"
            f" in {restricted.shipments:,} shipments):"
        )
        if not restricted.alternatives:
            lines.append("  none seen in the network")
        for alt in restricted.alternatives:
            caveat = (
                f"  DEPENDS on {result.origin} at tier {alt.dependency_tier}" if alt.depends_on_origin else ""
            )
            lines.append(
                f"  {alt.company_id:<12} {(alt.name or '')[:40]:<40} {alt.country or '':<3}"
                f" {alt.value_usd:>16,.2f} USD  {alt.shipments:>5,} shipments  {alt.recipients} recipients"
                + caveat
            )
    return "\n".join(lines)


# --- HTML ----------------------------------------------------------------------------------------

# The chart's bars are coloured by the company's lowest tier of dependency (4 and above share one).
TIER_COLOURS: dict[int, str] = {1: "#b2182b", 2: "#e08214", 3: "#2166ac", 4: "#762a83"}
CHART_COMPANIES = 15  # bars in the chart; the table lists every company of the result
CHART_LABEL = 34  # characters of a company's name in the chart (the table has the whole name)


def tier_colour(tier: int) -> str:
    return TIER_COLOURS[min(max(tier, 1), max(TIER_COLOURS))]


def _short(text: str, size: int = CHART_LABEL) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "\u2026"


def exposure_chart(result: Scenario, *, limit: int = CHART_COMPANIES) -> BarChart:
    """Value at risk of the most exposed companies, one bar each, coloured by their lowest tier."""
    where = f" in {result.destination}" if result.destination else ""
    bars = [
        (_short(item.name or item.company_id), item.value_at_risk_usd, tier_colour(item.tier))
        for item in result.exposures[:limit]
    ]
    return bar_layout([(f"Value at risk by company{where}", bars)], label_width=280.0)


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop of an evidence path as the page tells it: who shipped what to whom."""

    step: PathStep
    recipient: str  # the company that received the shipment (the exposed company at tier 1)
    restricted: bool  # the last hop: the shipment of the restricted goods


def hops(item: Exposure) -> list[Hop]:
    recipient = item.name or item.company_id
    out: list[Hop] = []
    for index, step in enumerate(item.path):
        out.append(Hop(step, recipient, index == len(item.path) - 1))
        recipient = step.name or step.company_id
    return out


def _legend(result: Scenario) -> list[tuple[str, str]]:
    tiers = sorted({min(item.tier, max(TIER_COLOURS)) for item in result.exposures[:CHART_COMPANIES]})
    last = max(TIER_COLOURS)
    return [(f"tier {t}" + (" and above" if t == last else ""), TIER_COLOURS[t]) for t in tiers]


def _html_context(result: Scenario, *, rules_version: str) -> dict[str, object]:
    return {
        "s": result,
        "goods": "HS " + ", ".join(result.hs) if result.hs else "all goods",
        "where": f" in {result.destination}" if result.destination else "",
        "rules_version": rules_version,
        "chart": exposure_chart(result) if result.exposures else None,
        "chart_count": min(len(result.exposures), CHART_COMPANIES),
        "legend": _legend(result),
        "hops": hops,
    }


def render_html(result: Scenario, *, rules_version: str) -> bytes:
    """A self-contained page (inline CSS and SVG, no script, nothing fetched)."""
    template = html_environment().get_template("scenario.html.j2")
    return template.render(_html_context(result, rules_version=rules_version)).encode("utf-8")


def render_fragment(result: Scenario, *, rules_version: str) -> str:
    """The page's summary and sections as a fragment of another HTML page (headings from h2, every
    value escaped; the page brings the styles of `_charts.css`)."""
    template = html_environment().get_template("_scenario_fragment.html.j2")
    return template.render(_html_context(result, rules_version=rules_version))
