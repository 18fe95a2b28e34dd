"""The SQL network store's bulk writes (COPY on PostgreSQL, executemany on SQLite), on both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from screening.model import Company
from screening.network.load import StoredShipment
from screening.network.resolve import NewName
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from screening.storage.tables import ShipmentRow


def shipment(shipment_id: str, value: float = 10.0, **fields: object) -> StoredShipment:
    row = StoredShipment(
        shipment_id=shipment_id,
        shipper_id="C1",
        consignee_id="C2",
        hs_code="850760",
        value_usd=value,
        date=dt.date(2025, 3, 4),
        origin_country="CN",
        shipper_name="Orbit Magnetics",
        consignee_name="Acme Motors",
        shipper_address=None,
        shipper_country="CN",
        consignee_address="Tab\there, 'quoted' \"too\"\nand a second line \\N",
        consignee_country=None,
        description="cells, 18650",
        quantity=None,
        weight_kg=12.5,
        port_of_lading=None,
        port_of_unlading=None,
    )
    return row._replace(**fields)


def test_bulk_writes_round_trip_and_skip_stored_and_repeated_ids(engine: Engine) -> None:
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        store.add_companies(
            [Company("C1", "Orbit Magnetics", "CN"), Company("C2", "Acme Motors")], "registry"
        )
        store.add_names([NewName("C1", "ORBIT MAGNETICS", "CN", "observed", "orbit magnetics|CN")])
        load_id = store.start_load("shipments", "a.csv", "0" * 64)
        assert store.add_shipments([shipment("S1"), shipment("S2"), shipment("S1", 99.0)], load_id) == 2
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        load_id = store.start_load("shipments", "b.csv", "1" * 64)
        assert store.add_shipments([shipment("S2", 5.0), shipment("S3")], load_id) == 1
        assert store.shipment_ids(["S1", "S3", "S9"]) == {"S1", "S3"}
        assert store.name_keys() == {"orbit magnetics|CN": "C1"}
        stored = {s.shipment_id: s for s in store.shipments()}
        row = session.get(ShipmentRow, "S3")
        assert row is not None
        written = (row.consignee_address, row.consignee_country, row.description, row.quantity, row.weight_kg)
    assert sorted(stored) == ["S1", "S2", "S3"]
    assert stored["S1"].value_usd == 10.0 and stored["S2"].value_usd == 10.0  # the first one stays
    assert stored["S1"].date == dt.date(2025, 3, 4)
    assert stored["S3"].shipper_id == "C1" and stored["S3"].origin_country == "CN"
    assert written == (shipment("S3").consignee_address, None, "cells, 18650", None, 12.5)
