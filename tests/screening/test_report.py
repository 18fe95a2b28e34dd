from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from screening.model import (
    Candidate,
    Flag,
    LineResult,
    Match,
    PathStep,
    Provenance,
    Report,
    RowError,
    TopSupplier,
    UpstreamCell,
)
from screening.report import (
    CSV_COLUMNS,
    FORMATS,
    MEDIA_TYPES,
    neutralise,
    path_text,
    render,
    render_csv,
    render_html,
    render_json,
    render_xlsx,
    report_to_dict,
    summarize,
    tariff_stack,
)

FORMULA_NAME = '=HYPERLINK("http://x","y")'
SCRIPT_NAME = "<script>alert(1)</script>"


def mofcom_flag() -> Flag:
    return Flag(
        rule_id="cn-mofcom-2025-18",
        kind="export_control",
        severity="high",
        tier=3,
        value_usd=799.999,
        hits=2,
        path=(
            PathStep(company_id="C123", tier=1, name="Ningbo Magnet Works"),
            PathStep(
                company_id="C77",
                tier=2,
                shipment_id="S9",
                name="Baotou Alloy Trading",
                hs_code="850511",
                date=dt.date(2025, 6, 2),
                origin="CN",
                value_usd=1200.0,
            ),
            PathStep(
                company_id="C88",
                tier=3,
                shipment_id="S12",
                name="Ganzhou Rare Earth Smelting",
                hs_code="280530",
                date=dt.date(2025, 5, 1),
                origin="CN",
                value_usd=500.0,
            ),
        ),
        title="China export control on seven medium and heavy rare earths",
        note="Licence needed for Dy and Tb.",
        source="https://www.mofcom.gov.cn/example",
        value_by_tier=((3, 799.999),),
    )


def tariff_flag() -> Flag:
    return Flag(
        rule_id="us-301-magnets",
        kind="tariff",
        severity="medium",
        tier=1,
        value_usd=1000.0,
        hits=1,
        path=(PathStep(company_id="C123", tier=1, name="Ningbo Magnet Works"),),
        title="Section 301 tariff on permanent magnets",
        source="javascript:alert(2)",
        tariff_rate_pct=25.0,
        tariff_basis="full value",
        value_by_tier=((1, 1000.0),),
    )


def flagged_line() -> LineResult:
    return LineResult(
        line=2,
        input={"supplier_name": "宁波磁材 Ningbo Magnet", "hs_code": "8505.11", "supplier_ref": "-42"},
        match=Match(
            status="matched",
            company_id="C123",
            name="Ningbo Magnet Works",
            country="CN",
            score=0.97123,
            explanation="name tokens agree; country agrees",
        ),
        upstream=(
            UpstreamCell(tier=1, origin="CN", value_usd=1000.0, shipments=0),
            UpstreamCell(tier=2, origin="CN", value_usd=1200.0, shipments=3),
            UpstreamCell(tier=3, origin="CN", value_usd=800.0, shipments=2),
            UpstreamCell(tier=3, origin="MM", value_usd=300.0, shipments=1),
        ),
        flags=(tariff_flag(), mofcom_flag()),
    )


def ambiguous_line() -> LineResult:
    return LineResult(
        line=3,
        input={"supplier_name": FORMULA_NAME},
        match=Match(
            status="ambiguous",
            score=0.81234567,
            candidates=(
                Candidate("C5", "Hyper Link Ltd", "GB", 0.81234567, "close name", "Hyper Link"),
                Candidate("C6", "Hyperlink GmbH", "DE", 0.8, "close name, legal form differs"),
            ),
        ),
    )


def unmatched_line() -> LineResult:
    return LineResult(line=4, input={"supplier_name": SCRIPT_NAME}, match=Match(status="unmatched"))


def clean_line() -> LineResult:
    return LineResult(
        line=5,
        input={"supplier_name": "Acme Cells", "supplier_country": "KR", "annual_value_usd": "500"},
        match=Match(status="matched", company_id="C200", name="Acme Cells Co", country="KR", score=0.9),
        upstream=(
            UpstreamCell(tier=1, origin="KR", value_usd=500.0, shipments=0),
            UpstreamCell(tier=2, origin="KR", value_usd=700.0, shipments=2),
            UpstreamCell(tier=2, origin="CN", value_usd=200.5, shipments=1),
        ),
    )


TOP = (
    TopSupplier("C77", "Baotou Alloy Trading", "CN", 1200.0, 1),
    TopSupplier("C300", "Seoul Anode", "KR", 700.0, 1),
)
ERROR = RowError(line=7, column="hs_code", message="HS code '12ab' must contain only digits, dots and spaces")


def sample_report() -> Report:
    lines = (flagged_line(), ambiguous_line(), unmatched_line(), clean_line())
    return Report(
        as_of=dt.date(2026, 11, 28),
        since=dt.date(2021, 11, 28),
        max_tier=4,
        provenance=Provenance(
            rules_version="r-abc",
            network_version="n-7",
            matcher_version="m-1",
            input_sha256="0" * 64,
            input_name="suppliers.csv",
            generated_at="2026-11-28T10:00:00Z",
        ),
        lines=lines,
        summary=summarize(lines, top_suppliers=TOP),
        errors=(ERROR,),
    )


# --- summarize ----------------------------------------------------------------------------------


def test_summarize_counts_statuses_flagged_lines_and_severities() -> None:
    summary = sample_report().summary
    assert (summary.lines, summary.matched, summary.ambiguous, summary.unmatched) == (4, 2, 1, 1)
    assert summary.flagged_lines == 1
    assert summary.flags_by_severity == {"high": 1, "medium": 1, "low": 0, "info": 0}
    assert summary.top_upstream_suppliers == TOP


def test_summarize_sums_upstream_per_tier_and_origin_ordered_by_tier_then_value() -> None:
    summary = sample_report().summary
    # tier 1: CN 1000 (line 2), KR 500 (line 5); tier 2: CN 1200 + 200.5, KR 700; tier 3: CN 800, MM 300
    assert summary.upstream == (
        UpstreamCell(tier=1, origin="CN", value_usd=1000.0, shipments=0),
        UpstreamCell(tier=1, origin="KR", value_usd=500.0, shipments=0),
        UpstreamCell(tier=2, origin="CN", value_usd=1400.5, shipments=4),
        UpstreamCell(tier=2, origin="KR", value_usd=700.0, shipments=2),
        UpstreamCell(tier=3, origin="CN", value_usd=800.0, shipments=2),
        UpstreamCell(tier=3, origin="MM", value_usd=300.0, shipments=1),
    )


def test_summarize_orders_a_tier_by_value_even_when_a_later_line_overtakes() -> None:
    def line(n: int, *cells: tuple[str, float]) -> LineResult:
        return LineResult(
            line=n,
            input={},
            match=Match(status="matched", company_id=f"C{n}"),
            upstream=tuple(UpstreamCell(tier=2, origin=o, value_usd=v, shipments=1) for o, v in cells),
        )

    lines = [line(2, ("CN", 50.0), ("VN", 40.0)), line(3, ("VN", 30.0)), line(4, ("JP", 60.0))]
    summary = summarize(lines, top_suppliers=())
    # VN 40 + 30 = 70 overtakes JP 60 and CN 50: value order, not line or alphabetical order
    assert [(c.origin, c.value_usd, c.shipments) for c in summary.upstream] == [
        ("VN", 70.0, 2),
        ("JP", 60.0, 1),
        ("CN", 50.0, 1),
    ]


def test_summarize_of_no_lines_is_all_zero() -> None:
    summary = summarize([], top_suppliers=())
    assert (summary.lines, summary.matched, summary.flagged_lines, summary.upstream) == (0, 0, 0, ())
    assert set(summary.flags_by_severity.values()) == {0}


# --- JSON ---------------------------------------------------------------------------------------


def test_json_has_every_contract_field_with_its_type() -> None:
    data = json.loads(render_json(sample_report()))
    assert data["as_of"] == "2026-11-28"
    assert data["since"] == "2021-11-28"
    assert data["max_tier"] == 4
    assert data["rules_version"] == "r-abc"
    assert {key: data[key] for key in ("network_version", "matcher_version", "input_name")} == {
        "network_version": "n-7",
        "matcher_version": "m-1",
        "input_name": "suppliers.csv",
    }
    assert data["input_sha256"] == "0" * 64
    assert [line["line"] for line in data["lines"]] == [2, 3, 4, 5]
    for line in data["lines"]:
        assert set(line) >= {"line", "input", "match", "upstream", "flags"}
        assert set(line["match"]) >= {"status", "company_id", "name", "country", "score", "explanation"}
        assert isinstance(line["match"]["candidates"], list)
        for cell in line["upstream"]:
            assert set(cell) == {"tier", "origin", "value_usd", "shipments"}
            assert isinstance(cell["value_usd"], float)
    summary = data["summary"]
    assert {k: summary[k] for k in ("lines", "matched", "ambiguous", "unmatched", "flagged_lines")} == {
        "lines": 4,
        "matched": 2,
        "ambiguous": 1,
        "unmatched": 1,
        "flagged_lines": 1,
    }
    assert summary["upstream"][2] == {"tier": 2, "origin": "CN", "value_usd": 1400.5, "shipments": 4}
    assert summary["top_upstream_suppliers"][0] == {
        "company_id": "C77",
        "name": "Baotou Alloy Trading",
        "country": "CN",
        "value_usd": 1200.0,
        "recipients": 1,
    }
    assert data["errors"] == [{"line": 7, "column": "hs_code", "message": ERROR.message}]


def test_json_flagged_line_is_exactly_the_contract_shape() -> None:
    line = report_to_dict(sample_report())["lines"][0]  # type: ignore[index]
    assert line == {
        "line": 2,
        "input": {"supplier_name": "宁波磁材 Ningbo Magnet", "hs_code": "8505.11", "supplier_ref": "-42"},
        "match": {
            "status": "matched",
            "company_id": "C123",
            "name": "Ningbo Magnet Works",
            "country": "CN",
            "score": 0.9712,
            "explanation": "name tokens agree; country agrees",
            "candidates": [],
            "decision": None,
        },
        "upstream": [
            {"tier": 1, "origin": "CN", "value_usd": 1000.0, "shipments": 0},
            {"tier": 2, "origin": "CN", "value_usd": 1200.0, "shipments": 3},
            {"tier": 3, "origin": "CN", "value_usd": 800.0, "shipments": 2},
            {"tier": 3, "origin": "MM", "value_usd": 300.0, "shipments": 1},
        ],
        "flags": [
            {
                "rule_id": "us-301-magnets",
                "kind": "tariff",
                "severity": "medium",
                "tier": 1,
                "value_usd": 1000.0,
                "hits": 1,
                "path": [{"company_id": "C123", "tier": 1, "name": "Ningbo Magnet Works"}],
                "title": "Section 301 tariff on permanent magnets",
                "note": "",
                "source": "javascript:alert(2)",
                "tariff_rate_pct": 25.0,
                "tariff_basis": "full value",
                "value_by_tier": [{"tier": 1, "value_usd": 1000.0}],
            },
            {
                "rule_id": "cn-mofcom-2025-18",
                "kind": "export_control",
                "severity": "high",
                "tier": 3,
                "value_usd": 800.0,
                "hits": 2,
                "path": [
                    {"company_id": "C123", "tier": 1, "name": "Ningbo Magnet Works"},
                    {
                        "company_id": "C77",
                        "tier": 2,
                        "shipment_id": "S9",
                        "name": "Baotou Alloy Trading",
                        "hs_code": "850511",
                        "date": "2025-06-02",
                        "origin": "CN",
                        "value_usd": 1200.0,
                    },
                    {
                        "company_id": "C88",
                        "tier": 3,
                        "shipment_id": "S12",
                        "name": "Ganzhou Rare Earth Smelting",
                        "hs_code": "280530",
                        "date": "2025-05-01",
                        "origin": "CN",
                        "value_usd": 500.0,
                    },
                ],
                "title": "China export control on seven medium and heavy rare earths",
                "note": "Licence needed for Dy and Tb.",
                "source": "https://www.mofcom.gov.cn/example",
                "tariff_rate_pct": None,
                "tariff_basis": None,
                "value_by_tier": [{"tier": 3, "value_usd": 800.0}],
            },
        ],
        "tariffs": {
            "rate_pct": 25.0,
            "duty_usd": 250.0,
            "applied": [
                {
                    "rule_id": "us-301-magnets",
                    "rate_pct": 25.0,
                    "basis": "full value",
                    "value_usd": 1000.0,
                    "duty_usd": 250.0,
                }
            ],
            "latent_duty_usd": 0.0,
            "latent": [],
        },
    }


def test_tariffs_on_the_import_stack_and_upstream_hits_are_latent() -> None:
    """Section 232 hits the import (tier 1, 500) and inputs at tiers 2 and 3 (120 + 80); Section 301
    hits the import only. On the import the rates add up: 50% + 25% of 500 = 375. Upstream, the 200 of
    steel inputs would bear 50% = 100 if imported directly."""
    steel = replace(
        tariff_flag(),
        rule_id="us-232-steel",
        tariff_rate_pct=50.0,
        tariff_basis="steel content",
        value_usd=700.0,
        hits=3,
        value_by_tier=((1, 500.0), (2, 120.0), (3, 80.0)),
    )
    china = replace(tariff_flag(), value_usd=500.0, value_by_tier=((1, 500.0),))
    line = replace(flagged_line(), flags=(steel, china, mofcom_flag()))
    stack = tariff_stack(line)
    assert (stack.rate_pct, stack.duty_usd, stack.latent_duty_usd) == (75.0, 375.0, 100.0)
    assert [(p.rule_id, p.value_usd, p.duty_usd, p.basis) for p in stack.latent] == [
        ("us-232-steel", 200.0, 100.0, "steel content")
    ]
    report = replace(sample_report(), lines=(line,))
    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    assert {
        (r["tariff_stack_pct"], r["tier1_duty_usd"], r["latent_duty_usd"]) for r in rows if r["line"] == "2"
    } == {("75.0", "375.0", "100.0")}
    page = render_html(report).decode("utf-8")
    assert "Tariff stack, line 2: 75.0% on the import (375.00 USD)" in page
    assert "inputs upstream, if imported directly" in page


def test_json_candidates_carry_their_explanation_and_matched_name() -> None:
    line = json.loads(render_json(sample_report()))["lines"][1]
    assert line["match"]["status"] == "ambiguous"
    assert line["match"]["company_id"] is None
    assert line["match"]["candidates"] == [
        {
            "company_id": "C5",
            "name": "Hyper Link Ltd",
            "country": "GB",
            "score": 0.8123,
            "explanation": "close name",
            "matched_name": "Hyper Link",
        },
        {
            "company_id": "C6",
            "name": "Hyperlink GmbH",
            "country": "DE",
            "score": 0.8,
            "explanation": "close name, legal form differs",
            "matched_name": "",
        },
    ]


def test_json_is_utf8_text_that_keeps_names_in_their_script() -> None:
    body = render_json(sample_report())
    assert "宁波磁材".encode() in body
    assert b"\\u" not in body


def test_json_refuses_a_non_finite_amount_rather_than_emit_invalid_json() -> None:
    report = sample_report()
    broken = replace(
        report, lines=(replace(clean_line(), flags=(replace(tariff_flag(), value_usd=float("nan")),)),)
    )
    with pytest.raises(ValueError):
        render_json(broken)


# --- CSV ----------------------------------------------------------------------------------------


def csv_rows(report: Report) -> list[dict[str, str]]:
    body = render_csv(report)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_csv_starts_with_a_bom_and_round_trips_with_the_csv_module() -> None:
    body = render_csv(sample_report())
    assert body.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(sample_report())
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["supplier_name"] == "宁波磁材 Ningbo Magnet"


def test_csv_has_one_row_per_flag_one_per_unflagged_line_and_one_per_error() -> None:
    rows = csv_rows(sample_report())
    assert [(r["line"], r["match_status"], r["rule_id"]) for r in rows] == [
        ("2", "matched", "us-301-magnets"),
        ("2", "matched", "cn-mofcom-2025-18"),
        ("3", "ambiguous", ""),
        ("4", "unmatched", ""),
        ("5", "matched", ""),
        ("7", "error", ""),
    ]
    error = rows[-1]
    assert (error["error_column"], error["message"]) == ("hs_code", ERROR.message)


def test_csv_neutralises_formula_text_in_every_text_column() -> None:
    rows = csv_rows(sample_report())
    assert rows[2]["supplier_name"] == "'" + FORMULA_NAME
    assert rows[0]["supplier_ref"] == "'-42"
    assert rows[3]["supplier_name"] == SCRIPT_NAME


def test_csv_keeps_numbers_numeric_even_when_negative() -> None:
    report = replace(
        sample_report(), lines=(replace(clean_line(), flags=(replace(tariff_flag(), value_usd=-12.5),)),)
    )
    row = csv_rows(report)[0]
    assert row["value_usd"] == "-12.5"
    assert float(row["score"]) == 0.9
    assert int(row["tier"]) == 1


def test_csv_writes_the_evidence_path_hop_by_hop_and_upstream_totals() -> None:
    rows = csv_rows(sample_report())
    assert rows[1]["path"] == "C123 > C77 (S9) > C88 (S12)"
    assert rows[1]["value_usd"] == "800.0"
    # line 2: tier 1 = 1000; upstream (tier 2+) CN = 1200 + 800, total = 1200 + 800 + 300
    assert (
        rows[1]["tier1_value_usd"],
        rows[1]["upstream_cn_value_usd"],
        rows[1]["upstream_total_value_usd"],
    ) == (
        "1000.0",
        "2000.0",
        "2300.0",
    )
    # line 5: tier 1 = 500; upstream CN = 200.5, total = 700 + 200.5
    assert (
        rows[4]["tier1_value_usd"],
        rows[4]["upstream_cn_value_usd"],
        rows[4]["upstream_total_value_usd"],
    ) == (
        "500.0",
        "200.5",
        "900.5",
    )
    assert rows[3]["score"] == ""


def test_csv_leaves_upstream_totals_blank_for_lines_that_were_not_traced() -> None:
    rows = csv_rows(sample_report())
    for row in rows[2:4]:
        assert row["match_status"] in {"ambiguous", "unmatched"}
        assert (row["tier1_value_usd"], row["upstream_cn_value_usd"], row["upstream_total_value_usd"]) == (
            "",
            "",
            "",
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme = Best", "Acme = Best"),
        ("", ""),
    ],
)
def test_neutralise_prefixes_only_text_that_starts_a_formula(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_path_text_names_each_hop_with_its_shipment() -> None:
    assert path_text(mofcom_flag().path) == "C123 > C77 (S9) > C88 (S12)"
    assert path_text(()) == ""


# --- HTML ---------------------------------------------------------------------------------------


def test_html_escapes_names_from_the_submitted_file() -> None:
    page = render_html(sample_report()).decode("utf-8")
    assert SCRIPT_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in page


def test_html_puts_the_summary_first_then_flagged_ambiguous_unmatched_and_errors() -> None:
    page = render_html(sample_report()).decode("utf-8")
    order = [
        page.index('id="summary"'),
        page.index('id="flagged"'),
        page.index('id="ambiguous"'),
        page.index('id="unmatched"'),
        page.index('id="errors"'),
        page.index('id="provenance"'),
    ]
    assert order == sorted(order)
    assert page.index("Seoul Anode") < page.index('id="flagged"')
    assert page.index("1,400.50") < page.index('id="flagged"')


def test_html_shows_the_evidence_path_hop_by_hop() -> None:
    page = render_html(sample_report()).decode("utf-8")
    start = page.index("Evidence path for cn-mofcom-2025-18")
    table = page[start : page.index("</table>", start)]
    hops = [
        ("1", "Ningbo Magnet Works", "C123"),
        ("2", "Baotou Alloy Trading", "C77", "S9", "850511", "2025-06-02", "CN", "1,200.00"),
        ("3", "Ganzhou Rare Earth Smelting", "C88", "S12", "280530", "2025-05-01", "CN", "500.00"),
    ]
    rows = table.split("<tr>")[2:]
    assert len(rows) == len(hops)
    for row, hop in zip(rows, hops, strict=True):
        positions = [row.index(f">{text}<") for text in hop]
        assert positions == sorted(positions)


def test_html_lists_candidates_errors_and_unmatched_lines() -> None:
    page = render_html(sample_report()).decode("utf-8")
    review = page[page.index('id="ambiguous"') : page.index('id="unmatched"')]
    assert "Hyper Link Ltd" in review
    assert "close name, legal form differs" in review
    assert "0.81" in review
    errors = page[page.index('id="errors"') :]
    assert "hs_code" in errors
    assert "HS code &#39;12ab&#39; must contain only digits" in errors


def test_html_loads_no_external_asset_and_links_only_web_sources() -> None:
    page = render_html(sample_report()).decode("utf-8").lower()
    assert "<link" not in page
    assert "<script" not in page
    assert "<img" not in page
    assert "@import" not in page
    assert "url(" not in page
    assert re.findall(r'href="([^"]*)"', page) == ["https://www.mofcom.gov.cn/example"]


def test_html_markup_is_accessible() -> None:
    page = render_html(sample_report()).decode("utf-8")
    assert '<html lang="en">' in page
    assert page.count("<table>") == page.count("<caption>")
    assert page.count("<th ") == page.count('<th scope="')
    levels = [int(level) for level in re.findall(r"<h([1-6])[ >]", page)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_html_orders_flags_most_severe_first() -> None:
    page = render_html(sample_report()).decode("utf-8")
    assert page.index("Evidence path for cn-mofcom-2025-18") < page.index("Evidence path for us-301-magnets")


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_has_the_sheets_the_neutralised_cell_and_typed_numbers() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(sample_report())), read_only=True)
    assert {"Summary", "Lines", "Flags", "Upstream", "Errors", "Provenance"} <= set(book.sheetnames)
    lines = list(book["Lines"].iter_rows(values_only=True))
    header = lines[0]
    by_line = {
        row[0]: dict(zip(header, row, strict=False)) for row in lines[1:]
    }  # read-only drops trailing blanks
    assert by_line[3]["supplier_name"] == "'" + FORMULA_NAME
    assert by_line[4]["supplier_name"] == SCRIPT_NAME
    assert by_line[2]["upstream_total_value_usd"] == 2300.0
    assert by_line[2]["max_severity"] == "high"
    flags = list(book["Flags"].iter_rows(values_only=True))
    assert flags[2][flags[0].index("path")] == "C123 > C77 (S9) > C88 (S12)"
    assert flags[2][flags[0].index("value_usd")] == 800.0
    errors = list(book["Errors"].iter_rows(values_only=True))
    assert errors[1] == (7, "hs_code", ERROR.message)
    provenance = dict(book["Provenance"].iter_rows(values_only=True))
    assert provenance["input_sha256"] == "0" * 64
    book.close()


def test_xlsx_writes_no_formula_and_freezes_a_bold_header() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(sample_report())))
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None)
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_xlsx_drops_control_characters_a_workbook_cannot_hold() -> None:
    report = replace(
        sample_report(), lines=(replace(clean_line(), input={"supplier_name": "Acme\x01 Cells"}),)
    )
    book = load_workbook(io.BytesIO(render_xlsx(report)), read_only=True)
    rows = list(book["Lines"].iter_rows(values_only=True))
    assert rows[1][1] == "Acme Cells"
    book.close()


# --- dispatch -----------------------------------------------------------------------------------


def test_render_dispatches_every_format_and_refuses_others() -> None:
    report = sample_report()
    assert render(report, "json") == render_json(report)
    assert render(report, "CSV") == render_csv(report)
    assert render(report, "html").startswith(b"<!DOCTYPE html>")
    assert render(report, "xlsx").startswith(b"PK")
    assert set(MEDIA_TYPES) == set(FORMATS)
    with pytest.raises(ValueError, match="pdf"):
        render(report, "pdf")
