"""Reading every table tiersight takes: supplier lists (CSV, XLSX, JSON), shipments and the registry.

The contract (CONTRACT.md sections 2 to 2.3) fixes the columns and synonyms; this module adds the
practical rules a person feeding real files needs to know:

Files
    - Format by content first, extension second: a zip (``PK``) is read as an XLSX workbook, text
      starting with ``[`` or ``{`` as JSON (always for ``.json`` names), anything else as delimited text.
    - Text encodings: a BOM decides (UTF-8, UTF-16 LE/BE; Excel "Unicode text" is UTF-16LE with a BOM);
      BOM-less UTF-16 is recognised by its NUL-byte pattern; otherwise strict UTF-8, else cp1252 with
      the five bytes cp1252 leaves undefined read as Latin-1 (so decoding never fails).
    - The delimiter (``,`` ``;`` or tab) is the one that splits a header row into recognised column
      names; without one, the delimiter seen most often outside quotes on the first line.
    - The header is the first non-blank row, or, when that row lacks the required columns, the first of
      the next rows (up to ten) that has them, so that a title row above the header is tolerated.
    - A file that cannot be read at all raises `UnreadableFileError` with one plain sentence.

Line numbers
    ``line`` is the row number a person sees in a spreadsheet: CSV records are counted from the first
    record of the file (header = 1, blank lines count), so a quoted field spanning several physical
    lines is one line and does not shift the numbers after it. XLSX uses the sheet's row number. JSON
    uses the 1-based index in the array.

Supplier rows (`read_suppliers`)
    A completely blank row is skipped silently. Otherwise every problem is a `RowError` with the
    canonical column name, and:
    - no supplier name, or a bad HS code: the row is dropped (it cannot be screened correctly);
    - a bad country or a bad annual value: the row is kept with that field ``None``.
    Cell text is never evaluated: ``=1+1`` or ``+49 30 1234`` are kept as written. An XLSX formula
    whose cached value was never computed reads as empty. HS codes stored as numbers keep their digits
    (``850760.0`` -> ``850760``) and get back a leading zero a spreadsheet removed (``30211`` ->
    ``030211``, ``302.11`` -> ``030211``).

Columns
    Headers are matched case-insensitively after trimming, dropping a trailing unit in brackets and
    folding every run of non-word characters to ``_``. When two columns map to one canonical name, a
    column named exactly that wins, else the first one; the other is kept as an extra column. Money and
    weight columns whose bracketed unit is another currency or unit (``Spend (EUR)``, ``Weight (lb)``)
    are not recognised. Unknown columns are echoed in ``SupplierLine.input`` under their header.

Column mapping (supplier lists)
    ``columns`` maps a header as written (compared after trimming, collapsing spaces and casefolding)
    to a canonical field, or to ``""`` / ``"ignore"`` for a column that is not used (it is still echoed
    under its header). An explicit entry wins over the automatic matching, whatever the header's unit;
    a column the automatic matcher had given that field is then echoed under its header instead. An
    unknown field, two headers given one field, or a header the file does not have (or has twice) is
    an `InputError` naming it. The mapping also decides which row is the header row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, Literal, TypeVar

import openpyxl

from screening.codes import normalize_country, normalize_hs, parse_date, parse_money
from screening.errors import InputError, UnreadableFileError
from screening.model import Company, RowError, SupplierLine

__all__ = [
    "IGNORE",
    "SUPPLIER_FIELDS",
    "AnnotatedFile",
    "IngestResult",
    "Preview",
    "ShipmentRow",
    "annotate_suppliers",
    "check_columns",
    "normalize_header",
    "preview_suppliers",
    "read_companies",
    "read_shipments",
    "read_suppliers",
    "read_suppliers_file",
    "read_suppliers_records",
]


@dataclass(frozen=True, slots=True)
class IngestResult:
    """A supplier list read into usable lines plus one error per unusable row or cell."""

    lines: tuple[SupplierLine, ...]
    errors: tuple[RowError, ...]
    sha256: str  # of the raw bytes (of the canonical JSON text for already-parsed records)
    filename: str
    columns: dict[str, str]  # canonical name -> header as written


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    """One bill-of-lading row as written, typed: parties are still names, not company ids."""

    line: int
    shipment_id: str | None
    shipper_name: str
    consignee_name: str
    hs_code: str  # digits, 6..10
    value_usd: float
    date: dt.date
    shipper_address: str | None = None
    shipper_country: str | None = None
    consignee_address: str | None = None
    consignee_country: str | None = None
    origin_country: str | None = None
    description: str | None = None
    quantity: float | None = None
    weight_kg: float | None = None
    port_of_lading: str | None = None
    port_of_unlading: str | None = None
    shipper_id: str | None = None
    consignee_id: str | None = None


# --------------------------------------------------------------------------------------------------
# Column schemas

_HS_SYNONYMS = """
    hs hts hts_code hs_number tariff_code commodity_code hscode htscode hs_no hts_number hs_tariff_code
    harmonized_code harmonized_number harmonized_tariff_code harmonized_system_code tariff_number
    customs_code customs_tariff_code cn_code schedule_b
"""
_USD_UNITS = frozenset({"usd", "us", "dollar", "dollars", "us_dollars"})
_KG_UNITS = frozenset({"kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"})
_SCALE_WORDS = frozenset({"k", "000", "thousand", "thousands", "m", "mn", "mm", "million", "millions"})


@dataclass(frozen=True, slots=True)
class _Schema:
    """The columns of one kind of table; synonyms are whitespace-separated, most common first."""

    what: str  # how a message names the table
    columns: tuple[str, ...]
    required: tuple[str, ...]
    synonyms: dict[str, str]  # canonical -> "synonym synonym ..."
    units: dict[str, frozenset[str]]  # canonical -> accepted bracketed units

    def lookup(self) -> dict[str, str]:
        table = {name: name for name in self.columns}
        for canonical, names in self.synonyms.items():
            for name in names.split():
                table.setdefault(name, canonical)
        return table


_SUPPLIERS = _Schema(
    what="supplier list",
    columns=(
        "supplier_name",
        "supplier_country",
        "supplier_address",
        "supplier_ref",
        "part_number",
        "part_description",
        "parent_part_number",
        "hs_code",
        "annual_value_usd",
    ),
    required=("supplier_name",),
    synonyms={
        "supplier_name": """supplier vendor company name vendor_name supplier_company company_name
            supplier_legal_name vendor_legal_name legal_name manufacturer manufacturer_name factory_name
            facility_name business_name""",
        "supplier_country": """country vendor_country supplier_country_code country_code vendor_country_code
            supplier_country_name country_name country_of_origin origin_country""",
        "supplier_address": """address vendor_address company_address street_address full_address
            factory_address facility_address""",
        "supplier_ref": """vendor_id vendor_number vendor_no supplier_id supplier_number supplier_no
            supplier_code vendor_code vendor_ref supplier_reference vendor_reference""",
        "part_number": """part part_no item item_number sku part_num item_no component_number
            material_number article_number""",
        "part_description": """description part_desc item_description component_description
            material_description product_description""",
        "parent_part_number": """parent_part parent_part_no parent parent_item parent_sku parent_number
            assembly assembly_number""",
        "hs_code": _HS_SYNONYMS,
        "annual_value_usd": """annual_spend spend annual_value value_usd amount_usd annual_spend_usd spend_usd
            annual_amount total_spend amount value""",
    },
    units={"annual_value_usd": _USD_UNITS},
)

_SHIPMENTS = _Schema(
    what="shipments file",
    columns=tuple(name for name in ShipmentRow.__dataclass_fields__ if name != "line"),
    required=("shipper_name", "consignee_name", "hs_code", "value_usd", "date"),
    synonyms={
        "shipper_name": "shipper exporter exporter_name shipper_company",
        "consignee_name": "consignee importer importer_name consignee_company",
        "hs_code": _HS_SYNONYMS,
        "value_usd": "value declared_value amount_usd value_of_goods total_value usd_value",
        "date": "arrival_date departure_date shipment_date ship_date bill_of_lading_date",
        "shipment_id": "id bill_of_lading bill_of_lading_number bol bol_number shipment_no",
        "shipper_address": "exporter_address",
        "shipper_country": "exporter_country shipper_country_code",
        "consignee_address": "importer_address",
        "consignee_country": "importer_country consignee_country_code",
        "origin_country": "country_of_origin origin origin_country_code",
        "description": "goods_description product_description commodity_description",
        "quantity": "qty",
        "weight_kg": "weight gross_weight gross_weight_kg weight_in_kg",
        "port_of_lading": "port_of_loading loading_port lading_port foreign_port",
        "port_of_unlading": "port_of_discharge discharge_port unlading_port",
    },
    units={"value_usd": _USD_UNITS, "weight_kg": _KG_UNITS},
)

_COMPANIES = _Schema(
    what="company registry",
    columns=("company_id", "name", "aliases", "address", "country", "lei"),
    required=("company_id", "name"),
    synonyms={
        "company_id": "id entity_id company_ref registry_id",
        "name": "company_name legal_name company",
        "aliases": "alias aka other_names alternative_names alt_names also_known_as",
        "address": "company_address full_address street_address",
        "country": "country_code company_country",
        "lei": "lei_code legal_entity_identifier",
    },
    units={},
)


_UNIT = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$")
_NON_WORD = re.compile(r"[^\w]+")


def _split_header(text: str) -> tuple[str, str | None]:
    """The normalised column name and its dropped trailing unit (normalised), if any."""
    name = text.strip().lstrip("\ufeff").removeprefix("ï»¿").strip()  # a BOM, decoded or as cp1252
    unit: str | None = None
    while (found := _UNIT.search(name)) is not None and found.start() > 0:
        unit = _fold(found.group(1)) if unit is None else unit
        name = name[: found.start()]
    return _fold(name.replace("#", " number ")), unit


def _fold(text: str) -> str:
    return _NON_WORD.sub("_", text.casefold()).strip("_")


def normalize_header(text: str) -> str:
    """`Annual Spend (USD)` -> `annual_spend`: trimmed, unit dropped, casefolded, punctuation runs -> `_`."""
    return _split_header(text)[0]


def _unit_ok(unit: str | None, accepted: frozenset[str] | None) -> bool:
    if unit is None or accepted is None or not unit:
        return True
    words = set(unit.split("_"))
    return bool(words & accepted) and not words & _SCALE_WORDS


@dataclass(frozen=True, slots=True)
class _Header:
    """Where each canonical column sits in a row, and the key each cell is echoed under."""

    line: int
    index: dict[str, int]  # canonical -> column index
    written: dict[str, str]  # canonical -> header as written
    keys: tuple[str, ...]  # per column: canonical name, header as written, or "" (blank header)
    rejected: tuple[tuple[str, str], ...]  # (header as written, canonical) refused for their unit

    def missing(self, schema: _Schema) -> list[str]:
        return [name for name in schema.required if name not in self.index]


def _header_key(text: str) -> str:
    """How a column mapping names a header: trimmed (a BOM too), spaces collapsed, casefolded."""
    return " ".join(text.strip().lstrip("\ufeff").removeprefix("ï»¿").split()).casefold()


def _map_header(
    line: int, cells: Sequence[str], schema: _Schema, overrides: Mapping[str, str] | None = None
) -> _Header:
    lookup = schema.lookup()
    parsed = [_split_header(cell) for cell in cells]
    # Columns the mapping names (header key -> field, "" for not used) are settled before the rest.
    pinned = {
        i: overrides[key]
        for i, cell in enumerate(cells)
        if overrides and (key := _header_key(cell)) in overrides
    }
    index: dict[str, int] = {field: i for i, field in pinned.items() if field}
    rejected: list[tuple[str, str]] = []
    # A column named exactly as the canonical name wins over synonyms; otherwise the first one.
    for exact in (True, False):
        for i, (name, unit) in enumerate(parsed):
            canonical = lookup.get(name)
            if canonical is None or canonical in index or (exact and name != canonical):
                continue
            if i in pinned or i in index.values():
                continue
            if not _unit_ok(unit, schema.units.get(canonical)):
                if not exact:
                    rejected.append((cells[i].strip(), canonical))
                continue
            index[canonical] = i
    by_position = {i: canonical for canonical, i in index.items()}
    keys: list[str] = []
    seen: set[str] = set(index)
    for i, cell in enumerate(cells):
        if i in by_position:
            keys.append(by_position[i])
            continue
        key = cell.strip()
        if key:
            base, n = key, 2
            while key in seen:
                key, n = f"{base} ({n})", n + 1
            seen.add(key)
        keys.append(key)
    return _Header(
        line=line,
        index=index,
        written={canonical: cells[i].strip() for canonical, i in index.items()},
        keys=tuple(keys),
        rejected=tuple(rejected),
    )


def _missing_message(name: str, schema: _Schema, header: _Header, cells: Sequence[str]) -> str:
    missing = header.missing(schema)
    found = [cell.strip() for cell in cells if cell.strip()]
    shown = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
    if len(missing) == 1:
        column = missing[0]
        examples = ", ".join(schema.synonyms[column].split()[:4])
        what = f"{name} has no {column} column (or a synonym such as {examples})"
    else:
        what = f"{name} is missing the required columns {', '.join(missing)}"
    if header.rejected:
        what += f" ({', '.join(written for written, _ in header.rejected)}: not in US dollars or kilograms)"
    return f"{what}; found: {shown or 'no column names'}."


# --------------------------------------------------------------------------------------------------
# Cells

_Record = tuple[int, Sequence[object]]  # (line, raw cells)
_T = TypeVar("_T")
_MISSING = object()  # a key absent from one JSON object


def _cell_text(value: object) -> str:
    """Cell text as written; numbers without a spurious `.0`; dates as ISO. Nested JSON is refused."""
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, str):
        text = value.strip()
        return "" if text == "\x1a" else text  # a DOS end-of-file byte on the last line
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        raise ValueError("is a nested object or list, not text or a number")
    return str(value).strip()


def _hs_text(value: object) -> str:
    """An HS code cell; a number lost its leading zero (and `8507.60` its trailing zero) in a spreadsheet."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e10:
        if float(value).is_integer():
            digits = str(int(value))
            return "0" + digits if len(digits) == 5 else digits
        heading, _, sub = repr(float(value)).partition(".")
        if 100 <= int(heading) <= 9999 and len(sub) <= 2:
            return f"{int(heading):04d}{sub:0<2}"
    return _cell_text(value)


def _collapse(text: str) -> str:
    return " ".join(text.split())


_EU_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3}){2,}(,\d+)?|\d{1,3}(\.\d{3})+,\d+")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}|\d+,\d{4,}")


def _number(text: str) -> float:
    """A non-negative amount; `1.234,56` and `1234,5` (decimal comma, common with `;` files) too."""
    core = re.sub(r"[^\d.,]", "", text)
    if _EU_THOUSANDS.fullmatch(core) or _DECIMAL_COMMA.fullmatch(core):
        text = text.replace(".", "").replace(",", ".")
    return parse_money(text)


_CP1252_OVER_LATIN1 = {
    byte: bytes([byte]).decode("cp1252")
    for byte in range(0x80, 0xA0)
    if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def _cp1252(text: str) -> str:
    """Latin-1-decoded text re-read as cp1252; the five bytes cp1252 leaves undefined stay Latin-1."""
    return text.translate(_CP1252_OVER_LATIN1)


# --------------------------------------------------------------------------------------------------
# Sniffing: format, encoding, delimiter

_Kind = Literal["xlsx", "json", "text"]
_DELIMITERS = (",", ";", "\t")
_SAMPLE_BYTES = 1 << 16


def _display_name(filename: str) -> str:
    return Path(filename).name or filename or "the file"


def _kind(head: bytes, name: str) -> _Kind:
    """The table format, by content first, then by the file name's extension."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFileError(
            f"{name} is an old Excel .xls or a password-protected workbook; save it as .xlsx or CSV."
        )
    if head.startswith(b"%PDF"):
        raise UnreadableFileError(f"{name} is a PDF document, not a table; export it as CSV or XLSX.")
    suffix = Path(name).suffix.casefold()
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".tsv", ".txt", ".tab"):
        return "text"
    return "json" if _looks_like_json(head) else "text"


def _looks_like_json(head: bytes) -> bool:
    """Text whose first character, past any BOM and whitespace (in UTF-8 or UTF-16), opens JSON."""
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")[:1] in (b"[", b"{")


def _encoding(head: bytes, name: str, utf8_valid: Callable[[], bool]) -> tuple[str, bool]:
    """(Python codec, whether to re-read Latin-1 as cp1252) for a text file starting with `head`."""
    if head.startswith(codecs.BOM_UTF8):
        return ("utf-8-sig", False) if utf8_valid() else ("latin-1", True)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if b"\x00" in head:
        sample = head[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = max(len(sample) // 2, 1)
        if odd / half > 0.3 and even / half < 0.05:
            return "utf-16-le", False
        if even / half > 0.3 and odd / half < 0.05:
            return "utf-16-be", False
        raise _binary(name)
    return ("utf-8", False) if utf8_valid() else ("latin-1", True)


def _binary(name: str) -> UnreadableFileError:
    return UnreadableFileError(f"{name} is not a CSV, Excel or JSON file (it looks like binary data).")


def _check_text(sample: str, name: str) -> None:
    """Binary data decoded as cp1252 is full of control characters; text has next to none."""
    body = sample.rstrip("\x1a")
    controls = sum(1 for ch in body if ch not in "\t\n\r" and unicodedata.category(ch) == "Cc")
    if "\x00" in body or controls > max(2, len(body) // 200):
        raise _binary(name)


def _decode(data: bytes, name: str) -> str:
    def utf8_valid() -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    encoding, cp1252 = _encoding(data[:_SAMPLE_BYTES], name, utf8_valid)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFileError(
            f"{name} looks like {encoding.upper()} text but cannot be decoded."
        ) from None
    text = _cp1252(text) if cp1252 else text
    _check_text(text[:_SAMPLE_BYTES], name)
    return text


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def _sniff_delimiter(sample: str, schema: _Schema, named: Collection[str] = ()) -> str:
    """The delimiter that turns a header row into the most recognised column names (synonyms, or the
    header keys a column mapping names)."""
    lookup = schema.lookup()

    def recognised(delimiter: str) -> int:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        rows = (row for row in reader if any(cell.strip() for cell in row))
        best = 0
        for row in islice(rows, 10):
            known = {lookup[n] for n in map(normalize_header, row) if n in lookup}
            mapped = {key for key in map(_header_key, row) if key in named}
            best = max(best, len(known) + len(mapped))
        return best

    scores = {d: recognised(d) for d in _DELIMITERS}
    top = max(scores.values())
    candidates = [d for d in _DELIMITERS if scores[d] == top]
    first = next((line for line in sample.splitlines() if line.strip()), "")
    on_header = {d: _count_outside_quotes(first, d) for d in candidates}
    most = max(on_header.values())
    if most > 0:
        return next(d for d in candidates if on_header[d] == most)
    # One column: split on the delimiter the data uses least, so `Acme, Inc.` stays one name.
    return min(candidates, key=lambda d: (sample.count(d), _DELIMITERS.index(d)))


def _csv_records(lines: Iterable[str], delimiter: str, name: str, first_line: int = 1) -> Iterator[_Record]:
    """Records numbered from `first_line` (a reader starting inside a file passes where it starts)."""
    reader = csv.reader(lines, delimiter=delimiter)
    line = first_line - 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = (
                f"a field runs over {csv.field_size_limit()} characters (a quote that is never closed?)"
                if "field limit" in str(exc)
                else str(exc)
            )
            raise UnreadableFileError(
                f"{name} cannot be read as delimited text after line {line}: {reason}."
            ) from None
        line += 1
        yield line, row


# --------------------------------------------------------------------------------------------------
# Workbooks


def _open_workbook(source: io.BytesIO | Path, name: str) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError):
        raise UnreadableFileError(f"{name} is a zip archive but not an Excel .xlsx workbook.") from None
    except Exception:  # openpyxl raises many unrelated types on a malformed workbook
        raise UnreadableFileError(f"{name} cannot be opened as an Excel workbook.") from None


def _choose_sheet(sheets: list[Any], sheet: str | None, name: str) -> Any:
    """The first sheet, or the one named `sheet` (exactly, else the only one equal ignoring case)."""
    if sheet is None:
        if not sheets:
            raise UnreadableFileError(f"{name} has no worksheet.")
        return sheets[0]
    exact = [ws for ws in sheets if ws.title == sheet]
    loose = [ws for ws in sheets if ws.title.strip().casefold() == sheet.strip().casefold()]
    if not (exact or len(loose) == 1):
        titles = ", ".join(ws.title for ws in sheets)
        raise UnreadableFileError(f"{name} has no sheet named {sheet!r}; its sheets are: {titles}.")
    return (exact or loose)[0]


def _sheet_records(workbook: openpyxl.Workbook, sheet: str | None, name: str) -> Iterator[_Record]:
    """Rows of the first (or the named) sheet, numbered as the sheet numbers them; closes the workbook."""
    try:
        chosen = _choose_sheet(list(workbook.worksheets), sheet, name)
        chosen.reset_dimensions()  # writers often record wrong dimensions; read the rows that exist
        try:
            yield from enumerate(chosen.iter_rows(values_only=True), start=1)
        except Exception:  # a damaged sheet part surfaces only while its rows are parsed
            raise UnreadableFileError(f"{name} has a damaged sheet {chosen.title!r}.") from None
    finally:
        workbook.close()


# --------------------------------------------------------------------------------------------------
# Header location and rows


def _blank(row: Sequence[object]) -> bool:
    for value in row:
        try:
            if _cell_text(value):
                return False
        except ValueError:
            return False
    return True


def _header_cells(row: Sequence[object]) -> list[str]:
    cells: list[str] = []
    for value in row:
        try:
            cells.append(_cell_text(value))
        except ValueError:
            cells.append("")
    return cells


@dataclass(frozen=True, slots=True)
class _Scan:
    """The header row found (or, when no early row has the required columns, the row closest to it)."""

    header: _Header
    cells: list[str]
    found: bool
    replay: list[_Record]  # records already consumed after `header` (only when not found)


def _scan_header(
    records: Iterator[_Record], schema: _Schema, name: str, overrides: _Overrides | None = None
) -> _Scan:
    """Consume records up to and including the header (the first row with the required columns and
    every header the mapping names), or up to ten non-blank rows when there is none (those after the
    closest row are kept in `replay`); an empty file raises."""
    best: tuple[tuple[int, int], _Header, list[str]] | None = None
    top: tuple[int, _Header, list[str]] | None = None  # with a mapping: the row naming most columns
    consumed: list[_Record] = []
    for seen, (line, row) in enumerate((r for r in records if not _blank(r[1])), start=1):
        consumed.append((line, row))
        cells = _header_cells(row)
        header = _map_header(line, cells, schema, overrides.fields if overrides else None)
        found = len(schema.required) - len(header.missing(schema))
        keys = [_header_key(cell) for cell in cells]
        named = len(overrides.fields.keys() & set(keys)) if overrides else 0
        recognised = len(header.index) + sum(
            1 for key in keys if overrides and overrides.fields.get(key) == ""
        )
        if found == len(schema.required) and named == (len(overrides.fields) if overrides else 0):
            if top is None or recognised >= top[0]:
                return _Scan(header, cells, True, [])
            # A data cell that happens to equal a mapped header: the header is the earlier row.
            best = ((0, 0), top[1], top[2])
            break
        if best is None or (named, found) > best[0]:
            best = ((named, found), header, cells)
        if overrides and (top is None or recognised > top[0]):
            top = (recognised, header, cells)
        if seen >= 10:
            break
    if best is None:
        raise UnreadableFileError(f"{name} is empty.")
    _, header, cells = best
    return _Scan(header, cells, False, [record for record in consumed if record[0] > header.line])


def _locate_header(
    records: Iterator[_Record], schema: _Schema, name: str, overrides: _Overrides | None = None
) -> _Header:
    """Consume records up to and including the header; raise when no early row has the required columns."""
    scan = _scan_header(records, schema, name, overrides)
    _check_mapping(overrides, scan.cells, name)
    if not scan.found:
        raise UnreadableFileError(_missing_message(name, schema, scan.header, scan.cells))
    return scan.header


@dataclass(frozen=True, slots=True)
class _Row:
    """One row's canonical values (text as written), its echo, and the cells that could not be read."""

    line: int
    values: dict[str, str]
    raw: dict[str, object]
    echo: dict[str, str]
    errors: list[RowError]
    blank: bool


def _row(line: int, row: Sequence[object], header: _Header) -> _Row:
    values: dict[str, str] = {}
    raw: dict[str, object] = {}
    echo: dict[str, str] = {}
    errors: list[RowError] = []
    canonical = set(header.index)
    blank = True
    for i, value in enumerate(row):
        key = header.keys[i] if i < len(header.keys) else ""
        if key in canonical:
            try:
                text = _cell_text(value)
            except ValueError as exc:
                errors.append(RowError(line, key, f"{key} {exc}"))
                blank = False
                continue
            values[key], raw[key] = text, value
        else:
            try:
                text = _cell_text(value)
            except ValueError:
                text = json.dumps(value, ensure_ascii=False)
            if not key:
                if not text:
                    continue
                key = f"column_{i + 1}"
        blank = blank and not text
        if value is not _MISSING:
            echo[key] = text
    return _Row(line, values, raw, echo, errors, blank)


def _text_source(text: str, name: str, schema: _Schema, named: Collection[str] = ()) -> Iterator[_Record]:
    delimiter = _sniff_delimiter(text[:_SAMPLE_BYTES], schema, named)
    return _csv_records(io.StringIO(text, newline=""), delimiter, name)


# --------------------------------------------------------------------------------------------------
# Supplier lists


SUPPLIER_FIELDS: tuple[str, ...] = _SUPPLIERS.columns  # what a column mapping may name
IGNORE = "ignore"  # (or "") in a column mapping: the column is not used as any field


@dataclass(frozen=True, slots=True)
class _Overrides:
    """A checked column mapping: header key -> field ("" for not used), and the header as the mapping
    wrote it (for messages)."""

    fields: dict[str, str]
    written: dict[str, str]


def check_columns(columns: Mapping[str, object] | None) -> dict[str, str]:
    """A column mapping (header as written -> field of CONTRACT section 2.3, "" or "ignore") checked
    for itself, as header -> field with "" for not used; `InputError` names an unknown field, a header
    given twice, or two headers given one field. Whether the file has the headers is checked on reading."""
    return dict(_overrides_items(columns))


def _overrides_items(columns: Mapping[str, object] | None) -> list[tuple[str, str]]:
    if columns is None:
        return []
    if not isinstance(columns, Mapping):
        raise InputError("the column mapping must be an object of header names to field names")
    items: list[tuple[str, str]] = []
    keys: dict[str, str] = {}
    given: dict[str, str] = {}
    allowed = ", ".join(SUPPLIER_FIELDS)
    for header, value in columns.items():
        if not isinstance(header, str) or not isinstance(value, str):
            raise InputError(
                "the column mapping must map header names to field names (text); "
                f"{header!r}: {value!r} is not"
            )
        written = header.strip()
        key = _header_key(header)
        if not key:
            raise InputError("the column mapping names an empty header")
        if key in keys:
            raise InputError(f"the column mapping names the header {keys[key]!r} twice (also as {written!r})")
        keys[key] = written
        field = value.strip().casefold()
        field = "" if field == IGNORE else field
        if field and field not in SUPPLIER_FIELDS:
            raise InputError(
                f"the column mapping gives {written!r} the field {value!r}, which a supplier list does not "
                f"have; the fields are {allowed} (or {IGNORE!r} for a column not used)"
            )
        if field and field in given:
            raise InputError(
                f"the column mapping gives both {given[field]!r} and {written!r} the field {field}; "
                "a field is read from one column"
            )
        if field:
            given[field] = written
        items.append((written, field))
    return items


def _overrides(columns: Mapping[str, object] | None) -> _Overrides | None:
    items = _overrides_items(columns)
    if not items:
        return None
    return _Overrides(
        fields={_header_key(header): field for header, field in items},
        written={_header_key(header): header for header, _ in items},
    )


def _check_mapping(overrides: _Overrides | None, cells: Sequence[str], name: str) -> None:
    """Every header the mapping names is in the header row, once."""
    if overrides is None:
        return
    seen: dict[str, int] = {}
    for cell in cells:
        key = _header_key(cell)
        if key:
            seen[key] = seen.get(key, 0) + 1
    for key, written in overrides.written.items():
        count = seen.get(key, 0)
        if count == 0:
            found = [cell.strip() for cell in cells if cell.strip()]
            shown = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
            raise InputError(
                f"{name} has no column {written!r} (named in the column mapping); "
                f"its columns are: {shown or 'no column names'}."
            )
        if count > 1:
            raise InputError(f"{name} has {count} columns named {written!r}; rename one of them to map it.")


def _supplier_source(
    data: bytes, name: str, sheet: str | None, overrides: _Overrides | None
) -> tuple[_Kind, list[object] | Iterator[_Record]]:
    """The records of a supplier list (JSON: its items), read after sniffing its format."""
    kind = _kind(data[:_SAMPLE_BYTES], name)
    if kind == "xlsx":
        return kind, _sheet_records(_open_workbook(io.BytesIO(data), name), sheet, name)
    text = _supplier_text(data, name)
    if kind == "json":
        return kind, _parse_json(text, name)
    return kind, _text_source(text, name, _SUPPLIERS, overrides.fields if overrides else ())


def _supplier_text(data: bytes, name: str) -> str:
    """A supplier list in text (delimited or JSON), decoded; an empty one raises."""
    text = _decode(data, name)
    if not text.strip():
        raise UnreadableFileError(f"{name} is empty.")
    return text


def read_suppliers(
    data: bytes,
    filename: str,
    *,
    sheet: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> IngestResult:
    """A supplier list or bill of materials (CSV, XLSX or JSON) as lines plus row errors.

    `sheet` selects an XLSX worksheet (default: the first) and is ignored for other formats. `columns`
    maps headers as written to fields, over the automatic matching (see "Column mapping" above).
    Raises `UnreadableFileError` when the file cannot be read at all, `InputError` for a bad mapping.
    """
    name = _display_name(filename)
    digest = hashlib.sha256(data).hexdigest()
    overrides = _overrides(columns)
    _, source = _supplier_source(data, name, sheet, overrides)
    if isinstance(source, list):
        return _suppliers_json(source, name, digest, overrides)
    return _suppliers(source, name, digest, overrides)


def read_suppliers_file(
    path: Path, *, sheet: str | None = None, columns: Mapping[str, str] | None = None
) -> IngestResult:
    """`read_suppliers` on a file; a missing or unreadable path raises `UnreadableFileError`."""
    return read_suppliers(_read_bytes(path), path.name, sheet=sheet, columns=columns)


def read_suppliers_records(records: list[object], *, name: str = "request") -> IngestResult:
    """Already-parsed JSON supplier objects (the HTTP API's body); line = 1-based index in the list.

    The hash is over the canonical JSON text, so the same records always give the same hash.
    """
    canonical = json.dumps(records, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return _suppliers_json(records, name, hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True, slots=True)
class Preview:
    """How a supplier list is read, for a person to check (and correct the column mapping) before
    submitting it: the header row with the field each column is read as, the first rows as written,
    and every unusable row or cell."""

    filename: str
    format: Literal["csv", "xlsx", "json"]
    sha256: str
    header_line: int  # the row the headers were read from (0 for JSON: the objects' keys)
    headers: tuple[str, ...]  # as written; "" for a column without a header
    fields: tuple[str, ...]  # per header: the field its cells are read as, or "" (not used)
    mappable: tuple[bool, ...]  # per header: a column mapping can name it (it has a header, only once)
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line, cells as text) of the first rows after the header
    row_count: int  # non-blank rows after the header
    line_count: int  # rows that can be screened
    errors: tuple[RowError, ...]  # as `IngestResult.errors` (none while `problem` is set)
    problem: str | None  # why the list cannot be screened as mapped (a required column not found)


def _display(value: object) -> str:
    """A cell as text for a person: as `_cell_text`, nested JSON as JSON text."""
    try:
        return _cell_text(value)
    except ValueError:
        return json.dumps(value, ensure_ascii=False)


def preview_suppliers(
    data: bytes,
    filename: str,
    *,
    sheet: str | None = None,
    columns: Mapping[str, str] | None = None,
    rows: int = 10,
) -> Preview:
    """The header row with the field each column is read as (the automatic matching, with `columns`
    over it), the first `rows` non-blank rows after the header, and the errors `read_suppliers` would
    report. A list whose required columns are not found is no error here: `problem` says what is
    missing, so that the mapping can be corrected. Raises `UnreadableFileError` for a file that
    cannot be read at all, `InputError` for a bad mapping (as `read_suppliers`)."""
    name = _display_name(filename)
    digest = hashlib.sha256(data).hexdigest()
    overrides = _overrides(columns)
    kind, source = _supplier_source(data, name, sheet, overrides)
    lines: list[SupplierLine] = []
    errors: list[RowError] = []
    sample: list[tuple[int, tuple[str, ...]]] = []
    count = 0
    if isinstance(source, list):
        header, cells, found = _json_header(source, name, overrides)
        for line, item in enumerate(source, start=1):
            shown = (
                tuple(_display(item.get(key, _MISSING)) for key in cells) if isinstance(item, dict) else ()
            )
            if isinstance(item, dict) and not any(shown):
                continue
            count += 1
            if len(sample) < rows:
                sample.append((line, shown or (_display(item),)))
            if found:
                _json_item(line, item, cells, header, lines, errors)
    else:
        scan = _scan_header(source, _SUPPLIERS, name, overrides)
        _check_mapping(overrides, scan.cells, name)
        header, cells, found = scan.header, scan.cells, scan.found
        if found:
            errors.extend(_unit_errors(header))
        for line, row in chain(scan.replay, source):
            if _blank(row):
                continue
            count += 1
            if len(sample) < rows:
                sample.append((line, tuple(_display(value) for value in row)))
            if found:
                _supplier(_row(line, row, header), lines, errors)
    width = max([len(cells), *(len(shown) for _, shown in sample)])
    headers = tuple(cells) + ("",) * (width - len(cells))
    fields = tuple(
        key if i < len(header.keys) and header.index.get(key := header.keys[i]) == i else ""
        for i in range(width)
    )
    keys = [_header_key(cell) for cell in headers]
    counts = Counter(keys)
    mappable = tuple(bool(key) and counts[key] == 1 for key in keys)
    return Preview(
        filename=name,
        format="csv" if kind == "text" else kind,
        sha256=digest,
        header_line=header.line,
        headers=tuple(cell.strip() for cell in headers),
        fields=fields,
        mappable=mappable,
        rows=tuple((line, shown + ("",) * (width - len(shown))) for line, shown in sample),
        row_count=count,
        line_count=len(lines),
        errors=tuple(errors),
        problem=None if found else _missing_message(name, _SUPPLIERS, header, cells),
    )


ANNOTATION_COLUMN = "tiersight_errors"


@dataclass(frozen=True, slots=True)
class AnnotatedFile:
    """A supplier list given back with its errors in one more column."""

    data: bytes
    filename: str
    format: Literal["csv", "xlsx"]


def _notes(errors: Iterable[RowError]) -> dict[int, str]:
    """Per line, its errors as one text: `column: reason` joined by "; "."""
    out: dict[int, list[str]] = {}
    for error in errors:
        out.setdefault(error.line, []).append(
            f"{error.column}: {error.message}" if error.column else error.message
        )
    return {line: "; ".join(reasons) for line, reasons in out.items()}


def annotate_suppliers(
    data: bytes,
    filename: str,
    *,
    sheet: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> AnnotatedFile:
    """The supplier list with one more column, `tiersight_errors`: on each row `read_suppliers`
    reports, its reasons (`column: reason`, joined by "; "); other rows leave it empty. A workbook
    comes back as a workbook (the sheet read gets the column; formulas and other sheets are kept),
    delimited text as UTF-8 text with the file's delimiter, JSON as CSV of the items' fields. Raises
    as `read_suppliers` does."""
    name = _display_name(filename)
    digest = hashlib.sha256(data).hexdigest()
    overrides = _overrides(columns)
    stem = Path(name).stem or "suppliers"
    if _kind(data[:_SAMPLE_BYTES], name) == "text":  # decoded and sniffed once, here
        return _annotated_text(data, name, stem, overrides)
    _, source = _supplier_source(data, name, sheet, overrides)
    if isinstance(source, list):
        notes = _notes(_suppliers_json(source, name, digest, overrides).errors)
        keys = _json_keys(source)
        items = [[*keys, ANNOTATION_COLUMN]]
        for line, item in enumerate(source, start=1):
            cells = (
                [_display(item.get(key, _MISSING)) for key in keys]
                if isinstance(item, dict)
                else [""] * len(keys)
            )
            items.append([*cells, notes.get(line, "")])
        return AnnotatedFile(_csv_bytes(items, ",", "\r\n", bom=True), f"{stem}-annotated.csv", "csv")
    header, _, errors = _read_records(source, name, overrides)  # a workbook: its values read
    return AnnotatedFile(
        _annotated_workbook(data, name, sheet, header.line, _notes(errors)),
        f"{stem}-annotated.xlsx",
        "xlsx",
    )


def _annotated_text(data: bytes, name: str, stem: str, overrides: _Overrides | None) -> AnnotatedFile:
    """Delimited text with the errors column, written with the file's delimiter and line ends."""
    text = _supplier_text(data, name)
    delimiter = _sniff_delimiter(text[:_SAMPLE_BYTES], _SUPPLIERS, overrides.fields if overrides else ())
    records = list(_csv_records(io.StringIO(text, newline=""), delimiter, name))
    header, _, errors = _read_records(iter(records), name, overrides)
    notes = _notes(errors)
    width = max(len(row) for _, row in records)
    table: list[list[str]] = []
    for line, row in records:
        cells = [str(value) for value in row]
        if line < header.line:  # a title row above the header stays as it is
            table.append(cells)
            continue
        note = ANNOTATION_COLUMN if line == header.line else notes.get(line, "")
        table.append([*cells, *[""] * (width - len(cells)), note])
    bom = data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or not _is_utf8(data)
    suffix = Path(name).suffix if Path(name).suffix.casefold() in (".csv", ".tsv", ".txt", ".tab") else ".csv"
    newline = "\r\n" if "\r\n" in text[:_SAMPLE_BYTES] else "\n"
    return AnnotatedFile(_csv_bytes(table, delimiter, newline, bom=bom), f"{stem}-annotated{suffix}", "csv")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _csv_bytes(table: Iterable[Sequence[str]], delimiter: str, newline: str, *, bom: bool) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(table)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def _annotated_workbook(
    data: bytes, name: str, sheet: str | None, header_line: int, notes: dict[int, str]
) -> bytes:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data))  # not data_only: formulas are kept as written
    except Exception:  # openpyxl raises many unrelated types on a malformed workbook
        raise UnreadableFileError(f"{name} cannot be opened as an Excel workbook.") from None
    chosen = _choose_sheet(list(workbook.worksheets), sheet, name)
    column = chosen.max_column + 1
    chosen.cell(row=header_line, column=column, value=ANNOTATION_COLUMN)
    for line, note in notes.items():
        if line != header_line:
            cell = chosen.cell(row=line, column=column, value=note)
            cell.data_type = "s"  # text, never a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable_path(path, exc) from None


def _unreadable_path(path: Path, exc: OSError) -> UnreadableFileError:
    if isinstance(exc, FileNotFoundError):
        return UnreadableFileError(f"{path} does not exist.")
    if isinstance(exc, IsADirectoryError):
        return UnreadableFileError(f"{path} is a directory, not a file.")
    return UnreadableFileError(f"{path} cannot be read ({exc.strerror or 'input/output error'}).")


def _parse_json(text: str, name: str) -> list[object]:
    try:
        document: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise UnreadableFileError(f"{name} is nested too deeply to be a supplier list.") from None
    if isinstance(document, dict) and isinstance(document.get("suppliers"), list):
        items: list[object] = document["suppliers"]
        return items
    if isinstance(document, list):
        return document
    raise UnreadableFileError(f'{name} must hold an array of supplier objects or {{"suppliers": [...]}}.')


def _json_keys(items: list[object]) -> list[str]:
    keys: dict[str, None] = {}
    for item in items:
        if isinstance(item, dict):
            keys.update(dict.fromkeys(str(key) for key in item))
    return list(keys)


def _json_header(
    items: list[object], name: str, overrides: _Overrides | None
) -> tuple[_Header, list[str], bool]:
    """The keys of the items as a header row; whether it has the required fields (or nothing to read)."""
    order = _json_keys(items)
    header = _map_header(0, order, _SUPPLIERS, overrides.fields if overrides else None)
    _check_mapping(overrides, order, name)
    found = not header.missing(_SUPPLIERS) or not any(isinstance(item, dict) and item for item in items)
    return header, order, found


def _json_item(
    line: int,
    item: object,
    order: list[str],
    header: _Header,
    lines: list[SupplierLine],
    errors: list[RowError],
) -> None:
    if not isinstance(item, dict):
        errors.append(
            RowError(line, "", f"item {line} is {_json_kind(item)}, not an object with supplier fields")
        )
        return
    _supplier(_row(line, [item.get(key, _MISSING) for key in order], header), lines, errors)


def _suppliers_json(
    items: list[object], name: str, digest: str, overrides: _Overrides | None = None
) -> IngestResult:
    header, order, found = _json_header(items, name, overrides)
    if not found:
        raise UnreadableFileError(_missing_message(name, _SUPPLIERS, header, order))
    errors: list[RowError] = []
    lines: list[SupplierLine] = []
    for line, item in enumerate(items, start=1):
        _json_item(line, item, order, header, lines, errors)
    return IngestResult(tuple(lines), tuple(errors), digest, name, dict(header.written))


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"


def _suppliers(
    records: Iterator[_Record], name: str, digest: str, overrides: _Overrides | None = None
) -> IngestResult:
    header, lines, errors = _read_records(records, name, overrides)
    return IngestResult(tuple(lines), tuple(errors), digest, name, dict(header.written))


def _read_records(
    records: Iterator[_Record], name: str, overrides: _Overrides | None
) -> tuple[_Header, list[SupplierLine], list[RowError]]:
    header = _locate_header(records, _SUPPLIERS, name, overrides)
    lines: list[SupplierLine] = []
    errors = _unit_errors(header)
    for line, row in records:
        _supplier(_row(line, row, header), lines, errors)
    return header, lines, errors


def _unit_errors(header: _Header) -> list[RowError]:
    """A column refused for its unit is reported once, on the header line, rather than dropped silently."""
    return [
        RowError(
            header.line,
            canonical,
            f"column {written!r} is not in {'kilograms' if canonical == 'weight_kg' else 'plain US dollars'};"
            " its values are not used",
        )
        for written, canonical in header.rejected
    ]


def _parse(
    row: _Row, column: str, parse: Callable[[str], _T], errors: list[RowError], consequence: str
) -> _T | None:
    """The parsed cell, or None when it is empty or bad; a bad one adds a RowError ending in `consequence`."""
    text = row.values.get(column, "")
    if not text:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        errors.append(RowError(row.line, column, f"{exc}; {consequence}"))
        return None


def _supplier(row: _Row, lines: list[SupplierLine], errors: list[RowError]) -> None:
    """Validate one row: append its line (unless unusable) and its errors; a blank row adds nothing."""
    if row.blank and not row.errors:
        return
    errors.extend(row.errors)
    failed = {error.column for error in row.errors}
    name = _collapse(row.values.get("supplier_name", ""))
    if not name and "supplier_name" not in failed:
        errors.append(RowError(row.line, "supplier_name", "supplier name is empty; the row is not screened"))
    before = len(errors)
    hs_code = _parse(row, "hs_code", lambda _: _hs(row), errors, "the row is not screened")
    bad_hs = len(errors) > before or "hs_code" in failed
    country = _parse(row, "supplier_country", normalize_country, errors, "screened without a country")
    value = _parse(row, "annual_value_usd", _number, errors, "screened without an annual value")
    if not name or bad_hs:
        return
    lines.append(
        SupplierLine(
            line=row.line,
            supplier_name=name,
            supplier_country=country,
            supplier_address=_optional(row.values, "supplier_address"),
            supplier_ref=_optional(row.values, "supplier_ref"),
            part_number=_optional(row.values, "part_number"),
            part_description=_optional(row.values, "part_description"),
            parent_part_number=_optional(row.values, "parent_part_number"),
            hs_code=hs_code,
            annual_value_usd=value,
            input=row.echo,
        )
    )


def _hs(row: _Row) -> str:
    text = _hs_text(row.raw.get("hs_code"))
    try:
        return normalize_hs(text)
    except ValueError as exc:
        if text.isdigit() and len(text) == 5:  # a spreadsheet turned 030211 into the number 30211
            raise ValueError(f"{exc} (if a leading zero was lost, write 0{text})") from None
        raise


def _optional(values: dict[str, str], column: str) -> str | None:
    text = values.get(column)
    return " ".join(text.split()) or None if text else None


# --------------------------------------------------------------------------------------------------
# Streamed network files: shipments and the registry


@dataclass(frozen=True, slots=True)
class _Layout:
    """How to reopen a file and get its records again: workbook, or text with codec and delimiter."""

    path: Path
    name: str
    kind: _Kind
    encoding: str = "utf-8"
    cp1252: bool = False
    delimiter: str = ","


def _utf8_file(path: Path) -> bool:
    """Strict UTF-8 over the whole file, in chunks: the first bytes alone can mislead."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _layout(path: Path, schema: _Schema) -> _Layout:
    name = path.name
    try:
        with path.open("rb") as stream:
            head = stream.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise _unreadable_path(path, exc) from None
    kind = _kind(head, name)
    if kind != "text":
        if kind == "json":
            raise UnreadableFileError(f"{name} is JSON; a {schema.what} must be CSV or XLSX.")
        return _Layout(path, name, kind)
    encoding, cp1252 = _encoding(head, name, lambda: _utf8_file(path))
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
    sample = _cp1252(sample) if cp1252 else sample
    _check_text(sample, name)
    return _Layout(path, name, kind, encoding, cp1252, _sniff_delimiter(sample, schema))


def _file_records(layout: _Layout) -> Generator[_Record, None, None]:
    """The file's records, read lazily; the file is open only while the iterator runs."""
    if layout.kind == "xlsx":
        yield from _sheet_records(_open_workbook(layout.path, layout.name), None, layout.name)
        return
    try:
        stream = layout.path.open(encoding=layout.encoding, newline="")
    except OSError as exc:
        raise _unreadable_path(layout.path, exc) from None
    with stream:
        lines: Iterable[str] = (_cp1252(line) for line in stream) if layout.cp1252 else stream
        try:
            yield from _csv_records(lines, layout.delimiter, layout.name)
        except UnicodeDecodeError:
            raise UnreadableFileError(
                f"{layout.name} cannot be decoded as {layout.encoding.upper()} text."
            ) from None


def _network_header(path: Path, schema: _Schema) -> tuple[_Layout, _Header]:
    layout = _layout(path, schema)
    records = _file_records(layout)
    try:
        return layout, _locate_header(records, schema, layout.name)
    finally:
        records.close()


def _rows_after(layout: _Layout, header: _Header) -> Iterator[_Row]:
    for line, row in _file_records(layout):
        if line > header.line:
            parsed = _row(line, row, header)
            if not parsed.blank or parsed.errors:
                yield parsed


def read_shipments(path: Path, *, fast: bool = True) -> tuple[list[str], Iterator[ShipmentRow | RowError]]:
    """The canonical columns present, and the rows of a shipments file (CSV or XLSX), read lazily.

    The header is checked at once (`UnreadableFileError` names missing required columns); the rows
    are read as the iterator is consumed, so files of millions of rows are never held in memory.
    Per row: a required field empty or bad yields one `RowError` per problem and no row; a bad
    optional country or number yields a `RowError` first and then the row with that field `None`.
    Blank rows are skipped. `fast=False` reads every row with the per-row parser (the reference the
    columnar fast path is tested against).
    """
    layout, header = _network_header(path, _SHIPMENTS)
    columns = [key for key in header.keys if key in header.index]
    return columns, _shipments(layout, header, fast=fast)


def _shipments(layout: _Layout, header: _Header, *, fast: bool = True) -> Iterator[ShipmentRow | RowError]:
    """The rows after the header: through pyarrow's columnar reader when the file allows it (plain
    UTF-8 text whose header is line 1), else row by row; both give the same rows and errors."""
    from screening import ingest_arrow  # imports this module

    yield from _unit_errors(header)
    offset = ingest_arrow.fast_layout(layout, header) if fast else None
    if offset is not None:
        yield from ingest_arrow.read_fast(layout, header, offset)
        return
    for row in _rows_after(layout, header):
        yield from _shipment(row)


def _shipment(row: _Row) -> Iterator[ShipmentRow | RowError]:
    errors = list(row.errors)
    failed = {error.column for error in errors}
    dropped = "the shipment is not loaded"

    def required(column: str, parse: Callable[[str], _T]) -> _T | None:
        if column not in failed and not row.values.get(column):
            errors.append(RowError(row.line, column, f"{column} is empty; {dropped}"))
        return _parse(row, column, parse, errors, dropped)

    shipper = required("shipper_name", _collapse)
    consignee = required("consignee_name", _collapse)
    hs_code = required("hs_code", lambda _: _hs(row))
    value = required("value_usd", _number)
    date = required("date", parse_date)
    kept = "loaded without it"
    shipper_country = _parse(row, "shipper_country", normalize_country, errors, kept)
    consignee_country = _parse(row, "consignee_country", normalize_country, errors, kept)
    origin_country = _parse(row, "origin_country", normalize_country, errors, kept)
    quantity = _parse(row, "quantity", _number, errors, kept)
    weight = _parse(row, "weight_kg", _number, errors, kept)
    yield from errors
    if shipper is None or consignee is None or hs_code is None or value is None or date is None:
        return
    values = row.values
    yield ShipmentRow(
        line=row.line,
        shipment_id=_optional(values, "shipment_id"),
        shipper_name=shipper,
        consignee_name=consignee,
        hs_code=hs_code,
        value_usd=value,
        date=date,
        shipper_address=_optional(values, "shipper_address"),
        shipper_country=shipper_country,
        consignee_address=_optional(values, "consignee_address"),
        consignee_country=consignee_country,
        origin_country=origin_country,
        description=_optional(values, "description"),
        quantity=quantity,
        weight_kg=weight,
        port_of_lading=_optional(values, "port_of_lading"),
        port_of_unlading=_optional(values, "port_of_unlading"),
        shipper_id=_optional(values, "shipper_id"),
        consignee_id=_optional(values, "consignee_id"),
    )


_LEI = re.compile(r"[A-Z0-9]{18}[0-9]{2}")


def _lei(text: str) -> str:
    """An ISO 17442 Legal Entity Identifier: 20 characters whose ISO 7064 mod 97-10 check holds."""
    code = text.replace(" ", "").upper()
    if not _LEI.fullmatch(code) or int("".join(str(int(ch, 36)) for ch in code)) % 97 != 1:
        raise ValueError(f"LEI {text!r} is not a valid 20-character Legal Entity Identifier")
    return code


def read_companies(path: Path) -> tuple[list[Company], list[RowError]]:
    """A company registry (CSV or XLSX): companies in file order, and one error per problem.

    A row without company_id or name, or repeating an earlier company_id, is not loaded. A bad
    country or LEI is reported and the company loaded without it. Aliases are `|`-separated;
    empty ones and repeats of the name are dropped.
    """
    layout, header = _network_header(path, _COMPANIES)
    companies: list[Company] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    dropped = "the company is not loaded"
    for row in _rows_after(layout, header):
        errors.extend(row.errors)
        failed = {error.column for error in row.errors}
        company_id = _collapse(row.values.get("company_id", ""))
        name = _collapse(row.values.get("name", ""))
        for column, text in (("company_id", company_id), ("name", name)):
            if not text and column not in failed:
                errors.append(RowError(row.line, column, f"{column} is empty; {dropped}"))
        if company_id in seen:
            message = f"company_id {company_id!r} repeats line {seen[company_id]}; {dropped}"
            errors.append(RowError(row.line, "company_id", message))
        country = _parse(row, "country", normalize_country, errors, "loaded without a country")
        lei = _parse(row, "lei", _lei, errors, "loaded without it")
        if not company_id or not name or company_id in seen:
            continue
        seen[company_id] = row.line
        aliases: dict[str, None] = {}
        for alias in map(_collapse, row.values.get("aliases", "").split("|")):
            if alias and alias.casefold() != name.casefold():
                aliases.setdefault(alias, None)
        companies.append(
            Company(
                company_id=company_id,
                name=name,
                country=country,
                address=_optional(row.values, "address"),
                aliases=tuple(aliases),
                lei=lei,
            )
        )
    return companies, errors
