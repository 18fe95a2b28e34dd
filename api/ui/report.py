"""The report of one screening (`/ui/screenings/{id}`): the summary first (counts, and the value of the
traced lines by origin and tier as a Sankey diagram drawn server-side), then the flagged lines, each
with its rules, tariff stack and tier tree (the evidence path from the supplier up to the origin, hop
by hop), then the other lines and the row errors; the downloads (`report.{json,csv,html,xlsx}`) are
answered by the same function as the JSON API's report route.

A screening not done yet gets a page with its status and progress instead (its script reloads it once
the screening is done); an unknown id, or another tenant's, the 404 page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.deps import RuntimeDep
from api.reports import report_from_json
from api.routes.screenings import ReportFormat, report_download
from api.ui.pages import render
from api.ui.screenings import row
from api.ui.session import UiSessionDep
from screening import jobs
from screening import report_views as views
from screening.analysis_report import sankey_svg
from screening.model import SEVERITY_ORDER, Flag, LineResult, Report
from screening.report import (
    FOCUS_ORIGIN,
    FORMATS,
    TariffStack,
    flagged_lines,
    fmt_money,
    http_url,
    line_totals,
    sorted_flags,
    tariff_stack,
)
from screening.rules import RuleSet

router = APIRouter(prefix="/ui")

ScreeningId = Annotated[str, Path(max_length=64)]
LineFilter = Literal["all", "matched", "ambiguous", "unmatched"]
LINE_FILTERS: tuple[tuple[str, str], ...] = (
    ("all", "All lines"),
    ("matched", "Matched"),
    ("ambiguous", "Ambiguous"),
    ("unmatched", "Unmatched"),
)
FORMAT_LABELS: dict[str, str] = {"json": "JSON", "csv": "CSV", "html": "HTML", "xlsx": "Excel (XLSX)"}
SANKEY_TITLE = "Value by origin and tier"
FLAGGED_PER_PAGE = 25  # a page of a large screening stays a few hundred kilobytes


@cache
def _authorities(rules: RuleSet) -> dict[str, str]:
    """Rule id -> issuing authority, from the loaded rule files (the stored report names the rule only)."""
    return {rule.id: rule.authority for rule in rules.rules}


@dataclass(frozen=True, slots=True)
class FlaggedLine:
    """What the page shows of a flagged line."""

    line: LineResult
    worst: str
    flags: tuple[Flag, ...]
    stack: TariffStack
    tier1_usd: float
    focus_usd: float
    upstream_usd: float
    trees: tuple[views.TierNode, ...]
    origins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pages:
    """The page of flagged lines shown (1-based; the last page when asked for one past it)."""

    page: int
    size: int
    count: int
    base: str  # the page's own address with its other query parameters, without `page`

    @property
    def last(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def first_item(self) -> int:
        return (self.page - 1) * self.size + 1

    @property
    def last_item(self) -> int:
        return min(self.count, self.page * self.size)

    def href(self, page: int) -> str:
        return f"{self.base}{'&' if '?' in self.base else '?'}page={page}#flagged"


def _flagged(lines: Sequence[LineResult]) -> list[FlaggedLine]:
    out = []
    for line in lines:
        traced = line.match.status == "matched"
        tier1, focus, upstream = line_totals(line) if traced else (0.0, 0.0, 0.0)
        trees = views.tier_tree(line)
        out.append(
            FlaggedLine(
                line=line,
                worst=views.worst_severity(line) or "info",
                flags=tuple(sorted_flags(line)),
                stack=tariff_stack(line),
                tier1_usd=tier1,
                focus_usd=focus,
                upstream_usd=upstream,
                trees=trees,
                origins=views.origins_reached(trees),
            )
        )
    return out


def _rules_met(report: Report) -> list[Flag]:
    """One flag of each rule met (for its title, note and source), most severe first, then by id."""
    first: dict[str, Flag] = {}
    for line in report.lines:
        for flag in line.flags:
            first.setdefault(flag.rule_id, flag)
    return sorted(first.values(), key=lambda f: (-SEVERITY_ORDER.get(f.severity, -1), f.rule_id))


def _sankey(cells: Sequence[views.FlowCell]) -> Markup | None:
    """The value by origin region, tier and outcome as an inline SVG Sankey; None when nothing was traced."""
    layout = views.report_sankey(cells)
    if layout is None:
        return None
    return Markup(sankey_svg(layout, id="sankey", title=SANKEY_TITLE, description=views.sankey_text(cells)))


def report_context(
    report: Report, *, authorities: Mapping[str, str], lines: str, page: int, base: str
) -> dict[str, Any]:
    """Everything the report template shows, computed from the stored report: `page` of the flagged
    lines (`base` is the page's address for the pager's links)."""
    summary = report.summary
    flagged = flagged_lines(report.lines)
    pages = Pages(page=1, size=FLAGGED_PER_PAGE, count=len(flagged), base=base)
    pages = Pages(page=min(page, pages.last), size=pages.size, count=pages.count, base=base)
    shown_flagged = flagged[pages.first_item - 1 : pages.last_item]
    cells = views.flow_cells(report.lines)
    others = [line for line in report.lines if not line.flags]
    shown = [line for line in others if lines == "all" or line.match.status == lines]
    tiles = (
        ("lines", "Lines", summary.lines, "#other-lines"),
        ("matched", "Matched", summary.matched, "#other-lines"),
        ("ambiguous", "Ambiguous", summary.ambiguous, "/ui/review"),
        ("unmatched", "Unmatched", summary.unmatched, "#other-lines"),
        ("flagged", "Flagged", summary.flagged_lines, "#flagged"),
        ("errors", "Row errors", len(report.errors), "#row-errors"),
    )
    return {
        "report": report,
        "provenance": report.provenance,
        "summary": summary,
        "tiles": tiles,
        "severities": [(name, count) for name, count in summary.flags_by_severity.items()],
        "sankey_svg": _sankey(cells),
        "flow_table": views.flow_table(cells),
        "flagged": _flagged(shown_flagged),
        "pages": pages,
        "rules": _rules_met(report),
        "other_lines": shown,
        "other_count": len(others),
        "line_filter": lines,
        "line_filters": LINE_FILTERS,
        "authorities": authorities,
        "focus_origin": FOCUS_ORIGIN,
        "money": fmt_money,
        "http_url": http_url,
        "hit_text": views.hit_text,
        "totals": line_totals,
    }


@router.get("/screenings/{screening_id}", response_class=HTMLResponse)
def report_page(
    request: Request,
    session: UiSessionDep,
    runtime: RuntimeDep,
    screening_id: ScreeningId,
    lines: Annotated[LineFilter, Query(description="Which lines without flags to list.")] = "all",
    page: Annotated[int, Query(ge=1, le=100_000, description="The page of flagged lines.")] = 1,
) -> HTMLResponse:
    with runtime.scope() as stores:
        job = jobs.status(stores.jobs, session.tenant, screening_id)  # 404 for others' and unknown ids
        text = jobs.report_json(stores.jobs, session.tenant, screening_id) if job.status == "done" else None
    downloads = [(fmt, FORMAT_LABELS[fmt], f"/ui/screenings/{job.id}/report.{fmt}") for fmt in FORMATS]
    if text is None:
        return render(
            request,
            "report_pending.html.j2",
            title=f"Report of {job.filename}",
            session=session,
            active="screenings",
            job=row(job),
        )
    report = report_from_json(text)
    return render(
        request,
        "report.html.j2",
        title=f"Report of {job.filename}",
        session=session,
        active="screenings",
        job=row(job),
        downloads=downloads,
        **report_context(
            report,
            authorities=_authorities(runtime.rules),
            lines=lines,
            page=page,
            base=f"/ui/screenings/{job.id}" + ("" if lines == "all" else f"?lines={lines}"),
        ),
    )


@router.get("/screenings/{screening_id}/report.{fmt}")
def report_file(
    session: UiSessionDep, runtime: RuntimeDep, screening_id: ScreeningId, fmt: ReportFormat
) -> Response:
    """The report as a download, for the session's tenant: what `GET /v1/screenings/{id}/report` answers."""
    return report_download(runtime.scope, session.tenant, screening_id, fmt)
