"""The columnar fast path for shipments files (screening/ingest_arrow.py) against the per-row reader:
the same rows and the same errors, with the same line numbers, on files full of deliberate problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening import ingest_arrow
from screening.ingest import ShipmentRow, read_shipments
from screening.model import RowError

HEADER = (
    "shipment_id,date,shipper_name,shipper_country,consignee_name,consignee_country,"
    "origin_country,hs_code,description,value_usd,quantity,weight_kg\n"
)


def clean_rows(start: int, count: int) -> str:
    return "".join(
        f"S{i},2025-03-{1 + i % 28:02d},Shipper {i % 97} Co Ltd,CN,Consignee {i % 13} Inc,US,,"
        f"850760,Cells,{i}.25,{i % 7},{i % 5 * 1.5}\n"
        for i in range(start, start + count)
    )


# One problem per line, each a case where a columnar reader could read differently from the per-row
# one. Cell problems: the columnar path hands exactly those rows to the per-row parser.
CELL_PROBLEMS = [
    "B1,2025-02-30,Bad Date Co,CN,Buyer Inc,US,,850760,x,10,,\n",  # no such day
    "B2,2025-3-4,Short Date Co,CN,Buyer Inc,US,,850760,x,10,,\n",  # not YYYY-MM-DD
    "B3,2025-03-04T10:00,Timestamp Co,CN,Buyer Inc,US,,850760,x,10,,\n",  # read as its date by both
    "B4,2025-03-04,Bad Value Co,CN,Buyer Inc,US,,850760,x,ten,,\n",
    'B5,2025-03-04,Decimal Comma Co,CN,Buyer Inc,US,,850760,x,"1.234,56",,\n',
    "B6,2025-03-04,Negative Co,CN,Buyer Inc,US,,850760,x,-5,,\n",
    "B7,2025-03-04,,CN,Buyer Inc,US,,850760,x,10,,\n",  # no shipper
    "B8,2025-03-04,No Value Co,CN,Buyer Inc,US,,850760,x,,,\n",
    'B9,2025-03-04,"Quoted, Comma Co., Ltd.",CN,"Buyer ""The Best"" Inc",US,,850760,"a, b",10,,\n',
    "B10,2025-03-04,  Spaced    Out   Co  ,CN,Buyer\tTab Inc,US,,850760,x,10,,\n",
    "B11,2025-03-04,Country Co,China,Buyer Inc,USA,Narnia,850760,x,10,,\n",  # bad origin, row kept
    "B12,2025-03-04,HS Co,CN,Buyer Inc,US,,8507.60.0020,x,10,,\n",
    "B13,2025-03-04,Bad HS Co,CN,Buyer Inc,US,,85x,x,10,,\n",
    "B14,2025-03-04,Short HS Co,CN,Buyer Inc,US,,8507,x,10,,\n",
    "B15,2025-03-04,Bad Weight Co,CN,Buyer Inc,US,,850760,x,10,1,heavy\n",
    "B16,2025-03-04,Dollar Co,CN,Buyer Inc,US,,850760,x,$1200.50,,\n",
    ",,,,,,,,,,,\n",  # a row of empty cells: skipped like a blank line
    "B17,2025-03-04,Société Générale,FR,Müller GmbH,DE,,850760,x,10,,\n",
    "B18,0000-01-01,Year Zero Co,CN,Buyer Inc,US,,850760,x,10,,\n",
    "B19,2025-03-04,Huge Co,CN,Buyer Inc,US,,850760,x,1" + "0" * 400 + ",,\n",  # not a finite number
]
AFTER_BLANK = "B23,2025-03-04,After Blank Co,CN,Buyer Inc,US,,850760,x,10,,\n"
# Layout problems: the block holding one is read by the per-row reader.
LAYOUT_PROBLEMS = [
    "B20,2025-03-04,Unicode\u00a0Space Co,CN,Buyer Inc,US,,850760,x,10,,\n",
    "B21,2025-03-04,Too Few Cells Co,CN\n",
    "B22,2025-03-04,Too Many Cells Co,CN,Buyer Inc,US,,850760,x,10,,,extra\n",
    "\n",  # a blank line still counts as a line
    AFTER_BLANK,
    "B24,2025-03-04,Control\x0bChar Co,CN,Buyer Inc,US,,850760,x,10,,\n",
]


def refuse(*_args: object) -> Iterator[ShipmentRow | RowError]:
    raise AssertionError("a block was read by the per-row reader")


def both(path: Path) -> tuple[list[ShipmentRow | RowError], list[ShipmentRow | RowError]]:
    _, fast = read_shipments(path)
    _, slow = read_shipments(path, fast=False)
    return list(fast), list(slow)


@pytest.fixture(params=[1 << 24, 300], ids=["one block", "many small blocks"])
def block_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(ingest_arrow, "BLOCK_BYTES", request.param)
    yield request.param


def test_a_clean_file_is_read_by_the_columnar_path_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    path = tmp_path / "shipments.csv"
    path.write_text(HEADER + clean_rows(0, 500), encoding="utf-8")
    fast, slow = both(path)
    monkeypatch.setattr(ingest_arrow, "_slow_block", refuse)
    monkeypatch.setattr(ingest_arrow, "_slow_rest", refuse)
    _, again = read_shipments(path)
    assert list(again) == fast == slow
    assert len(fast) == 500
    first = fast[0]
    assert isinstance(first, ShipmentRow)
    assert (first.line, first.shipment_id, first.date, first.value_usd, first.quantity) == (
        2,
        "S0",
        dt.date(2025, 3, 1),
        0.25,
        0.0,
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bad_cells_give_the_same_rows_and_errors_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int, newline: str
) -> None:
    text = HEADER + clean_rows(0, 40) + "".join(CELL_PROBLEMS) + clean_rows(40, 40)
    path = tmp_path / "shipments.csv"
    path.write_bytes(("\ufeff" + text).replace("\n", newline).encode("utf-8"))
    _, slow = read_shipments(path, fast=False)
    monkeypatch.setattr(ingest_arrow, "_slow_block", refuse)
    monkeypatch.setattr(ingest_arrow, "_slow_rest", refuse)
    _, fast = read_shipments(path)
    rows = list(fast)
    assert rows == list(slow)
    line = {f"B{i}": 42 + n for n, i in enumerate(range(1, 17))}
    errors = [(e.line, e.column) for e in rows if isinstance(e, RowError)]
    for expected in [
        (line["B1"], "date"),
        (line["B2"], "date"),
        (line["B4"], "value_usd"),
        (line["B6"], "value_usd"),
        (line["B7"], "shipper_name"),
        (line["B8"], "value_usd"),
        (line["B11"], "origin_country"),
        (line["B13"], "hs_code"),
        (line["B14"], "hs_code"),
        (line["B15"], "weight_kg"),
    ]:
        assert expected in errors
    loaded = {r.shipment_id: r for r in rows if isinstance(r, ShipmentRow)}
    assert loaded["B3"].date == dt.date(2025, 3, 4)
    assert loaded["B5"].value_usd == 1234.56
    assert loaded["B9"].shipper_name == "Quoted, Comma Co., Ltd."
    assert loaded["B9"].consignee_name == 'Buyer "The Best" Inc'
    assert loaded["B10"].shipper_name == "Spaced Out Co"
    assert loaded["B10"].consignee_name == "Buyer Tab Inc"
    assert loaded["B11"].shipper_country == "CN" and loaded["B11"].origin_country is None
    assert loaded["B12"].hs_code == "8507600020"
    assert loaded["B16"].value_usd == 1200.5
    assert loaded["B17"].shipper_name == "Société Générale"
    assert "B18" not in loaded and "B19" not in loaded
    assert loaded["S79"].line == 1 + 40 + len(CELL_PROBLEMS) + 40


def test_layout_problems_give_the_same_rows_and_errors_on_both_paths(
    tmp_path: Path, block_bytes: int
) -> None:
    text = HEADER + clean_rows(0, 40) + "".join(LAYOUT_PROBLEMS + CELL_PROBLEMS) + clean_rows(40, 40)
    path = tmp_path / "shipments.csv"
    path.write_text(text, encoding="utf-8")
    fast, slow = both(path)
    assert fast == slow
    loaded = {r.shipment_id: r for r in fast if isinstance(r, ShipmentRow)}
    assert loaded["B23"].line == 42 + LAYOUT_PROBLEMS.index(AFTER_BLANK)  # the blank line counted
    assert loaded["B20"].shipper_name == "Unicode Space Co"
    assert loaded["B22"].consignee_name == "Buyer Inc"
    assert any(isinstance(e, RowError) and e.column == "consignee_name" and e.line == 43 for e in fast)


def test_a_quoted_field_spanning_lines_keeps_the_record_count(tmp_path: Path, block_bytes: int) -> None:
    multi = 'M1,2025-03-04,"Two\nLine Co",CN,Buyer Inc,US,,850760,x,10,,\n'
    text = HEADER + clean_rows(0, 30) + multi + clean_rows(30, 30)
    path = tmp_path / "shipments.csv"
    path.write_text(text, encoding="utf-8")
    fast, slow = both(path)
    assert fast == slow
    rows = [r for r in fast if isinstance(r, ShipmentRow)]
    assert [r.line for r in rows] == list(range(2, 2 + 61))


def test_other_encodings_and_title_rows_use_the_per_row_reader(tmp_path: Path) -> None:
    cp1252 = tmp_path / "cp1252.csv"
    cp1252.write_bytes((HEADER + clean_rows(0, 5) + CELL_PROBLEMS[17]).encode("cp1252"))
    titled = tmp_path / "titled.csv"
    titled.write_text("Shipments export\n" + HEADER + clean_rows(0, 5), encoding="utf-8")
    for path in (cp1252, titled):
        fast, slow = both(path)
        assert fast == slow
        assert len(fast) == (6 if path is cp1252 else 5)
