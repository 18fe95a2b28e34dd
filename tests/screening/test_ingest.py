import csv
import datetime as dt
import io
import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest

from screening.errors import UnreadableFileError
from screening.ingest import (
    ShipmentRow,
    normalize_header,
    read_companies,
    read_shipments,
    read_suppliers,
    read_suppliers_file,
    read_suppliers_records,
)
from screening.model import RowError

FACILITY_LISTS = (
    Path(__file__).parents[2] / ".." / "shared" / "data" / "real" / "open_apparel_registry" / "facility_lists"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def workbook_bytes(
    rows: list[list[object]], title: str = "Suppliers", extra_sheet: str | None = None
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet is not None:
        book.create_sheet(extra_sheet).append(["nothing", "here"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unreadable(data: bytes, name: str) -> str:
    with pytest.raises(UnreadableFileError) as caught:
        read_suppliers(data, name)
    return str(caught.value)


# --- headers --------------------------------------------------------------------------------------


def test_normalize_header_drops_units_case_and_punctuation() -> None:
    assert normalize_header("  Annual Spend (USD) ") == "annual_spend"
    assert normalize_header("Value [USD]") == "value"
    assert normalize_header("HTS-Code") == "hts_code"
    assert normalize_header("Vendor No.") == "vendor_no"
    assert normalize_header("Vendor #") == "vendor_number"
    assert normalize_header("\ufeffSupplier  Name*") == "supplier_name"


def test_synonyms_and_units_map_to_canonical_columns(tmp_path: Path) -> None:
    text = (
        "Vendor Name,Country,HTS Code,Annual Spend (USD),Vendor #,Part No.,Description,Notes\n"
        'Ningbo Yunsheng Co Ltd,China,8505.11.0070,"1,250,000.50",V-17,PN-1,NdFeB magnet,call first\n'
    )
    result = read_suppliers_file(write(tmp_path, "suppliers.csv", text.encode()))
    assert result.errors == ()
    [line] = result.lines
    assert (line.supplier_name, line.supplier_country, line.hs_code) == (
        "Ningbo Yunsheng Co Ltd",
        "CN",
        "8505110070",
    )
    assert line.annual_value_usd == 1250000.5
    assert (line.supplier_ref, line.part_number, line.part_description) == ("V-17", "PN-1", "NdFeB magnet")
    assert result.columns["annual_value_usd"] == "Annual Spend (USD)"
    assert result.columns["supplier_ref"] == "Vendor #"
    assert line.input["hs_code"] == "8505.11.0070"
    assert line.input["Notes"] == "call first"


def test_second_column_for_one_canonical_name_is_kept_as_extra(tmp_path: Path) -> None:
    text = "vendor,supplier_name,company\nShort name,Full Legal Name Ltd,Group Co\n"
    result = read_suppliers_file(write(tmp_path, "s.csv", text.encode()))
    [line] = result.lines
    assert line.supplier_name == "Full Legal Name Ltd"  # the exact canonical name wins over synonyms
    assert result.columns == {"supplier_name": "supplier_name"}
    assert line.input["vendor"] == "Short name"
    assert line.input["company"] == "Group Co"


def test_money_column_in_another_currency_is_reported_and_not_used(tmp_path: Path) -> None:
    text = "supplier,Spend (EUR)\nAcme GmbH,1000\n"
    result = read_suppliers_file(write(tmp_path, "s.csv", text.encode()))
    [line] = result.lines
    assert line.annual_value_usd is None
    assert line.input["Spend (EUR)"] == "1000"
    assert [(e.line, e.column) for e in result.errors] == [(1, "annual_value_usd")]
    assert "US dollars" in result.errors[0].message


def test_missing_name_column_is_refused_with_the_columns_found() -> None:
    message = unreadable(b"a,b,c\n1,2,3\n", "suppliers.csv")
    assert message == (
        "suppliers.csv has no supplier_name column (or a synonym such as supplier, vendor, company, name);"
        " found: a, b, c."
    )


def test_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    text = "Supplier list FY2025,,\n,,\nSupplier,Country,HS\nAcme Ltd,DE,850760\n"
    result = read_suppliers_file(write(tmp_path, "s.csv", text.encode()))
    assert [(line.line, line.supplier_name, line.hs_code) for line in result.lines] == [
        (4, "Acme Ltd", "850760")
    ]


# --- encodings and delimiters -----------------------------------------------------------------------


def test_reads_excel_unicode_text_utf16_tab_delimited(tmp_path: Path) -> None:
    text = (
        "Supplier Name\tCountry\tHS Code\r\n"
        "Müller Magnete GmbH\tDeutschland\t8505.11\r\n"
        "深圳市磁材有限公司\tCN\t850511\r\n"
    )
    path = write(tmp_path, "suppliers.txt", b"\xff\xfe" + text.encode("utf-16-le"))
    result = read_suppliers_file(path)
    assert [line.supplier_name for line in result.lines] == ["Müller Magnete GmbH", "深圳市磁材有限公司"]
    assert [line.hs_code for line in result.lines] == ["850511", "850511"]
    assert result.lines[1].supplier_country == "CN"
    # "Deutschland" is not an English name: the row stays, without a country, and the cell is reported.
    assert [(e.line, e.column) for e in result.errors] == [(2, "supplier_country")]


def test_reads_utf16_big_endian_and_without_bom(tmp_path: Path) -> None:
    text = "supplier\tcountry\nÅkesson AB\tSE\n"
    for data in (b"\xfe\xff" + text.encode("utf-16-be"), text.encode("utf-16-le")):
        result = read_suppliers_file(write(tmp_path, "s.txt", data))
        assert [(line.supplier_name, line.supplier_country) for line in result.lines] == [
            ("Åkesson AB", "SE")
        ]


def test_reads_utf8_with_bom(tmp_path: Path) -> None:
    data = "supplier_name,country\nZhejiang Tianneng Co,CN\n".encode("utf-8-sig")
    result = read_suppliers_file(write(tmp_path, "s.csv", data))
    assert result.columns == {"supplier_name": "supplier_name", "supplier_country": "country"}
    assert result.lines[0].supplier_name == "Zhejiang Tianneng Co"


def test_sniffs_semicolon_delimiter_and_decimal_comma(tmp_path: Path) -> None:
    text = 'Lieferant;Supplier;Country;Annual Spend\n;"Acme, Inc.";US;1.234,56\n;Beta SARL;FR;12,5\n'
    result = read_suppliers_file(write(tmp_path, "s.csv", text.encode()))
    assert [(line.supplier_name, line.annual_value_usd) for line in result.lines] == [
        ("Acme, Inc.", 1234.56),
        ("Beta SARL", 12.5),
    ]


def test_reads_cp1252_text_with_latin1_fallback(tmp_path: Path) -> None:
    text = "supplier;country;notes\nSociété Générale Électrique;FR;€ 5 000\nMüller & Söhne;DE;ok\n"
    data = text.encode("cp1252").replace(b"ok", b"o\x81k")  # 0x81 is undefined in cp1252
    result = read_suppliers_file(write(tmp_path, "s.csv", data))
    assert [line.supplier_name for line in result.lines] == ["Société Générale Électrique", "Müller & Söhne"]
    assert result.lines[0].input["notes"] == "€ 5 000"
    assert result.lines[1].input["notes"] == "o\x81k"


def test_one_column_file_keeps_commas_in_names(tmp_path: Path) -> None:
    result = read_suppliers_file(write(tmp_path, "s.csv", b"name\nAcme, Inc.\nBeta Ltd\n"))
    assert [line.supplier_name for line in result.lines] == ["Acme, Inc.", "Beta Ltd"]


def test_embedded_newline_keeps_later_line_numbers(tmp_path: Path) -> None:
    text = 'supplier,address,hs\nAcme,"Line 1\nLine 2\r\nLine 3",850760\nBeta,Here,85x\n\nGamma,,\n'
    result = read_suppliers_file(write(tmp_path, "s.csv", text.encode()))
    assert [(line.line, line.supplier_name) for line in result.lines] == [(2, "Acme"), (5, "Gamma")]
    assert result.lines[0].supplier_address == "Line 1 Line 2 Line 3"
    assert [(e.line, e.column) for e in result.errors] == [(3, "hs_code")]


# --- unreadable files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n", b"\xef\xbb\xbf", b",,,\n,,\n", b"\xff\xfe"])
def test_empty_files_are_refused(data: bytes) -> None:
    assert unreadable(data, "suppliers.csv") == "suppliers.csv is empty."
    if b"," not in data:
        assert unreadable(data, "suppliers.json") == "suppliers.json is empty."


def test_binary_garbage_is_refused_in_one_sentence() -> None:
    garbage = random.Random(7).randbytes(4096)
    for data in (garbage, b"supplier\nAcme\x00\x00\x01\x02\x00"):
        message = unreadable(data, "suppliers.csv")
        assert message == "suppliers.csv is not a CSV, Excel or JSON file (it looks like binary data)."


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    message = unreadable(buffer.getvalue(), "suppliers.xlsx")
    assert message == "suppliers.xlsx is a zip archive but not an Excel .xlsx workbook."


def test_old_excel_and_pdf_are_refused_with_advice() -> None:
    assert ".xls" in unreadable(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "s.xls")
    assert "PDF" in unreadable(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "s.pdf")


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="does not exist"):
        read_suppliers_file(tmp_path / "nope.csv")
    with pytest.raises(UnreadableFileError, match="is a directory"):
        read_suppliers_file(tmp_path)


# --- row errors ---------------------------------------------------------------------------------------


def test_bad_cells_are_reported_with_line_and_column(tmp_path: Path) -> None:
    text = (
        "supplier_name,supplier_country,hs_code,annual_value_usd\n"
        "Good Co,CN,850760,100\n"
        "Bad HS Co,CN,85x,100\n"
        ",CN,850760,100\n"
        "Bad Number Co,CN,850760,lots\n"
        "Bad Country Co,Narnia,850760,100\n"
        ",,,\n"
        "Short HS Co,CN,8507,\n"
    )
    result = read_suppliers_file(write(tmp_path, "s.csv", text.encode()))
    assert [(e.line, e.column) for e in result.errors] == [
        (3, "hs_code"),
        (4, "supplier_name"),
        (5, "annual_value_usd"),
        (6, "supplier_country"),
        (8, "hs_code"),
    ]
    assert result.errors[0].message.startswith("HS code '85x'")
    assert "not screened" in result.errors[1].message
    kept = {line.line: line for line in result.lines}
    assert sorted(kept) == [2, 5, 6]  # bad HS and no name drop the row; blank line 7 is skipped
    assert kept[5].annual_value_usd is None
    assert kept[6].supplier_country is None
    assert kept[6].annual_value_usd == 100.0


def test_formula_like_text_is_kept_verbatim(tmp_path: Path) -> None:
    text = 'supplier,notes\n"=HYPERLINK(""http://x"",""y"")",+49 30 1234\n@SUM(A1),-1\n'
    result = read_suppliers_file(write(tmp_path, "s.csv", text.encode()))
    assert [line.supplier_name for line in result.lines] == ['=HYPERLINK("http://x","y")', "@SUM(A1)"]
    assert [line.input["notes"] for line in result.lines] == ["+49 30 1234", "-1"]


def test_cells_beyond_the_header_are_echoed_not_lost(tmp_path: Path) -> None:
    result = read_suppliers_file(write(tmp_path, "s.csv", b"supplier,country\nAcme,DE,surplus\n"))
    assert result.lines[0].input == {"supplier_name": "Acme", "supplier_country": "DE", "column_3": "surplus"}


# --- XLSX ---------------------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_formulas(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Supplier", "Country", "HS Code", "Annual Spend (USD)", "Since", "Vendor ID"],
        ["Integral HS", "CN", 850760.0, 1200.0, dt.date(2024, 3, 1), 1001],
        ["Lost zero HS", "VN", 30211, 99.5, None, None],
        ["Excel decimal HS", "KR", 8507.6, None, None, None],
        ["=1+1", "CN", 850760, "=A2*2", None, None],
        [None, None, None, None, None, None],
        [None, None, None, None, None, None],
    ]
    result = read_suppliers_file(write(tmp_path, "s.xlsx", workbook_bytes(rows)))
    lines = {line.line: line for line in result.lines}
    assert sorted(lines) == [2, 3, 4]
    assert (lines[2].hs_code, lines[2].annual_value_usd, lines[2].supplier_ref) == ("850760", 1200.0, "1001")
    assert lines[2].input["annual_value_usd"] == "1200"
    assert lines[2].input["Since"] == "2024-03-01"
    assert lines[3].hs_code == "030211"
    assert lines[4].hs_code == "850760"
    # A formula never computed has no cached value: it reads as empty, so row 5 has no name.
    assert [(e.line, e.column) for e in result.errors] == [(5, "supplier_name")]


def test_xlsx_with_wrong_recorded_dimensions_is_read_in_full(tmp_path: Path) -> None:
    source = zipfile.ZipFile(
        io.BytesIO(workbook_bytes([["supplier", "country"], ["Acme", "DE"], ["Beta", "FR"]]))
    )
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:B3" />' in data
                data = data.replace(b'<dimension ref="A1:B3" />', b'<dimension ref="A1"/>')
            target.writestr(item, data)
    result = read_suppliers(buffer.getvalue(), "s.xlsx")
    assert [(line.supplier_name, line.supplier_country) for line in result.lines] == [
        ("Acme", "DE"),
        ("Beta", "FR"),
    ]


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path: Path) -> None:
    data = workbook_bytes([["name"], ["Acme"]], title="Vendors", extra_sheet="Other")
    assert read_suppliers(data, "s.xlsx", sheet="vendors").lines[0].supplier_name == "Acme"
    with pytest.raises(UnreadableFileError) as caught:
        read_suppliers(data, "s.xlsx", sheet="Tier 2")
    assert str(caught.value) == "s.xlsx has no sheet named 'Tier 2'; its sheets are: Vendors, Other."


def test_xlsx_detected_by_content_whatever_the_name() -> None:
    result = read_suppliers(workbook_bytes([["vendor"], ["Acme"]]), "export.csv")
    assert [line.supplier_name for line in result.lines] == ["Acme"]


# --- JSON ---------------------------------------------------------------------------------------------


def test_json_array_and_suppliers_object() -> None:
    items = [
        {"supplier_name": "Acme", "country": "China", "hs_code": 850760, "annual_value_usd": 1000},
        "not an object",
        {"supplier_name": "Beta", "hs_code": "85x"},
        {"vendor": {"nested": True}},
        {"supplier_name": "Gamma", "Extra Field": [1, 2]},
    ]
    for document in (items, {"suppliers": items}):
        result = read_suppliers(json.dumps(document).encode(), "request.json")
        assert [(line.line, line.supplier_name) for line in result.lines] == [(1, "Acme"), (5, "Gamma")]
        assert result.lines[0].hs_code == "850760"
        assert result.lines[0].supplier_country == "CN"
        assert result.lines[0].input == {
            "supplier_name": "Acme",
            "supplier_country": "China",
            "hs_code": "850760",
            "annual_value_usd": "1000",
        }
        assert result.lines[1].input["Extra Field"] == "[1, 2]"
        assert [(e.line, e.column) for e in result.errors] == [(2, ""), (3, "hs_code"), (4, "supplier_name")]


def test_json_syntax_error_is_refused() -> None:
    message = unreadable(b'[{"supplier_name": "Acme",}]', "s.json")
    assert message.startswith("s.json is not valid JSON (")
    assert "line 1, column 27" in message


def test_json_without_supplier_array_is_refused() -> None:
    assert "array of supplier objects" in unreadable(b'{"vendors": []}', "s.json")


def test_parsed_records_hash_is_stable() -> None:
    first = read_suppliers_records([{"name": "Acme", "hs": "850760"}])
    second = read_suppliers_records([{"hs": "850760", "name": "Acme"}])
    other = read_suppliers_records([{"name": "Acme", "hs": "850790"}])
    assert first.sha256 == second.sha256 != other.sha256
    assert first.filename == "request"
    assert first.lines[0].hs_code == "850760"


# --- real supplier lists -------------------------------------------------------------------------------


def test_every_row_of_real_brand_supplier_lists_is_accounted_for() -> None:
    if not FACILITY_LISTS.is_dir():
        pytest.skip(f"the Open Apparel Registry facility lists are not present at {FACILITY_LISTS}")
    files = sorted(FACILITY_LISTS.glob("*.csv"))
    assert files
    total = 0
    for path in files:
        with path.open(encoding="utf-8", newline="") as stream:
            records = list(enumerate(csv.reader(stream), start=1))[1:]
        expected = {line for line, row in records if any(cell.strip() for cell in row)}
        result = read_suppliers_file(path)
        reported = {line.line for line in result.lines} | {error.line for error in result.errors}
        assert reported == expected, path.name
        assert all(line.supplier_name and line.supplier_address for line in result.lines)
        total += len(expected)
    assert total == 963


# --- shipments ----------------------------------------------------------------------------------------

SHIPMENTS = (
    "Shipper,Consignee,HTS Code,Value (USD),Arrival Date,"
    "Country of Origin,Shipper Country,Weight (kg),Bill of Lading\n"
    "Baotou Rare Earth Co,Ningbo Magnet Works,2805.30,125000,2025-03-04,CN,China,1200,BOL1\n"
    ",Ningbo Magnet Works,280530,1,2025-03-04,,,,BOL2\n"
    "Ningbo Magnet Works,Acme Motors Inc,850511,99,04/03/2025,,,,BOL3\n"
    "Ningbo Magnet Works,Acme Motors Inc,850511,99.5,2025-03-05,Narnia,CN,heavy,BOL4\n"
    "\n"
    "Ningbo Magnet Works,Acme Motors Inc,8x,-5,2025-03-05,,,,BOL5\n"
)


def test_shipments_with_synonyms_and_bad_rows(tmp_path: Path) -> None:
    columns, rows = read_shipments(write(tmp_path, "shipments.csv", SHIPMENTS.encode()))
    assert columns == [
        "shipper_name",
        "consignee_name",
        "hs_code",
        "value_usd",
        "date",
        "origin_country",
        "shipper_country",
        "weight_kg",
        "shipment_id",
    ]
    out = list(rows)
    good = [row for row in out if isinstance(row, ShipmentRow)]
    errors = [(row.line, row.column) for row in out if isinstance(row, RowError)]
    assert [row.line for row in good] == [2, 5]
    first = good[0]
    assert (first.shipper_name, first.hs_code, first.value_usd, first.date) == (
        "Baotou Rare Earth Co",
        "280530",
        125000.0,
        dt.date(2025, 3, 4),
    )
    assert (first.origin_country, first.shipper_country, first.weight_kg, first.shipment_id) == (
        "CN",
        "CN",
        1200.0,
        "BOL1",
    )
    assert (good[1].origin_country, good[1].weight_kg, good[1].shipper_country) == (None, None, "CN")
    assert errors == [
        (3, "shipper_name"),
        (4, "date"),
        (5, "origin_country"),
        (5, "weight_kg"),
        (7, "hs_code"),
        (7, "value_usd"),
    ]
    # A bad optional cell is reported before the row it belongs to.
    assert [type(row).__name__ for row in out if row.line == 5] == ["RowError", "RowError", "ShipmentRow"]


def test_shipments_weight_in_pounds_is_reported_and_not_used(tmp_path: Path) -> None:
    text = "shipper,consignee,hs,value,date,Weight (lbs)\nA Co,B Co,850760,10,2025-01-01,2000\n"
    _, rows = read_shipments(write(tmp_path, "shipments.csv", text.encode()))
    error, row = list(rows)
    assert error == RowError(
        1, "weight_kg", "column 'Weight (lbs)' is not in kilograms; its values are not used"
    )
    assert isinstance(row, ShipmentRow)
    assert row.weight_kg is None


def test_shipments_missing_required_columns_are_refused_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "shipments.csv", b"shipper,consignee,date\nA,B,2025-01-01\n")
    with pytest.raises(UnreadableFileError) as caught:
        read_shipments(path)
    assert str(caught.value) == (
        "shipments.csv is missing the required columns hs_code, value_usd; found: shipper, consignee, date."
    )


def test_shipments_are_read_lazily_and_late_cp1252_bytes_decode(tmp_path: Path) -> None:
    header = "shipper_name;consignee_name;hs_code;value_usd;date\n"
    body = "".join(f"Shipper {i};Consignee {i};850760;{i}.5;2025-01-01\n" for i in range(20000))
    data = (header + body).encode() + "Société Générale;Müller;850760;1;2025-01-02\n".encode("cp1252")
    path = write(tmp_path, "shipments.csv", data)
    _, rows = read_shipments(path)
    path.unlink(missing_ok=False)
    with pytest.raises(UnreadableFileError, match="does not exist"):  # rows are read only when iterated
        next(rows)
    path = write(tmp_path, "shipments.csv", data)
    _, rows = read_shipments(path)
    out = list(rows)
    assert len(out) == 20001
    last = out[-1]
    assert isinstance(last, ShipmentRow)
    assert (last.line, last.shipper_name, last.consignee_name) == (20002, "Société Générale", "Müller")


def test_shipments_from_xlsx(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["shipper", "consignee", "hs", "value", "date"],
        ["A Co", "B Co", 850760, 1000, dt.datetime(2025, 1, 2)],
    ]
    _, found = read_shipments(write(tmp_path, "shipments.xlsx", workbook_bytes(rows)))
    [row] = list(found)
    assert isinstance(row, ShipmentRow)
    assert (row.line, row.hs_code, row.value_usd, row.date) == (2, "850760", 1000.0, dt.date(2025, 1, 2))


# --- company registry ---------------------------------------------------------------------------------


def test_registry_aliases_duplicates_and_bad_cells(tmp_path: Path) -> None:
    text = (
        "company_id,name,aliases,country,lei,address\n"
        "C1,Ningbo Yunsheng Co Ltd,Yunsheng | 宁波韵升股份有限公司 || Ningbo Yunsheng Co Ltd,CN,,Ningbo\n"
        "C2,Acme Motors Inc,,USA,5493001KJTIIGC8Y1R12,\n"
        "C1,Duplicate Co,,CN,,\n"
        "C3,,,,,\n"
        "C4,Lei Typo Co,,Atlantis,5493001KJTIIGC8Y1R13,\n"
    )
    companies, errors = read_companies(write(tmp_path, "companies.csv", text.encode()))
    assert [c.company_id for c in companies] == ["C1", "C2", "C4"]
    assert companies[0].aliases == ("Yunsheng", "宁波韵升股份有限公司")
    assert (companies[1].country, companies[1].lei) == ("US", "5493001KJTIIGC8Y1R12")
    assert (companies[2].country, companies[2].lei) == (None, None)
    assert [(e.line, e.column) for e in errors] == [
        (4, "company_id"),
        (5, "name"),
        (6, "country"),
        (6, "lei"),
    ]
    assert "repeats line 2" in errors[0].message


def test_registry_without_ids_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match=r"has no company_id column"):
        read_companies(write(tmp_path, "companies.csv", b"name,country\nAcme,US\n"))
