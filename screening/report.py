"""Assemble a screening's summary and render the report in the four formats people download.

The JSON form is the contract (CONTRACT.md section 6): `report_to_dict` is its only producer, and
the other renderers are views of the same values. Money is rounded to cents and scores to four
places only here, at the edge; the value types keep full precision.

Spreadsheet safety: every text cell of the CSV and XLSX renderings that a spreadsheet would read as
a formula (first character one of `= + - @`, tab, CR, LF or NUL) gets a leading single quote, as
the OWASP "CSV Injection" guidance advises. Only text is touched: numbers stay numbers, so a
negative amount is still summable. The HTML rendering autoescapes everything and loads no asset.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import jinja2
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from screening.model import (
    SEVERITY_ORDER,
    Candidate,
    Flag,
    LineResult,
    Match,
    PathStep,
    Report,
    RowError,
    Summary,
    TopSupplier,
    UpstreamCell,
)

FORMATS: tuple[str, ...] = ("json", "csv", "html", "xlsx")

MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# The origin whose upstream share the CSV and XLSX line views single out: the rare-earth and
# battery-material measures this tool screens for are Chinese export controls and US tariffs on China.
FOCUS_ORIGIN = "CN"

CSV_COLUMNS: tuple[str, ...] = (
    "line",
    "supplier_name",
    "supplier_ref",
    "part_number",
    "hs_code",
    "match_status",
    "company_id",
    "matched_name",
    "country",
    "score",
    "rule_id",
    "rule_title",
    "kind",
    "severity",
    "tier",
    "value_usd",
    "hits",
    "path",
    "tier1_value_usd",
    "upstream_cn_value_usd",
    "upstream_total_value_usd",
    "tariff_stack_pct",
    "tier1_duty_usd",
    "latent_duty_usd",
    "error_column",
    "message",
)

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_SEVERITIES_DESC: tuple[str, ...] = tuple(
    sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.__getitem__, reverse=True)
)

Cell = str | int | float | dt.date | None


def summarize(lines: Sequence[LineResult], *, top_suppliers: Sequence[TopSupplier]) -> Summary:
    """Counts by match status, lines with at least one flag, flags per severity (every severity
    present, zero included), and the lines' upstream cells summed per (tier, origin), ordered by
    tier and then by value, largest first. `top_suppliers` come ranked from the analytics."""
    status = Counter(line.match.status for line in lines)
    severity: Counter[str] = Counter(flag.severity for line in lines for flag in line.flags)
    totals: defaultdict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for line in lines:
        for cell in line.upstream:
            total = totals[(cell.tier, cell.origin)]
            total[0] += cell.value_usd
            total[1] += cell.shipments
    upstream = sorted(
        (
            UpstreamCell(tier=tier, origin=origin, value_usd=round(value, 2), shipments=int(count))
            for (tier, origin), (value, count) in totals.items()
        ),
        key=lambda cell: (cell.tier, -cell.value_usd, cell.origin),
    )
    return Summary(
        lines=len(lines),
        matched=status["matched"],
        ambiguous=status["ambiguous"],
        unmatched=status["unmatched"],
        flagged_lines=sum(1 for line in lines if line.flags),
        upstream=tuple(upstream),
        top_upstream_suppliers=tuple(top_suppliers),
        flags_by_severity={name: severity[name] for name in _SEVERITIES_DESC},
    )


# --- JSON ---------------------------------------------------------------------------------------


def _money(value: float) -> float:
    return round(float(value), 2)


def _score(value: float) -> float:
    return round(float(value), 4)


def _candidate_dict(candidate: Candidate) -> dict[str, object]:
    return {
        "company_id": candidate.company_id,
        "name": candidate.name,
        "country": candidate.country,
        "score": _score(candidate.score),
        "explanation": candidate.explanation,
        "matched_name": candidate.matched_name,
    }


def _match_dict(match: Match) -> dict[str, object]:
    return {
        "status": match.status,
        "company_id": match.company_id,
        "name": match.name,
        "country": match.country,
        "score": _score(match.score),
        "explanation": match.explanation,
        "candidates": [_candidate_dict(c) for c in match.candidates],
        "decision": match.decision,
    }


def _upstream_dict(cell: UpstreamCell) -> dict[str, object]:
    return {
        "tier": cell.tier,
        "origin": cell.origin,
        "value_usd": _money(cell.value_usd),
        "shipments": cell.shipments,
    }


def step_to_dict(step: PathStep) -> dict[str, object]:
    """Optional keys are left out when unknown, as the contract's tier-1 step has no shipment_id."""
    out: dict[str, object] = {"company_id": step.company_id, "tier": step.tier}
    optional: dict[str, object] = {
        "shipment_id": step.shipment_id,
        "name": step.name,
        "hs_code": step.hs_code,
        "date": step.date.isoformat() if step.date is not None else None,
        "origin": step.origin,
        "value_usd": _money(step.value_usd) if step.value_usd is not None else None,
    }
    out.update((key, value) for key, value in optional.items() if value is not None)
    return out


def flag_to_dict(flag: Flag) -> dict[str, object]:
    return {
        "rule_id": flag.rule_id,
        "kind": flag.kind,
        "severity": flag.severity,
        "tier": flag.tier,
        "value_usd": _money(flag.value_usd),
        "hits": flag.hits,
        "path": [step_to_dict(step) for step in flag.path],
        "title": flag.title,
        "note": flag.note,
        "source": flag.source,
        "tariff_rate_pct": flag.tariff_rate_pct,
        "tariff_basis": flag.tariff_basis,
        "value_by_tier": [{"tier": tier, "value_usd": _money(value)} for tier, value in flag.value_by_tier],
    }


def _line_dict(line: LineResult) -> dict[str, object]:
    return {
        "line": line.line,
        "input": dict(line.input),
        "match": _match_dict(line.match),
        "upstream": [_upstream_dict(cell) for cell in line.upstream],
        "flags": [flag_to_dict(flag) for flag in line.flags],
        "tariffs": _tariffs_dict(tariff_stack(line)),
    }


def _summary_dict(summary: Summary) -> dict[str, object]:
    return {
        "lines": summary.lines,
        "matched": summary.matched,
        "ambiguous": summary.ambiguous,
        "unmatched": summary.unmatched,
        "flagged_lines": summary.flagged_lines,
        "upstream": [_upstream_dict(cell) for cell in summary.upstream],
        "top_upstream_suppliers": [
            {
                "company_id": s.company_id,
                "name": s.name,
                "country": s.country,
                "value_usd": _money(s.value_usd),
                "recipients": s.recipients,
            }
            for s in summary.top_upstream_suppliers
        ],
        "flags_by_severity": dict(summary.flags_by_severity),
    }


def _error_dict(error: RowError) -> dict[str, object]:
    return {"line": error.line, "column": error.column, "message": error.message}


def report_to_dict(report: Report) -> dict[str, object]:
    """The contract's report as JSON-ready values: every section 6 field under its contract name,
    plus the provenance fields at the top level so a past screening can be explained and replayed."""
    p = report.provenance
    return {
        "as_of": report.as_of.isoformat(),
        "since": report.since.isoformat(),
        "max_tier": report.max_tier,
        "rules_version": p.rules_version,
        "network_version": p.network_version,
        "matcher_version": p.matcher_version,
        "input_sha256": p.input_sha256,
        "input_name": p.input_name,
        "generated_at": p.generated_at,
        "lines": [_line_dict(line) for line in report.lines],
        "summary": _summary_dict(report.summary),
        "errors": [_error_dict(error) for error in report.errors],
    }


def render_json(report: Report) -> bytes:
    """UTF-8 JSON, names kept in their own script; NaN and infinity are refused, not emitted."""
    text = json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


# --- shared by the spreadsheet views ------------------------------------------------------------


def neutralise(value: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading quote, so it is shown, not run."""
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


def path_text(path: Iterable[PathStep]) -> str:
    """`C1 > C7 (S9) > C12 (S40)`: company ids from the tier-1 supplier up, with the shipment of each hop."""
    return " > ".join(
        f"{step.company_id} ({step.shipment_id})" if step.shipment_id else step.company_id for step in path
    )


def line_totals(line: LineResult) -> tuple[float, float, float]:
    """(tier-1 value, upstream value of FOCUS_ORIGIN, upstream value of every origin); upstream is tier 2+."""
    tier1 = sum(cell.value_usd for cell in line.upstream if cell.tier == 1)
    upstream = [cell for cell in line.upstream if cell.tier > 1]
    focus = sum(cell.value_usd for cell in upstream if cell.origin == FOCUS_ORIGIN)
    total = sum(cell.value_usd for cell in upstream)
    return _money(tier1), _money(focus), _money(total)


@dataclass(frozen=True, slots=True)
class TariffPart:
    """One tariff rule's share of a line's duty: the rate, what it applies to, the value it applies to."""

    rule_id: str
    rate_pct: float
    basis: str | None
    value_usd: float
    duty_usd: float


@dataclass(frozen=True, slots=True)
class TariffStack:
    """The tariffs on a line. `applied`: the rules that hit the tier-1 import itself (they stack: the
    rates add up, each on the line's value); `latent`: the rules that hit inputs upstream (tier 2 and
    above), with the duty those inputs would bear if they were imported directly. A rate whose basis is
    a metal content (Section 232 derivatives) overstates the duty when taken on the full value."""

    applied: tuple[TariffPart, ...] = ()
    latent: tuple[TariffPart, ...] = ()

    @property
    def rate_pct(self) -> float:
        return round(float(sum(part.rate_pct for part in self.applied)), 4)

    @property
    def duty_usd(self) -> float:
        return _money(sum(part.duty_usd for part in self.applied))

    @property
    def latent_duty_usd(self) -> float:
        return _money(sum(part.duty_usd for part in self.latent))


def tariff_stack(line: LineResult) -> TariffStack:
    """The tariff stack of a line, from its tariff flags and the value they hit at each tier."""
    applied: list[TariffPart] = []
    latent: list[TariffPart] = []
    for flag in line.flags:
        if flag.kind != "tariff" or flag.tariff_rate_pct is None:
            continue
        by_tier = dict(flag.value_by_tier)
        if 1 in by_tier:
            applied.append(_tariff_part(flag, flag.tariff_rate_pct, by_tier[1]))
        if any(tier >= 2 for tier in by_tier):
            upstream = sum(v for tier, v in by_tier.items() if tier >= 2)
            latent.append(_tariff_part(flag, flag.tariff_rate_pct, upstream))
    return TariffStack(tuple(applied), tuple(latent))


def _tariff_part(flag: Flag, rate: float, value: float) -> TariffPart:
    return TariffPart(flag.rule_id, rate, flag.tariff_basis, _money(value), _money(value * rate / 100))


def _part_dict(part: TariffPart) -> dict[str, object]:
    return {
        "rule_id": part.rule_id,
        "rate_pct": part.rate_pct,
        "basis": part.basis,
        "value_usd": _money(part.value_usd),
        "duty_usd": part.duty_usd,
    }


def _tariffs_dict(stack: TariffStack) -> dict[str, object]:
    return {
        "rate_pct": stack.rate_pct,
        "duty_usd": stack.duty_usd,
        "applied": [_part_dict(part) for part in stack.applied],
        "latent_duty_usd": stack.latent_duty_usd,
        "latent": [_part_dict(part) for part in stack.latent],
    }


def _line_cells(line: LineResult) -> dict[str, Cell]:
    match = line.match
    # Only matched lines are traced: blank totals say "not traced", where zeros would say "nothing found".
    traced = match.status == "matched"
    tier1, focus, total = line_totals(line) if traced else (None, None, None)
    stack = tariff_stack(line) if traced else None
    return {
        "line": line.line,
        "supplier_name": line.input.get("supplier_name"),
        "supplier_ref": line.input.get("supplier_ref"),
        "part_number": line.input.get("part_number"),
        "hs_code": line.input.get("hs_code"),
        "match_status": match.status,
        "company_id": match.company_id,
        "matched_name": match.name,
        "country": match.country,
        "score": _score(match.score) if match.status != "unmatched" else None,
        "tier1_value_usd": tier1,
        "upstream_cn_value_usd": focus,
        "upstream_total_value_usd": total,
        "tariff_stack_pct": stack.rate_pct if stack else None,
        "tier1_duty_usd": stack.duty_usd if stack else None,
        "latent_duty_usd": stack.latent_duty_usd if stack else None,
    }


def _flag_cells(flag: Flag) -> dict[str, Cell]:
    return {
        "rule_id": flag.rule_id,
        "rule_title": flag.title or None,
        "kind": flag.kind,
        "severity": flag.severity,
        "tier": flag.tier,
        "value_usd": _money(flag.value_usd),
        "hits": flag.hits,
        "path": path_text(flag.path),
    }


def _table_rows(report: Report) -> list[dict[str, Cell]]:
    """One row per (line, flag), one per line without flags, one per row error; in file line order."""
    keyed: list[tuple[int, int, dict[str, Cell]]] = []
    for line in report.lines:
        base = _line_cells(line)
        if not line.flags:
            keyed.append((line.line, 0, base))
        for flag in line.flags:
            keyed.append((line.line, 0, base | _flag_cells(flag)))
    for error in report.errors:
        row: dict[str, Cell] = {
            "line": error.line,
            "match_status": "error",
            "error_column": error.column,
            "message": error.message,
        }
        keyed.append((error.line, 1, row))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [row for _, _, row in keyed]


# --- CSV ----------------------------------------------------------------------------------------


def _csv_cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def render_csv(report: Report) -> bytes:
    """One table, UTF-8 with a BOM so Excel detects the encoding; row errors are rows with
    match_status `error`, so nothing submitted goes missing from the download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in _table_rows(report):
        writer.writerow([_csv_cell(row.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


# --- HTML ---------------------------------------------------------------------------------------


def fmt_money(value: float | None) -> str:
    """A USD amount as the HTML report shows it: two decimals, thousands separated; "" for none."""
    return "" if value is None else f"{value:,.2f}"


def _fmt_score(value: float) -> str:
    return f"{value:.2f}"


def _fmt_date(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def http_url(value: str) -> str | None:
    """A rule's source becomes a link only when it is a web address; anything else stays text."""
    return value if value.lower().startswith(("https://", "http://")) else None


def _severity_rank(flag: Flag) -> int:
    return SEVERITY_ORDER.get(flag.severity, -1)


def sorted_flags(line: LineResult) -> list[Flag]:
    """Most severe first, then lowest tier, then rule id."""
    return sorted(line.flags, key=lambda f: (-_severity_rank(f), f.tier, f.rule_id))


def flagged_lines(lines: Iterable[LineResult]) -> list[LineResult]:
    """Lines with a flag, the most severe first, then in file order."""
    found = [line for line in lines if line.flags]
    return sorted(found, key=lambda line: (-max(_severity_rank(f) for f in line.flags), line.line))


def template_environment() -> jinja2.Environment:
    """The package's templates (they share `_base.css`), autoescaped, an undefined name an error: the
    base of every HTML rendering, to which each adds its own filters."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("screening", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _environment() -> jinja2.Environment:
    env = template_environment()
    env.filters["money"] = fmt_money
    env.filters["score"] = _fmt_score
    env.filters["isodate"] = _fmt_date
    env.globals["http_url"] = http_url
    env.globals["sorted_flags"] = sorted_flags
    env.globals["line_totals"] = line_totals
    env.globals["tariff_stack"] = tariff_stack
    return env


def _tier_shares(cells: Sequence[UpstreamCell]) -> list[tuple[UpstreamCell, float]]:
    tier_total: defaultdict[int, float] = defaultdict(float)
    for cell in cells:
        tier_total[cell.tier] += cell.value_usd
    return [
        (cell, 100.0 * cell.value_usd / tier_total[cell.tier] if tier_total[cell.tier] else 0.0)
        for cell in cells
    ]


def render_html(report: Report) -> bytes:
    """A self-contained page for a person: summary first, then the evidence behind every flag, then
    what needs review (ambiguous), what found nothing (unmatched) and what could not be read."""
    flagged = flagged_lines(report.lines)
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            provenance=report.provenance,
            summary=report.summary,
            upstream_shares=_tier_shares(report.summary.upstream),
            flagged=flagged,
            ambiguous=[line for line in report.lines if line.match.status == "ambiguous"],
            unmatched=[line for line in report.lines if line.match.status == "unmatched"],
            severities=_SEVERITIES_DESC,
            focus_origin=FOCUS_ORIGIN,
        )
    )
    return page.encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------------


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, str):
        # openpyxl refuses control characters that XML 1.0 cannot carry; drop them rather than fail.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


class _Sheet:
    """A write-only sheet whose first header row is bold and frozen; later headers are bold too."""

    def __init__(self, workbook: Workbook, title: str, header: Sequence[str] | None = None) -> None:
        self._ws = workbook.create_sheet(title)
        self._ws.freeze_panes = "A2"
        self._bold = Font(bold=True)
        if header is not None:
            self.header(header)

    def header(self, names: Sequence[str]) -> None:
        cells = []
        for name in names:
            cell = WriteOnlyCell(self._ws, value=_xlsx_value(name))
            cell.font = self._bold
            cells.append(cell)
        self._ws.append(cells)

    def row(self, values: Iterable[Cell]) -> None:
        self._ws.append([_xlsx_value(value) for value in values])

    def rows(self, header: Sequence[str], records: Iterable[Mapping[str, Cell]]) -> None:
        for record in records:
            self.row(record.get(name) for name in header)


def _xlsx_summary(wb: Workbook, report: Report) -> None:
    s = report.summary
    sheet = _Sheet(wb, "Summary", ("measure", "value"))
    counts: list[tuple[str, Cell]] = [
        ("lines", s.lines),
        ("matched", s.matched),
        ("ambiguous", s.ambiguous),
        ("unmatched", s.unmatched),
        ("flagged_lines", s.flagged_lines),
        ("errors", len(report.errors)),
    ]
    counts += [(f"flags_{name}", s.flags_by_severity.get(name, 0)) for name in _SEVERITIES_DESC]
    counts += [("as_of", report.as_of), ("since", report.since), ("max_tier", report.max_tier)]
    for measure, value in counts:
        sheet.row((measure, value))
    sheet.row(())
    sheet.header(("tier", "origin", "value_usd", "shipments", "share_of_tier_pct"))
    for cell, share in _tier_shares(s.upstream):
        sheet.row((cell.tier, cell.origin, _money(cell.value_usd), cell.shipments, round(share, 1)))
    sheet.row(())
    sheet.header(("company_id", "name", "country", "value_usd", "recipients"))
    for top in s.top_upstream_suppliers:
        sheet.row((top.company_id, top.name, top.country, _money(top.value_usd), top.recipients))


_LINE_COLUMNS = (
    "line",
    "supplier_name",
    "supplier_country",
    "supplier_ref",
    "part_number",
    "hs_code",
    "annual_value_usd",
    "match_status",
    "company_id",
    "matched_name",
    "country",
    "score",
    "explanation",
    "flags",
    "max_severity",
    "tier1_value_usd",
    "upstream_cn_value_usd",
    "upstream_total_value_usd",
    "tariff_stack_pct",
    "tier1_duty_usd",
    "latent_duty_usd",
)

_FLAG_COLUMNS = (
    "line",
    "supplier_name",
    "rule_id",
    "rule_title",
    "kind",
    "severity",
    "tier",
    "value_usd",
    "hits",
    "path",
    "tariff_rate_pct",
    "note",
    "source",
)


def _xlsx_line(line: LineResult) -> dict[str, Cell]:
    worst = max(line.flags, key=_severity_rank).severity if line.flags else None
    return _line_cells(line) | {
        "supplier_country": line.input.get("supplier_country"),
        "annual_value_usd": line.input.get("annual_value_usd"),
        "explanation": line.match.explanation or None,
        "flags": len(line.flags),
        "max_severity": worst,
    }


def _xlsx_flags(line: LineResult) -> Iterable[dict[str, Cell]]:
    for flag in line.flags:
        yield _flag_cells(flag) | {
            "line": line.line,
            "supplier_name": line.input.get("supplier_name"),
            "tariff_rate_pct": flag.tariff_rate_pct,
            "note": flag.note or None,
            "source": flag.source or None,
        }


def render_xlsx(report: Report) -> bytes:
    """Sheets Summary, Lines, Flags, Upstream, Candidates, Errors and Provenance; numbers and dates
    are typed cells, text is neutralised as in the CSV."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "tiersight"
    _xlsx_summary(wb, report)
    _Sheet(wb, "Lines", _LINE_COLUMNS).rows(_LINE_COLUMNS, (_xlsx_line(line) for line in report.lines))
    _Sheet(wb, "Flags", _FLAG_COLUMNS).rows(
        _FLAG_COLUMNS, (row for line in report.lines for row in _xlsx_flags(line))
    )
    upstream = _Sheet(wb, "Upstream", ("line", "supplier_name", "tier", "origin", "value_usd", "shipments"))
    for line in report.lines:
        for cell in line.upstream:
            upstream.row(
                (
                    line.line,
                    line.input.get("supplier_name"),
                    cell.tier,
                    cell.origin,
                    _money(cell.value_usd),
                    cell.shipments,
                )
            )
    candidates = _Sheet(
        wb,
        "Candidates",
        (
            "line",
            "supplier_name",
            "match_status",
            "company_id",
            "name",
            "country",
            "score",
            "matched_name",
            "explanation",
        ),
    )
    for line in report.lines:
        for c in line.match.candidates:
            candidates.row(
                (
                    line.line,
                    line.input.get("supplier_name"),
                    line.match.status,
                    c.company_id,
                    c.name,
                    c.country,
                    _score(c.score),
                    c.matched_name or None,
                    c.explanation,
                )
            )
    errors = _Sheet(wb, "Errors", ("line", "column", "message"))
    for error in report.errors:
        errors.row((error.line, error.column, error.message))
    provenance = _Sheet(wb, "Provenance", ("field", "value"))
    p = report.provenance
    for name, value in (
        ("rules_version", p.rules_version),
        ("network_version", p.network_version),
        ("matcher_version", p.matcher_version),
        ("input_name", p.input_name),
        ("input_sha256", p.input_sha256),
        ("generated_at", p.generated_at),
        ("as_of", report.as_of),
        ("since", report.since),
        ("max_tier", report.max_tier),
    ):
        provenance.row((name, value))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- dispatch -----------------------------------------------------------------------------------

_RENDERERS: dict[str, Callable[[Report], bytes]] = {
    "json": render_json,
    "csv": render_csv,
    "html": render_html,
    "xlsx": render_xlsx,
}


def render(report: Report, fmt: str) -> bytes:
    """The report as bytes in one of FORMATS (case-insensitive); MEDIA_TYPES gives the content type."""
    renderer = _RENDERERS.get(fmt.strip().lower())
    if renderer is None:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return renderer(report)
