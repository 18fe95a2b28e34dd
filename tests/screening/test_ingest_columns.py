"""A supplier list's column mapping (header as written -> field), its preview, and the file given back
annotated with its errors."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from screening.errors import InputError, UnreadableFileError
from screening.ingest import (
    ANNOTATION_COLUMN,
    SUPPLIER_FIELDS,
    annotate_suppliers,
    check_columns,
    preview_suppliers,
    read_suppliers,
)
from screening.model import RowError

GERMAN = (
    b"Lieferant,Land,HS Code,Spend (USD)\n"
    b"Acme Batterien GmbH,DE,850760,1000\n"
    b"Foo Ltd,Narnia,8507,200\n"
    b",CN,850760,5\n"
    b"Bar Co,CN,850760,12\n"
)
MAPPING = {"Lieferant": "supplier_name", "Land": "supplier_country"}


def workbook(rows: list[list[object]], *, title: str = "Suppliers") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.create_sheet("Notes").append(["kept as it is"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_mapping_reads_headers_the_automatic_matching_does_not_know() -> None:
    with pytest.raises(UnreadableFileError, match="no supplier_name column"):
        read_suppliers(GERMAN, "lieferanten.csv")
    result = read_suppliers(GERMAN, "lieferanten.csv", columns=MAPPING)
    assert result.columns == {
        "supplier_name": "Lieferant",
        "supplier_country": "Land",
        "hs_code": "HS Code",
        "annual_value_usd": "Spend (USD)",
    }
    assert [(line.line, line.supplier_name, line.supplier_country) for line in result.lines] == [
        (2, "Acme Batterien GmbH", "DE"),
        (5, "Bar Co", "CN"),
    ]
    assert result.lines[0].input == {
        "supplier_name": "Acme Batterien GmbH",
        "supplier_country": "DE",
        "hs_code": "850760",
        "annual_value_usd": "1000",
    }
    assert [(e.line, e.column) for e in result.errors] == [
        (3, "hs_code"),
        (3, "supplier_country"),
        (4, "supplier_name"),
    ]


def test_headers_are_named_loosely_and_an_explicit_entry_wins_over_the_automatic_matching() -> None:
    data = b"Vendor,Company,Country\nAcme,Acme Holding,DE\n"
    automatic = read_suppliers(data, "s.csv")
    assert (
        automatic.lines[0].supplier_name == "Acme" and automatic.lines[0].input["Company"] == "Acme Holding"
    )
    mapped = read_suppliers(data, "s.csv", columns={"  company ": "supplier_name", "COUNTRY": "ignore"})
    line = mapped.lines[0]
    assert (line.supplier_name, line.supplier_country) == ("Acme Holding", None)
    # the columns not used are still echoed under their headers: nothing is dropped silently
    assert line.input == {"Vendor": "Acme", "supplier_name": "Acme Holding", "Country": "DE"}
    assert mapped.columns == {"supplier_name": "Company"}
    blank_means_ignore = read_suppliers(data, "s.csv", columns={"Country": ""})
    assert blank_means_ignore.lines[0].supplier_country is None


def test_an_explicit_money_column_is_taken_whatever_its_unit() -> None:
    data = b"supplier,Spend (EUR)\nAcme,100\n"
    assert read_suppliers(data, "s.csv").lines[0].annual_value_usd is None
    mapped = read_suppliers(data, "s.csv", columns={"Spend (EUR)": "annual_value_usd"})
    assert mapped.lines[0].annual_value_usd == 100.0 and mapped.errors == ()


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"Lieferant": "vendor_name"}, "gives 'Lieferant' the field 'vendor_name', which a supplier list"),
        ({"Lieferant": "supplier_name", "Land": "supplier_name"}, "both 'Lieferant' and 'Land'"),
        (
            {"Lieferant": "supplier_name", "lieferant ": "supplier_country"},
            "names the header 'Lieferant' twice",
        ),
        ({" ": "supplier_name"}, "an empty header"),
        ({"Lieferant": 3}, "field names (text)"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_header_or_field(
    columns: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_columns(columns)
    with pytest.raises(InputError):
        read_suppliers(GERMAN, "l.csv", columns=columns)  # type: ignore[arg-type]


def test_a_mapping_naming_a_header_the_file_lacks_or_has_twice_is_refused() -> None:
    with pytest.raises(
        InputError, match=r"l.csv has no column 'Supplier' .* its columns are: Lieferant, Land"
    ):
        read_suppliers(GERMAN, "l.csv", columns={"Supplier": "supplier_name"})
    with pytest.raises(InputError, match="no column 'Nom'"):
        preview_suppliers(GERMAN, "l.csv", columns={"Nom": "supplier_name"})
    # a data cell equal to a mapped header does not make that row the header
    tricky = GERMAN + b"Baz,CN,850760,x\n"
    with pytest.raises(InputError, match="no column 'x'"):
        read_suppliers(tricky, "l.csv", columns={"x": "supplier_name"})
    twice = b"Name,Name,Land\nA,B,DE\n"
    with pytest.raises(InputError, match="2 columns named 'Name'"):
        read_suppliers(twice, "t.csv", columns={"Name": "supplier_name"})
    assert check_columns({"Lieferant": "Supplier_Name", "Land": "IGNORE"}) == {
        "Lieferant": "supplier_name",
        "Land": "",
    }
    assert "supplier_name" in SUPPLIER_FIELDS and "part_number" in SUPPLIER_FIELDS


def test_the_mapping_finds_the_header_below_a_title_and_the_delimiter() -> None:
    data = b"Lieferantenliste 2026\n\nLieferant;Land\nAcme;CN\n"
    result = read_suppliers(data, "t.csv", columns=MAPPING)
    assert [(line.line, line.supplier_name, line.supplier_country) for line in result.lines] == [
        (4, "Acme", "CN")
    ]


def test_json_and_workbooks_take_a_mapping_too() -> None:
    items = [{"Lieferant": "Acme", "Land": "CN"}, {"Lieferant": "", "Land": "DE"}]
    result = read_suppliers(json.dumps(items).encode(), "s.json", columns=MAPPING)
    assert [line.supplier_name for line in result.lines] == ["Acme"]
    assert result.errors == (RowError(2, "supplier_name", "supplier name is empty; the row is not screened"),)
    book = workbook([["Lieferant", "Land"], ["Acme", "CN"]])
    assert read_suppliers(book, "s.xlsx", columns=MAPPING).lines[0].supplier_country == "CN"


def test_the_preview_shows_the_detected_mapping_the_first_rows_and_the_problem() -> None:
    preview = preview_suppliers(GERMAN, "lieferanten.csv", rows=2)
    assert preview.format == "csv" and preview.header_line == 1
    assert preview.headers == ("Lieferant", "Land", "HS Code", "Spend (USD)")
    assert preview.fields == ("", "", "hs_code", "annual_value_usd")
    assert preview.rows == (
        (2, ("Acme Batterien GmbH", "DE", "850760", "1000")),
        (3, ("Foo Ltd", "Narnia", "8507", "200")),
    )
    assert preview.row_count == 4 and preview.line_count == 0 and preview.errors == ()
    assert preview.problem is not None and "no supplier_name column" in preview.problem

    corrected = preview_suppliers(GERMAN, "lieferanten.csv", columns=MAPPING)
    assert corrected.fields == ("supplier_name", "supplier_country", "hs_code", "annual_value_usd")
    assert corrected.problem is None and corrected.line_count == 2 and len(corrected.rows) == 4
    assert corrected.errors == read_suppliers(GERMAN, "lieferanten.csv", columns=MAPPING).errors


def test_the_preview_of_json_and_ragged_rows() -> None:
    items = [{"Lieferant": "Acme", "Land": "CN"}, {}, 7, {"Lieferant": "B", "extra": {"a": 1}}]
    preview = preview_suppliers(json.dumps(items).encode(), "s.json", columns=MAPPING)
    assert preview.format == "json" and preview.header_line == 0
    assert preview.headers == ("Lieferant", "Land", "extra")
    assert preview.rows == ((1, ("Acme", "CN", "")), (3, ("7", "", "")), (4, ("B", "", '{"a": 1}')))
    assert [(e.line, e.column) for e in preview.errors] == [(3, "")]
    ragged = preview_suppliers(b"supplier,country\nAcme,CN,surplus\n", "r.csv")
    assert ragged.headers == ("supplier", "country", "") and ragged.fields == (
        "supplier_name",
        "supplier_country",
        "",
    )
    assert ragged.rows == ((2, ("Acme", "CN", "surplus")),)


def test_the_preview_says_which_columns_a_mapping_can_name() -> None:
    """A column without a header, or with one the row has twice (loosely: spaces and case), cannot be
    named by a mapping, as `read_suppliers` would refuse it."""
    data = b"Supplier,Note, note ,Country\nAcme,a,b,CN,extra\n"
    preview = preview_suppliers(data, "n.csv")
    assert preview.headers == ("Supplier", "Note", "note", "Country", "")
    assert preview.mappable == (True, False, False, True, False)
    with pytest.raises(InputError, match="has 2 columns named 'Note'"):
        preview_suppliers(data, "n.csv", columns={"Note": "part_description"})


def test_an_unreadable_file_is_still_refused_by_the_preview() -> None:
    with pytest.raises(UnreadableFileError):
        preview_suppliers(b"%PDF-1.4 ...", "s.pdf")


def test_the_annotated_csv_keeps_the_file_and_adds_the_reasons() -> None:
    annotated = annotate_suppliers(GERMAN, "lieferanten.csv", columns=MAPPING)
    assert annotated.filename == "lieferanten-annotated.csv" and annotated.format == "csv"
    rows = list(csv.reader(io.StringIO(annotated.data.decode("utf-8"))))
    assert rows[0] == ["Lieferant", "Land", "HS Code", "Spend (USD)", ANNOTATION_COLUMN]
    assert [row[:4] for row in rows[1:]] == [row[:4] for row in csv.reader(io.StringIO(GERMAN.decode()))][1:]
    assert rows[1][4] == "" and rows[4][4] == ""
    assert (
        rows[2][4].startswith("hs_code: HS code '8507' has 4 digits") and "; supplier_country: " in rows[2][4]
    )
    assert rows[3][4] == "supplier_name: supplier name is empty; the row is not screened"


def test_the_annotated_csv_keeps_the_delimiter_and_a_title_row() -> None:
    data = "Liste\r\nLieferant;Land\r\n;CN\r\nMüller AG;DE\r\n".encode("cp1252")
    annotated = annotate_suppliers(data, "t.txt", columns=MAPPING)
    assert annotated.filename == "t-annotated.txt"
    assert annotated.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, so that Excel reads the umlaut
    assert annotated.data.decode("utf-8-sig") == (
        "Liste\r\nLieferant;Land;tiersight_errors\r\n"
        ';CN;"supplier_name: supplier name is empty; the row is not screened"\r\n'
        "Müller AG;DE;\r\n"
    )


def test_the_annotated_workbook_keeps_its_sheets_and_formulas() -> None:
    book = workbook(
        [["Title row"], ["Lieferant", "Land", "Total"], ["", "CN", "=1+1"], ["Acme", "Atlantis", None]]
    )
    annotated = annotate_suppliers(book, "s.xlsx", columns=MAPPING)
    assert annotated.filename == "s-annotated.xlsx" and annotated.format == "xlsx"
    opened = openpyxl.load_workbook(io.BytesIO(annotated.data))
    assert opened.sheetnames == ["Suppliers", "Notes"]
    values = [list(row) for row in opened["Suppliers"].iter_rows(values_only=True)]
    assert values[0][:1] == ["Title row"] and values[0][3] is None
    assert values[1] == ["Lieferant", "Land", "Total", ANNOTATION_COLUMN]
    assert values[2][2] == "=1+1" and values[2][3].startswith("supplier_name: supplier name is empty")
    assert values[3][3] == "supplier_country: unknown country 'Atlantis'; screened without a country"


def test_an_annotated_json_list_comes_back_as_csv() -> None:
    items = [{"Lieferant": "Acme", "Land": "CN"}, "oops"]
    annotated = annotate_suppliers(json.dumps(items).encode(), "s.json", columns=MAPPING)
    assert annotated.filename == "s-annotated.csv"
    rows = list(csv.reader(io.StringIO(annotated.data.decode("utf-8-sig"))))
    assert rows == [
        ["Lieferant", "Land", ANNOTATION_COLUMN],
        ["Acme", "CN", ""],
        ["", "", "item 2 is a string, not an object with supplier fields"],
    ]
