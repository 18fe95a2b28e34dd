"""The in-memory snapshot of the shipment network that tracing walks.

Built once per network version from storage (or from plain values in tests) and then only read,
so one snapshot can serve many screenings and threads. Shipments are held column-wise and
indexed by consignee, then by the first six digits of their HS code: tracing asks "which
shipments did company C receive whose code starts with one of these prefixes", and that
question touches only C's few HS groups, never the whole network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from screening.model import Company, Shipment


@dataclass(frozen=True, slots=True)
class CompanyInfo:
    name: str
    country: str | None


@dataclass(slots=True)
class Graph:
    """Column-wise shipments plus a consignee -> hs6 -> [shipment index] index (ordered by date, id)."""

    version: str = ""
    companies: dict[str, CompanyInfo] = field(default_factory=dict)
    shipment_id: list[str] = field(default_factory=list)
    shipper: list[str] = field(default_factory=list)
    consignee: list[str] = field(default_factory=list)
    hs_code: list[str] = field(default_factory=list)
    value_usd: list[float] = field(default_factory=list)
    day: list[int] = field(default_factory=list)  # date as proleptic ordinal, for cheap window tests
    origin: list[str | None] = field(default_factory=list)
    _inbound: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, shipments: Iterable[Shipment], companies: Iterable[Company], *, version: str = ""
    ) -> Graph:
        graph = cls(version=version)
        for company in companies:
            graph.companies[company.company_id] = CompanyInfo(company.name, company.country)
        rows = sorted(shipments, key=lambda s: (s.consignee_id, s.date, s.shipment_id))
        for s in rows:
            index = len(graph.shipment_id)
            graph.shipment_id.append(s.shipment_id)
            graph.shipper.append(s.shipper_id)
            graph.consignee.append(s.consignee_id)
            graph.hs_code.append(s.hs_code)
            graph.value_usd.append(s.value_usd)
            graph.day.append(s.date.toordinal())
            origin = s.origin_country
            if origin is None:
                shipper = graph.companies.get(s.shipper_id)
                origin = shipper.country if shipper else None
            graph.origin.append(origin)
            graph._inbound.setdefault(s.consignee_id, {}).setdefault(s.hs_code[:6], []).append(index)
        return graph

    def __len__(self) -> int:
        return len(self.shipment_id)

    def inbound(self, consignee: str, prefixes: tuple[str, ...] | None) -> Iterator[int]:
        """Indices of shipments received by `consignee` whose HS code starts with one of `prefixes`.

        `prefixes=None` is the wildcard: every shipment the company received. Each index is
        yielded once, in (hs6 group, date, id) order, so tracing is deterministic.
        """
        groups = self._inbound.get(consignee)
        if not groups:
            return
        if prefixes is None:
            for key in sorted(groups):
                yield from groups[key]
            return
        short = tuple(p for p in prefixes if len(p) <= 6)
        long = tuple(p for p in prefixes if len(p) > 6)
        for key in sorted(groups):
            if key.startswith(short):
                yield from groups[key]
            elif long and any(p.startswith(key) for p in long):
                # A national line longer than six digits: only some shipments of this group qualify.
                yield from (i for i in groups[key] if self.hs_code[i].startswith(long))

    def company_name(self, company_id: str) -> str | None:
        info = self.companies.get(company_id)
        return info.name if info else None

    def company_country(self, company_id: str) -> str | None:
        info = self.companies.get(company_id)
        return info.country if info else None

    def date_of(self, index: int) -> dt.date:
        return dt.date.fromordinal(self.day[index])
