"""The in-memory snapshot of the shipment network that tracing walks.

Built once per network version from storage (or from plain values in tests, or from columns) and then
only read, so one snapshot can serve many screenings and threads. Shipments are held column-wise in
numpy arrays, companies, HS codes and countries as small integer codes into sorted tables, and the
rows are ordered by (consignee, hs6, date, shipment id): the shipments a company received form one
contiguous run of rows, cut into one group per hs6. Tracing asks "which shipments did company C
receive whose code starts with one of these prefixes", and that question touches only C's few
groups, never the whole network.

Two faces over the same arrays:

* the row-at-a-time one (`graph.shipper[i]`, `graph.hs_code[i]`, `inbound(...)`, ...) that returns
  plain Python values, for callers that walk the network shipment by shipment;
* `graph.arrays` (`GraphArrays`), the integer-coded columns and the consignee and (company, hs6)
  state indexes, for vectorised callers such as `screening.trace`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast, overload

import numpy as np
import numpy.typing as npt

from screening.model import Company, Shipment

IntArray = npt.NDArray[np.int32]
LongArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_T = TypeVar("_T")
_V = TypeVar("_V", str, str | None)


@dataclass(frozen=True, slots=True)
class CompanyInfo:
    name: str
    country: str | None


class _Coded(Sequence[_V]):
    """A read-only column of small integer codes shown through a table (`table[codes[i]]`)."""

    __slots__ = ("_codes", "_table")

    def __init__(self, codes: npt.NDArray[Any], table: list[_V]) -> None:
        self._codes = np.ascontiguousarray(codes).data  # indexing a memoryview gives Python ints
        self._table: list[_V] = table

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, index: int) -> _V: ...
    @overload
    def __getitem__(self, index: slice) -> list[_V]: ...
    def __getitem__(self, index: int | slice) -> _V | list[_V]:
        if isinstance(index, slice):
            return [self._table[code] for code in self._codes[index]]
        return self._table[self._codes[index]]

    def __iter__(self) -> Iterator[_V]:
        return map(self._table.__getitem__, self._codes)


class _Text(Sequence[str]):
    """A read-only column of UTF-8 byte strings (a numpy `S` array) shown as `str`."""

    __slots__ = ("_data",)

    def __init__(self, data: npt.NDArray[np.bytes_]) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [item.decode() for item in self._data[index].tolist()]
        return cast(bytes, self._data[index]).decode()

    def __iter__(self) -> Iterator[str]:
        return (item.decode() for item in self._data.tolist())


@dataclass(frozen=True, slots=True, eq=False)
class GraphArrays:
    """The integer-coded columns and indexes of a `Graph`, rows in (consignee, hs6, date, id) order.

    Companies are coded by position in `company_ids`, HS codes by position in the sorted `hs_codes`,
    their first six digits by position in the sorted `hs6_codes`, origins by position in `origins`
    (position 0 is None: neither the shipment nor its shipper's registry entry gives a country).
    A state (company, hs6) that some shipment opens -- its (shipper, hs6) -- has a dense id; states
    are numbered in (company, hs6) order.
    """

    company_ids: list[str]
    company_index: dict[str, int]
    hs_codes: list[str]  # sorted
    hs_index: dict[str, int]
    hs6_codes: list[str]  # sorted
    hs6_index: dict[str, int]
    hs6_of_code: IntArray  # hs code -> hs6 code
    origins: list[str | None]  # origins[0] is None
    shipper: IntArray
    consignee: IntArray
    hs: IntArray
    hs6: IntArray
    day: IntArray  # proleptic ordinal
    value: FloatArray
    origin: IntArray  # resolved: the shipment's origin, else its shipper's registry country
    shipment_id: npt.NDArray[np.bytes_]
    row_ptr: LongArray  # consignee c received rows row_ptr[c] .. row_ptr[c + 1]
    group_ptr: LongArray  # consignee c has groups group_ptr[c] .. group_ptr[c + 1]
    group_hs6: IntArray  # hs6 code of each group
    group_start: LongArray  # group g is rows group_start[g] .. group_start[g + 1]
    state: IntArray  # state id of (shipper, hs6) of each row
    state_company: IntArray
    state_hs6: IntArray
    state_key: LongArray  # company * len(hs6_codes) + hs6, sorted (the numbering)

    def __len__(self) -> int:
        return len(self.shipper)

    @property
    def n_states(self) -> int:
        return len(self.state_key)

    def state_of(self, company: int, hs6: int) -> int | None:
        """The id of state (company, hs6), None when no shipment opens it."""
        key = company * len(self.hs6_codes) + hs6
        at = int(np.searchsorted(self.state_key, key))
        return at if at < len(self.state_key) and int(self.state_key[at]) == key else None


class Graph:
    """Column-wise shipments plus a consignee -> hs6 -> rows index (rows ordered by date, then id).

    Build it with `Graph.build` (model objects) or `Graph.from_columns` (integer-coded columns).
    """

    def __init__(self, version: str = "") -> None:
        none = np.zeros(0, np.int64)
        self._install(
            version, {}, _index([], [], [None], none, none, none, none, none.astype(float), none, None)
        )

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def build(
        cls, shipments: Iterable[Shipment], companies: Iterable[Company], *, version: str = ""
    ) -> Graph:
        """A graph of model objects; shipments may name companies outside `companies` (no name then)."""
        info: dict[str, CompanyInfo] = {}
        for company in companies:
            info[company.company_id] = CompanyInfo(company.name, company.country)
        ids = list(info)
        index = {company_id: i for i, company_id in enumerate(ids)}
        hs_index: dict[str, int] = {}
        countries: dict[str, int] = {}
        sid: list[bytes] = []
        shipper: list[int] = []
        consignee: list[int] = []
        hs: list[int] = []
        day: list[int] = []
        value: list[float] = []
        origin: list[int] = []
        for s in shipments:
            sid.append(s.shipment_id.encode())
            for company_id, column in ((s.shipper_id, shipper), (s.consignee_id, consignee)):
                code = index.get(company_id)
                if code is None:
                    code = index[company_id] = len(ids)
                    ids.append(company_id)
                column.append(code)
            hs.append(hs_index.setdefault(s.hs_code, len(hs_index)))
            day.append(s.date.toordinal())
            value.append(s.value_usd)
            origin.append(
                -1 if s.origin_country is None else countries.setdefault(s.origin_country, len(countries))
            )
        graph = cls.__new__(cls)
        graph._install_columns(
            version=version,
            info=info,
            company_ids=ids,
            shipment_id=np.array(sid, dtype=bytes) if sid else np.zeros(0, "S1"),
            shipper=np.array(shipper, np.int64),
            consignee=np.array(consignee, np.int64),
            hs_codes=list(hs_index),
            hs_code=np.array(hs, np.int64),
            day=np.array(day, np.int64),
            value_usd=np.array(value, np.float64),
            countries=list(countries),
            origin=np.array(origin, np.int64),
        )
        return graph

    @classmethod
    def from_columns(
        cls,
        *,
        company_ids: Sequence[str],
        company_names: Sequence[str],
        company_countries: Sequence[str | None],
        shipment_id: npt.NDArray[Any] | Sequence[str],
        shipper: npt.ArrayLike,
        consignee: npt.ArrayLike,
        hs_codes: Sequence[str],
        hs_code: npt.ArrayLike,
        day: npt.ArrayLike,
        value_usd: npt.ArrayLike,
        countries: Sequence[str] = (),
        origin: npt.ArrayLike | None = None,
        version: str = "",
    ) -> Graph:
        """A graph of integer-coded columns, one entry per shipment, without any per-row Python object.

        `shipper` and `consignee` are positions in `company_ids` (every company is a registry company,
        with a name and a country); `hs_code` positions in the table `hs_codes`; `day` proleptic
        ordinals (`date.toordinal()`); `origin` positions in `countries`, -1 where the shipment gives
        no origin (the shipper's country is then used). `shipment_id` is a sequence of str or a numpy
        array of `S` (UTF-8) or `U` strings.
        """
        if not len(company_ids) == len(company_names) == len(company_countries):
            raise ValueError("company_ids, company_names and company_countries differ in length")
        info = {
            company_id: CompanyInfo(name, country)
            for company_id, name, country in zip(company_ids, company_names, company_countries, strict=True)
        }
        if len(info) != len(company_ids):
            raise ValueError("company_ids holds the same id twice")
        ids = np.asarray(shipment_id)
        if ids.dtype.kind == "U" or ids.dtype == object:
            ids = np.array([str(item).encode() for item in ids.tolist()], dtype=bytes)
        if ids.dtype.kind != "S":
            raise ValueError(f"shipment_id: expected strings, got dtype {ids.dtype}")
        n = len(ids)
        columns: dict[str, npt.NDArray[Any]] = {
            "shipper": np.asarray(shipper, np.int64),
            "consignee": np.asarray(consignee, np.int64),
            "hs_code": np.asarray(hs_code, np.int64),
            "day": np.asarray(day, np.int64),
            "value_usd": np.asarray(value_usd, np.float64),
            "origin": np.full(n, -1, np.int64) if origin is None else np.asarray(origin, np.int64),
        }
        for name, column in columns.items():
            if column.shape != (n,):
                raise ValueError(f"{name}: {column.shape[0] if column.ndim else 0} rows, shipment_id has {n}")
        bounds = {"shipper": len(company_ids), "consignee": len(company_ids), "hs_code": len(hs_codes)}
        for name, bound in bounds.items():
            column = columns[name]
            if n and (int(column.min()) < 0 or int(column.max()) >= bound):
                row = int(np.flatnonzero((column < 0) | (column >= bound))[0])
                raise ValueError(f"row {row}: {name} {int(column[row])} is outside the table of {bound}")
        if n and (int(columns["origin"].min()) < -1 or int(columns["origin"].max()) >= len(countries)):
            row = int(np.flatnonzero((columns["origin"] < -1) | (columns["origin"] >= len(countries)))[0])
            raise ValueError(f"row {row}: origin {int(columns['origin'][row])} is outside the country table")
        graph = cls.__new__(cls)
        graph._install_columns(
            version=version,
            info=info,
            company_ids=list(company_ids),
            shipment_id=ids,
            shipper=columns["shipper"],
            consignee=columns["consignee"],
            hs_codes=list(hs_codes),
            hs_code=columns["hs_code"],
            day=columns["day"],
            value_usd=columns["value_usd"],
            countries=list(countries),
            origin=columns["origin"],
        )
        return graph

    def _install_columns(
        self,
        *,
        version: str,
        info: dict[str, CompanyInfo],
        company_ids: list[str],
        shipment_id: npt.NDArray[np.bytes_],
        shipper: LongArray,
        consignee: LongArray,
        hs_codes: list[str],
        hs_code: LongArray,
        day: LongArray,
        value_usd: FloatArray,
        countries: list[str],
        origin: LongArray,
    ) -> None:
        # HS codes: a sorted table without duplicates, so that code order is string order.
        table = sorted(set(hs_codes))
        hs_index = {code: i for i, code in enumerate(table)}
        recode = np.array([hs_index[code] for code in hs_codes], np.int64)
        hs = recode[hs_code] if len(hs_code) else hs_code

        # Origins: the shipment's, else its shipper's registry country; position 0 is None.
        origins: list[str | None] = [None]
        origin_index: dict[str, int] = {}
        for country in [*countries, *(i.country for i in info.values() if i.country is not None)]:
            if country not in origin_index:
                origin_index[country] = len(origins)
                origins.append(country)
        given = np.array([origin_index[c] for c in countries], np.int64)
        company_origin = np.zeros(len(company_ids), np.int64)
        for code, company_id in enumerate(company_ids):
            known = info.get(company_id)
            if known is not None and known.country is not None:
                company_origin[code] = origin_index[known.country]
        resolved = np.where(origin >= 0, given[np.maximum(origin, 0)] if len(given) else 0, 0)
        if len(shipper):
            resolved = np.where(origin >= 0, resolved, company_origin[shipper])

        arrays = _index(
            company_ids, table, origins, shipper, consignee, hs, day, value_usd, resolved, shipment_id
        )
        self._install(version, info, arrays)

    def _install(self, version: str, info: dict[str, CompanyInfo], arrays: GraphArrays) -> None:
        self.version = version
        self.companies: dict[str, CompanyInfo] = info
        self.arrays = arrays
        self.shipment_id: Sequence[str] = _Text(arrays.shipment_id)
        self.shipper: Sequence[str] = _Coded(arrays.shipper, arrays.company_ids)
        self.consignee: Sequence[str] = _Coded(arrays.consignee, arrays.company_ids)
        self.hs_code: Sequence[str] = _Coded(arrays.hs, arrays.hs_codes)
        self.value_usd = cast(Sequence[float], arrays.value.data)
        self.day = cast(Sequence[int], arrays.day.data)  # date as proleptic ordinal
        self.origin: Sequence[str | None] = _Coded(arrays.origin, arrays.origins)
        self._derived: dict[object, object] = {}
        self._lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.arrays.shipper)

    def inbound(self, consignee: str, prefixes: tuple[str, ...] | None) -> Iterator[int]:
        """Indices of shipments received by `consignee` whose HS code starts with one of `prefixes`.

        `prefixes=None` is the wildcard: every shipment the company received. Each index is
        yielded once, in (hs6 group, date, id) order, so tracing is deterministic.
        """
        a = self.arrays
        company = a.company_index.get(consignee)
        if company is None:
            return
        g0, g1 = int(a.group_ptr[company]), int(a.group_ptr[company + 1])
        if g0 == g1:
            return
        starts = a.group_start[g0 : g1 + 1].tolist()
        if prefixes is None:
            yield from range(starts[0], starts[-1])
            return
        short = tuple(p for p in prefixes if len(p) <= 6)
        long = tuple(p for p in prefixes if len(p) > 6)
        for j, key_code in enumerate(a.group_hs6[g0:g1].tolist()):
            key = a.hs6_codes[key_code]
            if key.startswith(short):
                yield from range(starts[j], starts[j + 1])
            elif long and any(p.startswith(key) for p in long):
                # A national line longer than six digits: only some shipments of this group qualify.
                codes, hs = a.hs_codes, a.hs
                yield from (i for i in range(starts[j], starts[j + 1]) if codes[hs[i]].startswith(long))

    def company_name(self, company_id: str) -> str | None:
        info = self.companies.get(company_id)
        return info.name if info else None

    def company_country(self, company_id: str) -> str | None:
        info = self.companies.get(company_id)
        return info.country if info else None

    def date_of(self, index: int) -> dt.date:
        return dt.date.fromordinal(self.day[index])

    def derived(self, key: object, make: Callable[[], _T]) -> _T:
        """A structure derived from this snapshot, made once per key (for indexes built on demand)."""
        found = self._derived.get(key)
        if found is None:
            with self._lock:
                found = self._derived.get(key)
                if found is None:
                    found = self._derived[key] = make()
        return cast(_T, found)


def _index(
    company_ids: list[str],
    hs_codes: list[str],
    origins: list[str | None],
    shipper: npt.NDArray[Any],
    consignee: npt.NDArray[Any],
    hs: npt.NDArray[Any],
    day: npt.NDArray[Any],
    value: npt.NDArray[Any],
    origin: npt.NDArray[Any],
    shipment_id: npt.NDArray[np.bytes_] | None,
) -> GraphArrays:
    """Order the rows and build the consignee, group and state indexes (`hs_codes` must be sorted)."""
    n = len(shipper)
    n_companies = len(company_ids)
    shipment_id = np.zeros(n, "S1") if shipment_id is None else shipment_id

    hs6_codes = sorted({code[:6] for code in hs_codes})
    hs6_index = {code: i for i, code in enumerate(hs6_codes)}
    hs6_of_code = np.array([hs6_index[code[:6]] for code in hs_codes], np.int32)
    hs6 = hs6_of_code[hs] if n else np.zeros(0, np.int32)
    n_hs6 = max(1, len(hs6_codes))

    order = _row_order(consignee, hs6, day, shipment_id, n_companies, n_hs6)
    shipper = shipper[order].astype(np.int32)
    consignee = consignee[order].astype(np.int32)
    hs = hs[order].astype(np.int32)
    hs6 = hs6[order].astype(np.int32)
    day = day[order].astype(np.int32)
    value = np.ascontiguousarray(value[order], np.float64)
    origin = origin[order].astype(np.int32)
    shipment_id = shipment_id[order]

    row_ptr = np.zeros(n_companies + 1, np.int64)
    np.cumsum(np.bincount(consignee, minlength=n_companies), out=row_ptr[1:])
    if n:
        new_group = np.ones(n, bool)
        new_group[1:] = (consignee[1:] != consignee[:-1]) | (hs6[1:] != hs6[:-1])
        starts = np.flatnonzero(new_group)
    else:
        starts = np.zeros(0, np.int64)
    group_start = np.append(starts, n).astype(np.int64)
    group_hs6 = hs6[starts].astype(np.int32)
    group_ptr = np.zeros(n_companies + 1, np.int64)
    np.cumsum(np.bincount(consignee[starts], minlength=n_companies), out=group_ptr[1:])

    keys = shipper.astype(np.int64) * n_hs6 + hs6
    state_key, state = np.unique(keys, return_inverse=True)
    return GraphArrays(
        company_ids=company_ids,
        company_index={company_id: i for i, company_id in enumerate(company_ids)},
        hs_codes=hs_codes,
        hs_index={code: i for i, code in enumerate(hs_codes)},
        hs6_codes=hs6_codes,
        hs6_index=hs6_index,
        hs6_of_code=hs6_of_code,
        origins=origins,
        shipper=shipper,
        consignee=consignee,
        hs=hs,
        hs6=hs6,
        day=day,
        value=value,
        origin=origin,
        shipment_id=shipment_id,
        row_ptr=row_ptr,
        group_ptr=group_ptr,
        group_hs6=group_hs6,
        group_start=group_start,
        state=state.astype(np.int32).reshape(-1),
        state_company=(state_key // n_hs6).astype(np.int32),
        state_hs6=(state_key % n_hs6).astype(np.int32),
        state_key=state_key.astype(np.int64),
    )


def _row_order(
    consignee: npt.NDArray[Any],
    hs6: npt.NDArray[Any],
    day: npt.NDArray[Any],
    shipment_id: npt.NDArray[np.bytes_],
    n_companies: int,
    n_hs6: int,
) -> LongArray:
    """Row order (consignee, hs6, day, shipment id): a stable sort on one packed key after the ids."""
    n = len(consignee)
    if n == 0:
        return np.zeros(0, np.int64)
    by_id = (
        np.arange(n)
        if bool(np.all(shipment_id[1:] >= shipment_id[:-1]))
        else np.argsort(shipment_id, kind="stable")
    )
    low = int(day.min())
    span = int(day.max()) - low + 1
    if n_companies * n_hs6 * span < 2**62:
        key = (consignee[by_id].astype(np.int64) * n_hs6 + hs6[by_id]) * span + (day[by_id] - low)
        return by_id[np.argsort(key, kind="stable")]
    return by_id[np.lexsort((day[by_id], hs6[by_id], consignee[by_id]))]


def prefix_range(table: list[str], prefix: str) -> tuple[int, int]:
    """The positions lo..hi of the entries of a sorted table that start with `prefix`."""
    lo = bisect.bisect_left(table, prefix)
    hi = bisect.bisect_left(table, prefix + "\U0010ffff", lo)
    return lo, hi
