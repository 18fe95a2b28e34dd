"""Renderings of a what-if scenario (`tiersight scenario`): the JSON form and the text an analyst reads."""

from __future__ import annotations

from dataclasses import asdict

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
