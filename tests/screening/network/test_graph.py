"""The shipment graph: row order, the consignee index, origins, and its two constructors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.model import Company, Shipment
from screening.network.graph import Graph

COMPANIES = [
    Company(company_id="A", name="Alpha", country="CN"),
    Company(company_id="B", name="Beta", country="VN"),
    Company(company_id="C", name="Gamma", country=None),
]
DAY = dt.date(2025, 3, 1)


def ship(
    sid: str, shipper: str, consignee: str, hs: str, day: dt.date = DAY, origin: str | None = None
) -> Shipment:
    return Shipment(sid, shipper, consignee, hs, 10.0, day, origin)


def rows(graph: Graph) -> list[tuple[str, str, str, str, float, dt.date, str | None]]:
    return [
        (
            graph.shipment_id[i],
            graph.shipper[i],
            graph.consignee[i],
            graph.hs_code[i],
            graph.value_usd[i],
            graph.date_of(i),
            graph.origin[i],
        )
        for i in range(len(graph))
    ]


def test_rows_are_ordered_by_consignee_hs6_date_then_shipment_id() -> None:
    graph = Graph.build(
        [
            ship("S9", "A", "B", "850790", DAY),
            ship("S2", "A", "B", "850790", DAY),  # same day: the id decides
            ship("S5", "A", "B", "850760", DAY + dt.timedelta(days=3)),  # hs6 850760 sorts before 850790
            ship("S1", "B", "A", "7318150000", DAY),
            ship("S3", "C", "B", "8507904000", DAY - dt.timedelta(days=1)),  # hs6 850790, earlier
        ],
        COMPANIES,
    )
    assert [(graph.consignee[i], graph.shipment_id[i]) for i in range(len(graph))] == [
        ("A", "S1"),
        ("B", "S5"),
        ("B", "S3"),
        ("B", "S2"),
        ("B", "S9"),
    ]


def test_origin_is_the_shipments_else_its_shippers_registry_country() -> None:
    graph = Graph.build(
        [
            ship("S1", "A", "B", "850760"),  # CN from the registry
            ship("S2", "A", "B", "850760", origin="MY"),  # given on the shipment
            ship("S3", "C", "B", "850760"),  # registry entry without a country
            ship("S4", "X", "B", "850760"),  # X is not in the registry
        ],
        COMPANIES,
    )
    by_id = {graph.shipment_id[i]: graph.origin[i] for i in range(len(graph))}
    assert by_id == {"S1": "CN", "S2": "MY", "S3": None, "S4": None}
    assert graph.company_name("X") is None and graph.company_country("A") == "CN"
    assert graph.company_name("A") == "Alpha" and "X" not in graph.companies


def test_from_columns_builds_the_graph_that_build_builds() -> None:
    shipments = [
        ship("S3", "A", "B", "8507600010", DAY, "KR"),
        ship("S1", "B", "A", "850790", DAY - dt.timedelta(days=9)),
        ship("S2", "C", "B", "282520", DAY + dt.timedelta(days=1)),
    ]
    built = Graph.build(shipments, COMPANIES)
    codes = ["850790", "282520", "8507600010"]
    ids = ["A", "B", "C"]
    columns = Graph.from_columns(
        company_ids=ids,
        company_names=["Alpha", "Beta", "Gamma"],
        company_countries=["CN", "VN", None],
        shipment_id=np.array([b"S3", b"S1", b"S2"]),
        shipper=[0, 1, 2],
        consignee=[1, 0, 1],
        hs_codes=codes,
        hs_code=[2, 0, 1],
        day=[s.date.toordinal() for s in shipments],
        value_usd=[10.0, 10.0, 10.0],
        countries=["KR"],
        origin=[0, -1, -1],
    )
    assert rows(columns) == rows(built)
    assert list(columns.inbound("B", ("85",))) == list(built.inbound("B", ("85",)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shipper": [0, 5]}, "row 1: shipper 5 is outside the table of 2"),
        ({"hs_code": [0, -1]}, "row 1: hs_code -1 is outside the table of 1"),
        ({"day": [1]}, "day: 1 rows, shipment_id has 2"),
        ({"origin": [0, 3]}, "row 1: origin 3 is outside the country table"),
    ],
)
def test_from_columns_refuses_columns_that_do_not_fit_naming_the_row_and_field(
    change: dict[str, list[int]], message: str
) -> None:
    arguments: dict[str, object] = {
        "company_ids": ["A", "B"],
        "company_names": ["Alpha", "Beta"],
        "company_countries": ["CN", "VN"],
        "shipment_id": ["S1", "S2"],
        "shipper": [0, 1],
        "consignee": [1, 0],
        "hs_codes": ["850760"],
        "hs_code": [0, 0],
        "day": [738000, 738001],
        "value_usd": [1.0, 2.0],
        "countries": ["CN"],
        "origin": [-1, 0],
        **change,
    }
    with pytest.raises(ValueError, match=message):
        Graph.from_columns(**arguments)  # type: ignore[arg-type]


def test_an_empty_graph_answers_every_question() -> None:
    for graph in (Graph(), Graph.build([], COMPANIES)):
        assert len(graph) == 0
        assert list(graph.inbound("A", None)) == []
        assert list(graph.hs_code) == []
    assert Graph.build([], COMPANIES).company_name("B") == "Beta"


CODES = ("850760", "8507600010", "850790", "85079040", "8507904000", "7318", "731815", "940360")
PREFIXES = ("85", "8507", "850790", "85079040", "8507600010", "7318", "73", "94036000", "731815")


@settings(max_examples=200, deadline=None)
@given(
    shipments=st.lists(
        st.tuples(
            st.sampled_from("ABCX"),
            st.sampled_from("ABCX"),
            st.sampled_from(CODES),
            st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 1, 5)),
        ),
        max_size=40,
    ),
    consignee=st.sampled_from("ABCXZ"),
    prefixes=st.one_of(st.none(), st.lists(st.sampled_from(PREFIXES), max_size=3).map(tuple)),
)
def test_inbound_is_every_received_shipment_under_a_prefix_in_row_order(
    shipments: list[tuple[str, str, str, dt.date]], consignee: str, prefixes: tuple[str, ...] | None
) -> None:
    graph = Graph.build(
        [ship(f"S{n:03d}", a, b, code, day) for n, (a, b, code, day) in enumerate(shipments)], COMPANIES
    )
    expected = [
        i
        for i in range(len(graph))
        if graph.consignee[i] == consignee and (prefixes is None or graph.hs_code[i].startswith(prefixes))
    ]
    assert list(graph.inbound(consignee, prefixes)) == expected
    # Rows are in (consignee, hs6, date, id) order, and each (shipper, hs6) has one state id.
    keys = [
        (graph.consignee[i], graph.hs_code[i][:6], graph.day[i], graph.shipment_id[i])
        for i in range(len(graph))
    ]
    assert keys == sorted(keys)
    a = graph.arrays
    for i in range(len(graph)):
        state = int(a.state[i])
        assert a.company_ids[int(a.state_company[state])] == graph.shipper[i]
        assert a.hs6_codes[int(a.state_hs6[state])] == graph.hs_code[i][:6]
        assert a.state_of(int(a.shipper[i]), int(a.hs6[i])) == state


def test_columns_read_like_sequences() -> None:
    graph = Graph.build([ship("S1", "A", "B", "850760"), ship("S2", "B", "A", "850790")], COMPANIES)
    assert graph.hs_code[0:2] == [graph.hs_code[0], graph.hs_code[1]]
    assert graph.shipment_id[:] == ["S2", "S1"]  # consignee A first
    assert list(graph.shipper) == ["B", "A"]
    assert isinstance(graph.value_usd[0], float) and isinstance(graph.day[0], int)
