"""The fast path for big shipments files: pyarrow parses blocks of plain UTF-8 CSV, pyarrow.compute checks
and converts whole columns, and only the rows it cannot vouch for go through `ingest`'s per-row reader.

The result is the same as the per-row reader's, row for row and error for error (same lines, columns
and messages): a row is taken from the columnar path only when every one of its cells is one the
per-row parser reads the same way (plain digits, ISO dates, countries already seen good, text
without control characters); every other row -- a bad or empty cell, a decimal comma, an unknown
country -- is handed to `ingest._shipment` with its cells exactly as pyarrow split them.

When line numbers could drift (a blank line, a lone carriage return, a quoted field spanning lines)
or pyarrow refuses a block (a row with more or fewer cells than the header), that block is read by
the per-row reader instead; after a quoted field spanning lines the rest of the file is, since its
records no longer start at line starts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]
from pyarrow import csv as pacsv  # type: ignore[import-untyped,unused-ignore]

from screening.codes import normalize_country
from screening.ingest import (
    ShipmentRow,
    _csv_records,
    _Header,
    _Layout,
    _Record,
    _row,
    _shipment,
)
from screening.model import RowError

BLOCK_BYTES = 1 << 24

# Characters on which Python's str.strip/str.split and pyarrow's trimming could disagree, or that the
# per-row reader treats specially (a DOS end-of-file byte): C0 controls but tab/LF/CR, DEL, and the
# Unicode spaces outside ASCII. A block holding one is read by the per-row reader.
# A carriage return is allowed only as the last character of a line (CRLF line ends).
_UNUSUAL = (
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
    r"\x{205f}\x{3000}]|\r."
)
_NUMBER = r"^[0-9]{1,100}(\.[0-9]{1,100})?$"
_DATE = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"
_HS = r"^[0-9]{6,10}$"
_TEXT = ("shipment_id", "shipper_address", "consignee_address", "description")
_TEXT_MORE = ("port_of_lading", "port_of_unlading", "shipper_id", "consignee_id")
_COUNTRIES = ("shipper_country", "consignee_country", "origin_country")


def fast_layout(layout: _Layout, header: _Header) -> int | None:
    """The byte offset of the first data line when the columnar path can read this file, else None."""
    if layout.kind != "text" or layout.cp1252 or layout.encoding not in ("utf-8", "utf-8-sig"):
        return None
    if header.line != 1:
        return None
    with layout.path.open("rb") as stream:
        if layout.encoding == "utf-8-sig":
            stream.read(3)
        first = stream.readline()
        offset = stream.tell()
    if first.count(b'"') % 2 or b"\r" in first.rstrip(b"\r\n"):
        return None
    return offset


class _Distinct:
    """Cell texts parsed once per distinct value with a per-row parser (None where it refuses one)."""

    def __init__(self, parse: Callable[[str], object]) -> None:
        self.parse = parse
        self.known: dict[str, object] = {"": None}

    def values(self, cells: Any) -> tuple[list[Any], Any]:
        """(parsed value or None per cell, mask of non-empty cells the parser refuses)."""
        distinct: list[str] = pc.unique(cells).to_pylist()
        for text in distinct:
            if text not in self.known:
                try:
                    self.known[text] = self.parse(text)
                except ValueError:
                    self.known[text] = None
        parsed = [self.known[text] for text in distinct]
        positions = pc.index_in(cells, value_set=pa.array(distinct, pa.string()))
        refused = pa.array(
            [value is None and text != "" for text, value in zip(distinct, parsed, strict=True)]
        )
        return [parsed[i] for i in positions.to_pylist()], pc.take(refused, positions)


def _trim(cells: Any) -> Any:
    return pc.ascii_trim(cells, " \t")


def _collapsed(cells: Any) -> list[str]:
    """Python's `" ".join(text.split())` for text without unusual whitespace (checked per block)."""
    trimmed = _trim(cells)
    texts: list[str] = trimmed.to_pylist()
    for i in pc.indices_nonzero(pc.match_substring_regex(trimmed, r"[ \t][ \t]|\t")).to_pylist():
        texts[i] = " ".join(texts[i].split())
    return texts


def _optional(cells: Any) -> list[str | None]:
    return [text or None for text in _collapsed(cells)]


class _Block:
    """One block of lines parsed by pyarrow; `rows` turns it into shipments and row errors."""

    def __init__(
        self, table: Any, first_line: int, header: _Header, countries: _Distinct, dates: _Distinct
    ) -> None:
        self.table = table
        self.first_line = first_line
        self.header = header
        self.countries = countries
        self.dates = dates

    def cell(self, column: str) -> Any:
        index = self.header.index.get(column)
        if index is None:
            return pa.array([""] * self.table.num_rows, pa.string())
        return self.table.column(index).combine_chunks()

    def rows(self) -> Iterator[ShipmentRow | RowError]:
        n = self.table.num_rows
        bad = pa.array([False] * n)

        def flag(mask: Any) -> None:
            nonlocal bad
            bad = pc.or_(bad, mask)

        shipper = _collapsed(self.cell("shipper_name"))
        consignee = _collapsed(self.cell("consignee_name"))
        flag(pc.equal(_trim(self.cell("shipper_name")), ""))
        flag(pc.equal(_trim(self.cell("consignee_name")), ""))
        hs = _trim(self.cell("hs_code"))
        noisy = pc.match_substring_regex(hs, r"[ \t.\-]")
        if pc.any(noisy).as_py():
            hs = pc.replace_substring_regex(hs, r"[ \t.\-]", "")
        flag(pc.invert(pc.match_substring_regex(hs, _HS)))
        value_text = _trim(self.cell("value_usd"))
        value_ok = pc.match_substring_regex(value_text, _NUMBER)
        flag(pc.invert(value_ok))
        value = pc.cast(pc.if_else(value_ok, value_text, "0"), pa.float64())
        date_text = _trim(self.cell("date"))
        date_ok = pc.match_substring_regex(date_text, _DATE)
        flag(pc.invert(date_ok))
        date, refused = self.dates.values(pc.if_else(date_ok, date_text, ""))
        flag(refused)
        optional_numbers = []
        for column in ("quantity", "weight_kg"):
            text = _trim(self.cell(column))
            ok = pc.match_substring_regex(text, _NUMBER)
            flag(pc.and_(pc.not_equal(text, ""), pc.invert(ok)))
            number = pc.cast(pc.if_else(ok, text, None), pa.float64())
            optional_numbers.append(number.to_pylist())
        country_codes = []
        for column in _COUNTRIES:
            codes, wrong = self.countries.values(_trim(self.cell(column)))
            flag(wrong)
            country_codes.append(codes)
        texts = {column: _optional(self.cell(column)) for column in (*_TEXT, *_TEXT_MORE)}

        fallback = {int(i) for i in pc.indices_nonzero(bad).to_pylist()}
        first = self.first_line
        built = zip(
            texts["shipment_id"],
            shipper,
            consignee,
            hs.to_pylist(),
            value.to_pylist(),
            date,
            texts["shipper_address"],
            country_codes[0],
            texts["consignee_address"],
            country_codes[1],
            country_codes[2],
            texts["description"],
            optional_numbers[0],
            optional_numbers[1],
            texts["port_of_lading"],
            texts["port_of_unlading"],
            texts["shipper_id"],
            texts["consignee_id"],
            strict=True,
        )
        if not fallback:
            for i, fields in enumerate(built):
                yield ShipmentRow(first + i, *fields)
            return
        # The raw cells of just the rows handed to the per-row parser.
        order = sorted(fallback)
        taken = self.table.take(pa.array(order, pa.int64()))
        raw = dict(
            zip(order, zip(*(column.to_pylist() for column in taken.columns), strict=True), strict=True)
        )
        for i, fields in enumerate(built):
            if i in fallback:
                parsed_row = _row(first + i, raw[i], self.header)
                if not parsed_row.blank or parsed_row.errors:
                    yield from _shipment(parsed_row)
            else:
                yield ShipmentRow(first + i, *fields)


def _blocks(path: Path, offset: int) -> Iterator[tuple[int, bytes]]:
    """(byte offset, bytes) of blocks of whole lines from `offset` on; the last may lack its newline."""
    with path.open("rb") as stream:
        stream.seek(offset)
        carry = b""
        start = offset
        while True:
            chunk = stream.read(BLOCK_BYTES)
            if not chunk:
                if carry:
                    yield start, carry
                return
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            yield start, data[:cut]
            start += cut
            carry = data[cut:]


def _line_check(block: bytes) -> tuple[bool, bool]:
    """(every line holds an even number of quotes, so no quoted field runs past its line end;
    the block is plain: no blank line, no lone carriage return, no unusual character)."""
    lines = pc.split_pattern(pa.array([block.decode("utf-8")]), "\n").flatten()
    if block.endswith(b"\n"):
        lines = lines.slice(0, len(lines) - 1)
    balanced = (
        b'"' not in block
        or not pc.any(pc.bit_wise_and(pc.count_substring(lines, '"'), 1).cast(pa.bool_())).as_py()
    )
    plain = not (
        pc.any(pc.match_substring_regex(lines, _UNUSUAL)).as_py()
        or pc.any(pc.or_(pc.equal(lines, ""), pc.equal(lines, "\r"))).as_py()
    )
    return balanced, plain


def read_fast(layout: _Layout, header: _Header, offset: int) -> Iterator[ShipmentRow | RowError]:
    """The rows after the header (line 1, ending at `offset`), as `ingest._shipments` yields them."""
    columns = len(header.keys)
    names = [f"c{i}" for i in range(columns)]
    parse_options = pacsv.ParseOptions(
        delimiter=layout.delimiter, newlines_in_values=False, ignore_empty_lines=False
    )
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    countries, dates = _Distinct(normalize_country), _Distinct(dt.date.fromisoformat)
    line = 2
    for start, block in _blocks(layout.path, offset):
        lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        balanced, plain = _line_check(block)
        if not balanced:
            yield from _slow_rest(layout, header, start, line)
            return
        table = None
        if plain:
            try:
                table = pacsv.read_csv(
                    pa.py_buffer(block),
                    read_options=pacsv.ReadOptions(
                        column_names=names, use_threads=False, block_size=len(block) + 1
                    ),
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
            except pa.ArrowInvalid:
                table = None
        if table is not None and table.num_rows == lines:
            yield from _Block(table, line, header, countries, dates).rows()
        else:
            yield from _slow_block(layout, header, block, line)
        line += lines


def _slow_records(records: Iterator[_Record], header: _Header) -> Iterator[ShipmentRow | RowError]:
    for line, cells in records:
        parsed = _row(line, cells, header)
        if not parsed.blank or parsed.errors:
            yield from _shipment(parsed)


def _slow_block(
    layout: _Layout, header: _Header, block: bytes, first: int
) -> Iterator[ShipmentRow | RowError]:
    text = io.StringIO(block.decode("utf-8"), newline="")
    yield from _slow_records(_csv_records(text, layout.delimiter, layout.name, first), header)


def _slow_rest(layout: _Layout, header: _Header, start: int, first: int) -> Iterator[ShipmentRow | RowError]:
    with layout.path.open("rb") as raw:
        raw.seek(start)
        stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield from _slow_records(_csv_records(stream, layout.delimiter, layout.name, first), header)
