"""Renderings of a network analysis (`tiersight analyze`): JSON, CSV and plain text.

`analysis_to_dict` is the one producer of the JSON form (CONTRACT.md section 5 names
`by_tier_origin` and `top_suppliers`; the other keys are extensions); the CSV is the same values as
one long table with a `section` column, so that a spreadsheet pivot can regroup any of them. Text
cells a spreadsheet would read as a formula are neutralised as in the screening report.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict

from screening.analyze import Analysis
from screening.report import neutralise

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


FORMATS: tuple[str, ...] = ("csv",)


def render(result: Analysis, fmt: str, *, rules_version: str) -> bytes:
    """The analysis in one of `FORMATS` (json too, for callers that pick the format at run time)."""
    if fmt == "json":
        return render_json(result, rules_version=rules_version)
    if fmt == "csv":
        return render_csv(result)
    raise ValueError(f"unknown analysis format {fmt!r}")
