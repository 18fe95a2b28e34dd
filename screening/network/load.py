"""Loading a shipments file in batches: stable shipment ids, parties resolved once per spelling, rows
ready for a bulk write.

The service (`services.load_network`) drives it: read a batch, drop the rows the store already
holds, resolve their parties, write them, then store the companies and spellings learnt. Memory holds
one batch of rows plus what the resolver remembers (one entry per distinct spelling), never the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from screening.ingest import ShipmentRow
from screening.model import RowError
from screening.network.resolve import Resolver


class StoredShipment(NamedTuple):
    """A shipment row as stored: resolved party ids plus everything the bill of lading said. A tuple in
    the stored column order, so a batch goes to the database without another conversion."""

    shipment_id: str
    shipper_id: str
    consignee_id: str
    hs_code: str
    value_usd: float
    date: dt.date
    origin_country: str | None
    shipper_name: str
    consignee_name: str
    shipper_address: str | None
    shipper_country: str | None
    consignee_address: str | None
    consignee_country: str | None
    description: str | None
    quantity: float | None
    weight_kg: float | None
    port_of_lading: str | None
    port_of_unlading: str | None


SHIPMENT_COLUMNS: tuple[str, ...] = StoredShipment._fields


class Batch(NamedTuple):
    """Consecutive rows of the file: the usable shipments and the row errors among them, in line order."""

    rows: list[ShipmentRow]
    errors: list[RowError]


def batches(items: Iterable[ShipmentRow | RowError], size: int) -> Iterator[Batch]:
    """Group a reader's output into batches of at most `size` shipments (errors ride along)."""
    rows: list[ShipmentRow] = []
    errors: list[RowError] = []
    for item in items:
        if isinstance(item, RowError):
            errors.append(item)
            continue
        rows.append(item)
        if len(rows) >= size:
            yield Batch(rows, errors)
            rows, errors = [], []
    if rows or errors:
        yield Batch(rows, errors)


def shipment_id(row: ShipmentRow) -> str:
    """The source's id, or one derived from the row's content so that a reload is recognised."""
    if row.shipment_id:
        return row.shipment_id
    content = "\x1f".join(
        str(v)
        for v in (
            row.shipper_name,
            row.consignee_name,
            row.hs_code,
            row.value_usd,
            row.date.isoformat(),
            row.shipper_country,
            row.consignee_country,
            row.origin_country,
            row.description,
            row.quantity,
            row.weight_kg,
            row.port_of_lading,
            row.port_of_unlading,
        )
    )
    return "H" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:20]


def resolved(rows: Iterable[tuple[ShipmentRow, str]], resolver: Resolver) -> list[StoredShipment]:
    """Each (row, id) as stored, its shipper and consignee resolved to company ids. The resolver answers
    a spelling it has seen from its memory, so a name repeated on a million bills is resolved once."""
    resolve = resolver.resolve  # a bound method: one attribute lookup per batch, not two per row
    out: list[StoredShipment] = []
    append = out.append
    for row, sid in rows:
        shipper = resolve(row.shipper_name, row.shipper_country, row.shipper_address, row.shipper_id)
        consignee = resolve(
            row.consignee_name, row.consignee_country, row.consignee_address, row.consignee_id
        )
        append(
            StoredShipment(
                sid,
                shipper,
                consignee,
                row.hs_code,
                row.value_usd,
                row.date,
                row.origin_country or row.shipper_country,
                row.shipper_name,
                row.consignee_name,
                row.shipper_address,
                row.shipper_country,
                row.consignee_address,
                row.consignee_country,
                row.description,
                row.quantity,
                row.weight_kg,
                row.port_of_lading,
                row.port_of_unlading,
            )
        )
    return out
