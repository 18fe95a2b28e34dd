"""Breadth-first tracing of one supplier line up the shipment network (CONTRACT.md section 4).

Normative semantics, restated as the invariants this module keeps:

* A state is (company, hs6). A matched line starts one tier-1 state (supplier, hs6 of the line);
  a line without HS code starts a wildcard state whose input set is every code.
* From each state (C, h) at tier k < max_tier, every shipment in the window whose consignee is C
  and whose HS code starts with a prefix of I(h) is counted at tier k+1 -- unless it was already
  counted for this line -- and opens the state (shipper, hs6) at tier k+1 unless that state was
  already reached. Depth-bounded, breadth-first, each state opened once, each shipment counted once.
* Upstream value is summed by (tier, origin) over counted shipments; tier 1 is the line itself.
* Rules are evaluated on tier 1 and on every counted shipment; per rule at most one flag: the
  lowest tier hit, the summed value and number of hits, and the evidence path of the first hit
  found at that lowest tier.

The walk takes its input map and rules through two small protocols so that it can be tested on
hand-built networks without any rule files.

How it is made fast. The walk is the same breadth-first search, one tier at a time, but each tier is
a few dozen array operations over the graph's integer-coded columns (`Graph.arrays`) instead of a
Python step per shipment:

* The rows a state (C, h) counts from -- C's shipments in the window whose code is in I(h), in
  inbound order -- depend on the state, the input map and the window only, not on the line. On the
  first line of an (input map, window) they are worked out for every state at once, as one array
  cut per state, together with each row's origin, value and rule-table key, and with the distinct
  states each state's rows open (the first row of each): lines share most upstream states.
* A tier gathers its frontier states' rows and sums value by origin with `bincount`. The states it
  opens come from the per-state lists of opened states, first occurrence first: the order of rows,
  of opened states and of evidence paths is the order of the row-at-a-time walk.
* A row can only have been counted earlier in the line if its consignee was met before (or twice in
  one tier); only then are rows checked against a per-line mark array and states opened row by row.
* Goods rules are pure functions of (origin, HS code, tier): their answers are asked once per
  distinct (origin, code, tier) and kept as a "pattern" (the set of rules met) in a table indexed by
  (origin, code). A rule's hits are the rows of a few patterns; restricted-party rules also need a
  listed shipper, found from the few states of listed companies.
* Sums add the same values in the same order as the row-at-a-time walk (`bincount` and `cumsum` add
  one by one), so values are identical to the last bit, not merely close.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from screening.model import PathStep, UpstreamCell
from screening.network.graph import Graph, prefix_range

WILDCARD = "*"
UNKNOWN_ORIGIN = "unknown"

_IntArray = npt.NDArray[np.signedinteger[Any]]
_BoolArray = npt.NDArray[np.bool_]
_FloatArray = npt.NDArray[np.float64]
_Positions = Callable[[npt.NDArray[np.intp]], npt.NDArray[np.intp]]
_EMPTY: _IntArray = np.zeros(0, np.int32)
_FAR = np.iinfo(np.int32).max


class InputMap(Protocol):
    def input_set(self, hs6: str) -> tuple[str, ...]:
        """Every HS prefix that is an input to hs6, plus hs6 itself (pass-through)."""
        ...


class TracedRule(Protocol):
    """What tracing needs of a rule: an id, and whether goods at a tier meet its conditions.

    `matches_goods` must be a pure function of its arguments: tracing asks it once per distinct
    (origin, HS code, tier) of the network and remembers the answer.
    """

    @property
    def id(self) -> str: ...

    def matches_goods(self, origin: str | None, hs_code: str | None, tier: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Window:
    """Shipments with since <= date <= as_of are in the window (both ends inclusive)."""

    since: dt.date
    as_of: dt.date

    @classmethod
    def default(cls, as_of: dt.date, since: dt.date | None = None) -> Window:
        if since is None:
            try:
                since = as_of.replace(year=as_of.year - 5)
            except ValueError:  # 29 February
                since = as_of.replace(year=as_of.year - 5, day=28)
        return cls(since=since, as_of=as_of)


@dataclass(slots=True)
class RuleHits:
    """Accumulates one rule's hits on one line; becomes one flag."""

    rule_id: str
    tier: int
    value_usd: float = 0.0
    hits: int = 0
    path: tuple[PathStep, ...] = ()
    by_tier: dict[int, float] = field(default_factory=dict)  # value of the hits at each tier

    def add(self, tier: int, value: float, path: Callable[[], tuple[PathStep, ...]]) -> None:
        if tier < self.tier or not self.path:
            self.tier = tier
            self.path = path()
        self.value_usd += value
        self.hits += 1
        self.by_tier[tier] = self.by_tier.get(tier, 0.0) + value


class CountedShipments(Mapping[int, int]):
    """Shipment index -> tier of every shipment counted for a line, in the order they were counted.

    Kept as the walk's arrays (each tier's rows, made when first asked for); the dictionary is made
    only when a caller looks a shipment up.
    """

    __slots__ = ("_lookup", "_parts")

    def __init__(self, parts: Sequence[tuple[Callable[[], _IntArray], int]] = ()) -> None:
        self._parts = tuple(parts)
        self._lookup: dict[int, int] | None = None

    def _map(self) -> dict[int, int]:
        if self._lookup is None:
            self._lookup = {i: tier for rows, tier in self._parts for i in rows().tolist()}
        return self._lookup

    def __getitem__(self, index: int) -> int:
        return self._map()[index]

    def __contains__(self, index: object) -> bool:
        return index in self._map()

    def __iter__(self) -> Iterator[int]:
        for rows, _tier in self._parts:
            yield from rows().tolist()

    def __len__(self) -> int:
        return sum(len(rows()) for rows, _tier in self._parts)

    def indices(self) -> npt.NDArray[np.int64]:
        """The counted shipment indices as one array, in counting order."""
        if not self._parts:
            return np.zeros(0, np.int64)
        return np.concatenate([rows() for rows, _tier in self._parts]).astype(np.int64)


@dataclass(slots=True)
class TraceResult:
    upstream: tuple[UpstreamCell, ...]
    hits: dict[str, RuleHits]
    counted: Mapping[int, int] = field(default_factory=dict)  # shipment index -> tier
    states: int = 0


def trace_line(
    graph: Graph,
    *,
    company_id: str,
    hs_code: str | None,
    line_value: float | None,
    line_origin: str | None,
    inputs: InputMap,
    window: Window,
    max_tier: int = 4,
    rules: Sequence[TracedRule] = (),
    party_members: Mapping[str, frozenset[str]] | None = None,
) -> TraceResult:
    """Trace one matched line from its tier-1 supplier up to `max_tier`.

    `party_members` maps a restricted-party rule id to the network companies that the party list
    matched; such a rule hits the tier-1 company and every shipper of a counted shipment in it.
    Rules absent from `party_members` are goods rules, evaluated on origin, HS code and tier.
    """
    parties = party_members or {}
    goods_rules = [r for r in rules if r.id not in parties]
    party_rules = [r for r in rules if r.id in parties]
    engine = graph.derived(_Engine, lambda: _Engine(graph))
    a = engine.arrays
    hs6 = hs_code[:6] if hs_code else WILDCARD
    plan = engine.plan(goods_rules, party_rules, parties) if rules else None

    hits: dict[str, RuleHits] = {}
    value1 = line_value or 0.0
    origin1 = line_origin or UNKNOWN_ORIGIN
    upstream: dict[tuple[int, str], list[float]] = {(1, origin1): [value1, 0]}  # the line, not a shipment
    walk = _Walk(graph, engine, hits, upstream, company_id)

    # Tier 1: the line itself.
    if plan is not None:
        for slot in plan.tier_one(line_origin, hs_code if hs_code else None):
            if slot.listed is None or company_id in slot.listed:
                entry = hits.get(slot.rule_id)
                if entry is None:
                    entry = hits[slot.rule_id] = RuleHits(slot.rule_id, 1)
                entry.add(1, value1, walk.start_path)

    company = a.company_index.get(company_id)
    if company is not None and max_tier > 1:
        context = engine.context(inputs, window)
        code = a.hs6_index.get(hs6)
        start = a.state_of(company, code) if code is not None else None
        if start is not None:
            block = context.block_of_state(start)
        else:
            block = context.block_of(company, None if hs6 == WILDCARD else hs6)
            start = a.n_states  # a slot of its own: no shipment opens this state
        walk.run(context, block, start, company, max_tier, plan)
        walk.finish()

    cells = tuple(
        UpstreamCell(t, o, round(v[0], 2), int(v[1]))
        for (t, o), v in sorted(upstream.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
    )
    return TraceResult(upstream=cells, hits=hits, counted=CountedShipments(walk.counted), states=walk.states)


# --------------------------------------------------------------------------------------------------
# The vectorised walk
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Block:
    """The candidate rows of one state in the window, with what the walk reads of each row.

    `succ` are the distinct states the rows open, in first-occurrence order, and `succ_at` the
    position (in `rows`) of each one's first row.
    """

    rows: _IntArray
    origin: _IntArray
    value: _FloatArray
    key: _IntArray  # origin * len(hs_codes) + HS code: the index of rule tables
    state: _IntArray  # the (shipper, hs6) state each row opens
    succ: _IntArray
    succ_at: _IntArray


@dataclass(slots=True)
class _Rows:
    """One tier's rows, in the walk's order: the concatenated candidate rows of its frontier states."""

    origin: _IntArray
    value: _FloatArray
    key: Callable[[], _IntArray]  # origin * len(hs_codes) + HS code, made on demand
    rows: Callable[[], _IntArray]  # graph row of each, made on demand
    states: Callable[[], _IntArray]  # state each opens, made on demand
    owner: Callable[[npt.NDArray[np.intp]], npt.NDArray[np.intp]]  # frontier position of rows
    row: Callable[[int], int]  # graph row at a position
    listed: Callable[[_Plan], npt.NDArray[np.intp]]  # positions whose shipper a party list names
    states_at: Callable[[npt.NDArray[np.intp]], _IntArray]  # state opened by the rows at positions
    origin_counts: Callable[[], npt.NDArray[np.intp]] | None = None  # rows per origin, when known


class _Walk:
    """One line's breadth-first walk from tier 2 on, over the per-thread scratch arrays."""

    def __init__(
        self,
        graph: Graph,
        engine: _Engine,
        hits: dict[str, RuleHits],
        upstream: dict[tuple[int, str], list[float]],
        company_id: str,
    ) -> None:
        self.graph = graph
        self.engine = engine
        self.a = engine.arrays
        self.hits = hits
        self.upstream = upstream
        self.company_id = company_id
        self.counted: list[tuple[Callable[[], _IntArray], int]] = []
        self.states = 1
        self.start = -1
        self._paths: dict[int, tuple[PathStep, ...]] = {}
        self._values: dict[str, list[_FloatArray]] = {}  # per flag, the values of its hits per tier

    def run(
        self, context: _Context, block: _Block, start: int, company: int, max_tier: int, plan: _Plan | None
    ) -> None:
        a = self.a
        s = self.engine.scratch()
        self.start = start
        s.reached[start] = True
        s.parent[start] = -1
        opened: list[_IntArray] = []
        seen: list[_IntArray] = [np.array([company], np.int32)]
        s.company_seen[company] = True
        marked: list[_IntArray] = []  # rows set in s.counted, once some company is met twice
        frontier = np.array([start], np.int32)
        try:
            for tier in range(1, max_tier):
                k = tier + 1
                if tier == 1:
                    rows, slow = _block_rows(block), False
                    succ, succ_owner = block.succ, None
                    succ_row = _block_succ_rows(block)
                else:
                    companies = a.state_company[frontier]
                    slow = bool(s.company_seen[companies].any()) or _repeats(companies, s.company_mark)
                    s.company_seen[companies] = True
                    seen.append(companies)
                    rows, succ, succ_owner, succ_row = context.tier_rows(frontier)
                if not len(rows.origin):
                    break
                if slow or marked:
                    # A company met again: drop its rows counted at an earlier tier (or twice in this one).
                    if not marked:
                        for part, _k in self.counted:
                            done = part()
                            s.counted[done] = True
                            marked.append(done)
                    rows = _unmarked(rows, s.counted, s.row_first())
                    if not len(rows.origin):
                        break
                    ids = rows.rows()
                    s.counted[ids] = True
                    marked.append(ids)
                self.counted.append((rows.rows, k))
                self._sum(rows, k)
                if plan is not None:
                    self._rules(plan, rows, frontier, k)

                # States the tier opens: its rows' (shipper, hs6) not reached yet, each by its first row.
                if slow or marked:
                    candidates = rows.states()
                    firsts = np.arange(len(candidates), dtype=np.intp)
                else:
                    candidates = succ
                    firsts = np.arange(len(succ), dtype=np.intp)
                new = np.flatnonzero(~s.reached.take(candidates))
                if not len(new):
                    break
                if k == max_tier:  # the last tier: the states it opens are only counted
                    self.states += _distinct(candidates[new], s.state_first)
                    break
                pos = new[_first_occurrences(candidates[new], s.state_first)]
                following = candidates[pos]
                opened.append(following)
                s.reached[following] = True
                if slow or marked:
                    s.parent[following] = frontier[rows.owner(firsts[pos])]
                    s.via[following] = rows.rows()[pos]
                else:
                    s.parent[following] = frontier[succ_owner(pos)] if succ_owner is not None else start
                    s.via[following] = succ_row(pos)
                s.tier[following] = k
                self.states += len(following)
                frontier = following
        finally:
            for ids in marked:
                s.counted[ids] = False
            for states in opened:
                s.reached[states] = False
            s.reached[start] = False
            for companies in seen:
                s.company_seen[companies] = False

    def _sum(self, rows: _Rows, tier: int) -> None:
        n_origins = len(self.a.origins)
        counts = (
            rows.origin_counts()
            if rows.origin_counts is not None
            else np.bincount(rows.origin, minlength=n_origins)
        )
        sums = np.bincount(rows.origin, weights=rows.value, minlength=n_origins)
        names = self.engine.origin_names
        present = np.flatnonzero(counts)
        upstream = self.upstream
        for code, total, n in zip(
            present.tolist(), sums[present].tolist(), counts[present].tolist(), strict=True
        ):
            upstream[(tier, names[code])] = [total, n]

    def _rules(self, plan: _Plan, rows: _Rows, frontier: _IntArray, tier: int) -> None:
        for first, _order, slot, pos, tier_sum in plan.hits(rows, tier):
            entry = self.hits.get(slot.rule_id)
            if entry is None:
                owner = int(rows.owner(np.array([first]))[0])
                path = (*self.path_to(int(frontier[owner])), self._hop(rows.row(first), tier))
                entry = self.hits[slot.rule_id] = RuleHits(slot.rule_id, tier, path=path)
            values = rows.value.take(pos)
            # The running total adds hits one by one across tiers: its values are kept and added up
            # once, when the walk ends (see `finish`).
            self._values.setdefault(slot.rule_id, []).append(values)
            entry.hits += len(pos)
            start = entry.by_tier.get(tier, 0.0)
            entry.by_tier[tier] = (
                tier_sum if tier_sum is not None and start == 0.0 else _add_up(start, values)
            )

    def finish(self) -> None:
        """Add up each flag's value: its tier-1 value (if any), then every hit in walk order."""
        for rule_id, parts in self._values.items():
            entry = self.hits[rule_id]
            entry.value_usd = _add_up(entry.value_usd, np.concatenate(parts) if len(parts) > 1 else parts[0])

    def start_path(self) -> tuple[PathStep, ...]:
        return (path_step(self.graph, self.company_id, 1, None),)

    def _hop(self, index: int, tier: int) -> PathStep:
        return self.engine.hop(self.graph, index, tier)

    def path_to(self, state: int) -> tuple[PathStep, ...]:
        found = self._paths.get(state)
        if found is None:
            s = self.engine.scratch()
            if state == self.start:
                found = self.start_path()
            else:
                parent = self.path_to(int(s.parent[state]))
                found = (*parent, self._hop(int(s.via[state]), int(s.tier[state])))
            self._paths[state] = found
        return found


def _add_up(start: float, values: _FloatArray | None) -> float:
    """start + values[0] + values[1] + ..., added one by one (as the row-at-a-time walk adds)."""
    assert values is not None
    if start == 0.0:
        return float(np.cumsum(values)[-1]) if len(values) else start
    return float(np.cumsum(np.concatenate(([start], values)))[-1])


def _block_succ_rows(block: _Block) -> Callable[[npt.NDArray[np.intp]], _IntArray]:
    return lambda pos: block.rows.take(block.succ_at.take(pos))


def _origin_counts(
    code: npt.NDArray[np.intp],
    count: npt.NDArray[np.intp],
    lo: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    n_origins: int,
) -> npt.NDArray[np.intp]:
    """Rows per origin of a frontier, from its states' own counts."""
    at = _ranges(lo, lengths)
    return np.bincount(code.take(at), weights=count.take(at), minlength=n_origins).astype(np.intp)


def _block_rows(block: _Block) -> _Rows:
    zero = np.zeros(1, np.intp)
    return _Rows(
        origin=block.origin,
        value=block.value,
        key=lambda: block.key,
        rows=lambda: block.rows,
        states=lambda: block.state,
        owner=lambda pos: zero.repeat(len(pos)),
        row=lambda p: int(block.rows[p]),
        listed=lambda plan: np.flatnonzero(plan.listed_state().take(block.state)),
        states_at=lambda pos: block.state.take(pos),
    )


def _unmarked(rows: _Rows, counted: _BoolArray, mark: _IntArray) -> _Rows:
    """The rows not counted yet, each once (the first time it occurs), in order."""
    ids = rows.rows()
    keep = np.flatnonzero(~counted[ids])
    if len(keep):
        keep = keep[_first_occurrences(ids[keep], mark)]
    kept_ids = ids[keep]
    kept_states = rows.states()[keep]
    kept_keys = rows.key()[keep]
    owner = rows.owner
    return _Rows(
        origin=rows.origin[keep],
        value=rows.value[keep],
        key=lambda: kept_keys,
        rows=lambda: kept_ids,
        states=lambda: kept_states,
        owner=lambda pos: owner(keep[pos]),
        row=lambda p: int(kept_ids[p]),
        listed=lambda plan: np.flatnonzero(plan.listed_state().take(kept_states)),
        states_at=lambda pos: kept_states.take(pos),
    )


def _repeats(values: _IntArray, mark: _IntArray) -> bool:
    """Whether `values` holds some value twice (`mark`: scratch indexed by value, left as found)."""
    return len(values) > 1 and _distinct(values, mark) < len(values)


def _distinct(values: _IntArray, mark: _IntArray) -> int:
    """How many distinct values `values` holds; `mark` is scratch indexed by value, left as found."""
    order = np.arange(len(values), dtype=np.int32)
    mark[values] = order
    count = int(np.count_nonzero(mark[values] == order))
    mark[values] = _FAR
    return count


def _first_occurrences(values: _IntArray, mark: _IntArray) -> npt.NDArray[np.intp]:
    """Positions of the first occurrence of each value, ascending (`mark`: scratch, left as found).

    Assigning positions in reverse leaves the smallest position of each value in `mark` when numpy
    assigns in order, which it does; the result is checked (every position of a value is at least
    the one kept), and `minimum.at` does the work when the check fails.
    """
    order = np.arange(len(values), dtype=np.int32)
    mark[values[::-1]] = order[::-1]
    kept = mark[values]
    if not bool(np.all(kept <= order)):
        np.minimum.at(mark, values, order)
        kept = mark[values]
    first = np.flatnonzero(kept == order)
    mark[values] = _FAR
    return first


def _ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The positions starts[j] .. starts[j] + lengths[j] of every j, concatenated."""
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    positions: npt.NDArray[np.int64] = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, lengths)
    return positions


# --------------------------------------------------------------------------------------------------
# Per-graph structures: candidate rows per state, rule tables, scratch arrays
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scratch:
    """One thread's per-line arrays; every line leaves them as it found them."""

    counted: _BoolArray  # per shipment
    reached: _BoolArray  # per state, plus one slot for a start state that no shipment opens
    parent: _IntArray
    via: _IntArray
    tier: npt.NDArray[np.int16]
    state_first: _IntArray  # _FAR everywhere between uses
    company_seen: _BoolArray
    company_mark: _IntArray
    _row_first: _IntArray | None = None

    def row_first(self) -> _IntArray:
        if self._row_first is None:
            self._row_first = np.full(len(self.counted), _FAR, np.int32)
        return self._row_first


class _Context:
    """Every state's candidate rows for one input map and window: the rows the state counts from,
    in inbound order, as one array cut per state (CSR), with their origin, value, rule-table key and
    the state each row opens; and per state the distinct states its rows open, by first row."""

    def __init__(self, engine: _Engine, inputs: InputMap, window: Window) -> None:
        self.engine = engine
        self.a = engine.arrays
        self.inputs = inputs  # held: the engine's key is its id
        self.first = window.since.toordinal()
        self.last = window.as_of.toordinal()
        self._starts: dict[tuple[int, str | None], _Block] = {}
        self._listed_at: dict[int, tuple[_Plan, npt.NDArray[np.intp]]] = {}
        self._build()

    def _build(self) -> None:
        a = self.a
        n_states = a.n_states
        company = a.state_company.astype(np.int64)
        g0 = a.group_ptr[company]
        counts = a.group_ptr[company + 1] - g0
        owner = np.repeat(np.arange(n_states, dtype=np.int32), counts)
        groups = _ranges(g0, counts)
        own_hs6 = a.state_hs6[owner]
        whole, part, codes, long_index = self._matrices(np.unique(a.state_hs6).tolist())
        take = whole[own_hs6, a.group_hs6[groups]]
        partial = None
        if part is not None:
            partial = part[own_hs6, a.group_hs6[groups]] & ~take
            take |= partial
        chosen = np.flatnonzero(take)
        groups, owner, own_hs6 = groups[chosen], owner[chosen], own_hs6[chosen]
        lo = a.group_start[groups]
        lengths = a.group_start[groups + 1] - lo
        rows = _ranges(lo, lengths)
        block = np.repeat(owner, lengths)
        day = a.day[rows]
        keep = (day >= self.first) & (day <= self.last)
        if partial is not None and codes is not None and partial[chosen].any():
            in_part = np.repeat(partial[chosen], lengths)
            at = np.flatnonzero(in_part)
            own = long_index[np.repeat(own_hs6, lengths)[at]]
            keep[at] &= codes[own, a.hs[rows[at]]]
        rows = rows[keep].astype(np.int32)
        block = block[keep]
        self.ptr = np.zeros(n_states + 1, np.int64)
        np.cumsum(np.bincount(block, minlength=n_states), out=self.ptr[1:])
        self.rows = rows
        self.origin = a.origin.take(rows).astype(np.intp)  # bincount takes intp as it is
        self.value = a.value[rows]
        self.key = self.engine.origin_code_key()[rows]
        self.state = a.state[rows]
        pair = block.astype(np.int64) * max(1, n_states) + self.state
        _unique, first = np.unique(pair, return_index=True)
        first.sort()
        self.succ = self.state[first]
        self.succ_row = rows[first]
        # Per state, how many of its rows come from each origin (counts add up in any order).
        n_origins = max(1, len(a.origins))
        pairs, tally = np.unique(block.astype(np.int64) * n_origins + self.origin, return_counts=True)
        self.origin_code = (pairs % n_origins).astype(np.intp)
        self.origin_count = tally.astype(np.intp)
        self.optr = np.zeros(n_states + 1, np.int64)
        np.cumsum(np.bincount(pairs // n_origins, minlength=n_states), out=self.optr[1:])
        self.sptr = np.zeros(n_states + 1, np.int64)
        np.cumsum(np.bincount(block[first], minlength=n_states), out=self.sptr[1:])

    def _matrices(
        self, hs6_codes: list[int]
    ) -> tuple[_BoolArray, _BoolArray | None, _BoolArray | None, _IntArray]:
        """Per state hs6 and group hs6: taken whole (a prefix of 6 digits or fewer covers it), taken in
        part (a longer prefix starts with it); per such hs6, the HS codes the longer prefixes cover."""
        a = self.a
        n = len(a.hs6_codes)
        whole = np.zeros((n, n), bool)
        longs: dict[int, list[str]] = {}
        for code in hs6_codes:
            for prefix in self.inputs.input_set(a.hs6_codes[code]):
                if len(prefix) <= 6:
                    lo, hi = prefix_range(a.hs6_codes, prefix)
                    whole[code, lo:hi] = True
                else:
                    longs.setdefault(code, []).append(prefix)
        long_index = np.full(n, -1, np.int32)
        if not longs:
            return whole, None, None, long_index
        part = np.zeros((n, n), bool)
        codes = np.zeros((len(longs), len(a.hs_codes)), bool)
        for i, (code, prefixes) in enumerate(longs.items()):
            long_index[code] = i
            for prefix in prefixes:
                for length in range(1, 7):
                    key = a.hs6_index.get(prefix[:length])
                    if key is not None:
                        part[code, key] = True
                lo, hi = prefix_range(a.hs_codes, prefix)
                codes[i, lo:hi] = True
        return whole, part, codes, long_index

    def block_of_state(self, state: int) -> _Block:
        lo, hi = int(self.ptr[state]), int(self.ptr[state + 1])
        slo, shi = int(self.sptr[state]), int(self.sptr[state + 1])
        rows = self.rows[lo:hi]
        return _Block(
            rows=rows,
            origin=self.origin[lo:hi],
            value=self.value[lo:hi],
            key=self.key[lo:hi],
            state=self.state[lo:hi],
            succ=self.succ[slo:shi],
            succ_at=np.searchsorted(rows, self.succ_row[slo:shi]).astype(np.int32),  # a block's rows ascend
        )

    def block_of(self, company: int, hs6: str | None) -> _Block:
        """The block of a start state that no shipment opens (hs6 None is the wildcard), kept."""
        found = self._starts.get((company, hs6))
        if found is None:
            a = self.a
            rows = self._rows(company, hs6)
            state = a.state[rows]
            _unique, first = np.unique(state, return_index=True)
            first.sort()
            found = self._starts[(company, hs6)] = _Block(
                rows=rows,
                origin=a.origin.take(rows).astype(np.intp),
                value=a.value[rows],
                key=self.engine.origin_code_key()[rows],
                state=state,
                succ=state[first],
                succ_at=first.astype(np.int32),
            )
            _trim(self._starts, 100_000)
        return found

    def tier_rows(
        self, frontier: _IntArray
    ) -> tuple[_Rows, _IntArray, _Positions, Callable[[npt.NDArray[np.intp]], _IntArray]]:
        """The rows of a frontier, and the states they open (by first row) with their owner and row."""
        lo = self.ptr[frontier]
        lengths = self.ptr[frontier + 1] - lo
        ends = np.cumsum(lengths)
        at = _ranges(lo, lengths)
        slo = self.sptr[frontier]
        slengths = self.sptr[frontier + 1] - slo
        sends = np.cumsum(slengths)
        sat = _ranges(slo, slengths)
        successors = self.succ.take(sat)
        succ_row = self.succ_row
        olo = self.optr[frontier]
        ocounts = self.optr[frontier + 1] - olo
        origin_code, origin_count = self.origin_code, self.origin_count
        n_origins = len(self.a.origins)
        source = self.rows
        state = self.state
        key = self.key
        rows = _Rows(
            origin=self.origin.take(at),
            value=self.value.take(at),
            key=_Once(lambda: key.take(at)),
            rows=_Once(lambda: source.take(at)),
            states=_Once(lambda: state.take(at)),
            owner=lambda pos: np.searchsorted(ends, pos, side="right"),
            row=lambda p: int(source[at[p]]),
            listed=lambda plan: self._listed(plan, lo, lengths, ends, successors),
            states_at=lambda pos: state.take(at.take(pos)),
            origin_counts=lambda: _origin_counts(origin_code, origin_count, olo, ocounts, n_origins),
        )
        return (
            rows,
            successors,
            lambda pos: np.searchsorted(sends, pos, side="right"),
            lambda pos: np.asarray(succ_row.take(sat.take(pos))),
        )

    def _listed(
        self,
        plan: _Plan,
        lo: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
        successors: _IntArray,
    ) -> npt.NDArray[np.intp]:
        """Positions in a tier's rows whose shipper a party list names, found block by block."""
        if not plan.listed_state().take(successors).any():  # no listed shipper among the states opened
            return np.zeros(0, np.intp)
        found = self._listed_at.get(id(plan))
        if found is None or found[0] is not plan:
            found = self._listed_at[id(plan)] = (plan, np.flatnonzero(plan.listed_state()[self.state]))
            _trim(self._listed_at, 8)
        listed = found[1]
        first = np.searchsorted(listed, lo)
        counts = np.searchsorted(listed, lo + lengths) - first
        total = int(counts.sum())
        if not total:
            return np.zeros(0, np.intp)
        block = np.repeat(np.arange(len(lo)), counts)
        return (listed[_ranges(first, counts)] - lo[block] + (ends - lengths)[block]).astype(np.intp)

    def _rows(self, company: int, hs6: str | None) -> _IntArray:
        a = self.a
        g0, g1 = int(a.group_ptr[company]), int(a.group_ptr[company + 1])
        if g0 == g1:
            return _EMPTY
        if hs6 is None:
            rows = np.arange(a.group_start[g0], a.group_start[g1], dtype=np.int32)
        else:
            prefixes = self.inputs.input_set(hs6)
            short = tuple(p for p in prefixes if len(p) <= 6)
            long = tuple(p for p in prefixes if len(p) > 6)
            keys = [a.hs6_codes[k] for k in a.group_hs6[g0:g1].tolist()]
            pieces: list[_IntArray] = []
            for j, key in enumerate(keys):
                lo, hi = int(a.group_start[g0 + j]), int(a.group_start[g0 + j + 1])
                if key.startswith(short):
                    pieces.append(np.arange(lo, hi, dtype=np.int32))
                elif long and any(p.startswith(key) for p in long):
                    group = np.arange(lo, hi, dtype=np.int32)
                    pieces.append(group[[a.hs_codes[c].startswith(long) for c in a.hs[lo:hi].tolist()]])
            if not pieces:
                return _EMPTY
            rows = np.concatenate(pieces)
        day = a.day[rows]
        rows = rows[(day >= self.first) & (day <= self.last)]
        return rows if len(rows) else _EMPTY


class _Once:
    """A computed array, made on first use."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], _IntArray]) -> None:
        self._make = make
        self._value: _IntArray | None = None

    def __call__(self) -> _IntArray:
        if self._value is None:
            self._value = self._make()
        return self._value


@dataclass(frozen=True, slots=True)
class _Slot:
    rule: TracedRule
    rule_id: str
    order: int  # goods rules first, then restricted-party rules: the order the walk asks them in
    listed: frozenset[str] | None  # the companies a restricted-party list matched
    members: _BoolArray | None  # the same as a mask per company


class _Plan:
    """A list of rules as tables over (origin, HS code) per tier, filled as codes are met.

    A table gives each (origin, code) a pattern: the set of rules whose goods conditions it meets at
    that tier. A tier's rows are grouped by pattern (a stable sort keeps each group in walk order),
    so finding every rule's hits costs a few passes over the rows, whatever the number of rules.
    Restricted-party rules also need the shipper listed: a per-state word of the lists it is on.
    """

    def __init__(self, engine: _Engine, slots: list[_Slot]) -> None:
        self.a = engine.arrays
        self.slots = slots  # held: the engine's key is their ids
        self._lock = threading.Lock()
        self._tables: dict[int, npt.NDArray[np.intp]] = {}
        self._patterns: dict[int, list[int]] = {}  # tier -> rule bits of each pattern (0: unknown)
        self._pattern_index: dict[int, dict[int, int]] = {}
        self._tier_one: dict[tuple[str | None, str | None], tuple[_Slot, ...]] = {}
        self.party_bits = 0  # restricted-party rules, as bits of patterns
        listed = np.zeros(len(self.a.company_ids), bool)
        for i, slot in enumerate(slots):
            if slot.members is not None:
                self.party_bits |= 1 << i
                listed |= slot.members
        # Per state: whether its company is on some list (so a row's shipper is looked at closely).
        self.state_listed: _BoolArray | None = listed[self.a.state_company] if listed.any() else None
        self._in_pattern: dict[tuple[int, int], _BoolArray] = {}

    def listed_state(self) -> _BoolArray:
        assert self.state_listed is not None
        return self.state_listed

    def tier_one(self, origin: str | None, hs_code: str | None) -> tuple[_Slot, ...]:
        """Rules whose goods conditions the line itself meets at tier 1 (members still to check)."""
        key = (origin, hs_code)
        found = self._tier_one.get(key)
        if found is None:
            found = self._tier_one[key] = tuple(
                slot for slot in self.slots if slot.rule.matches_goods(origin, hs_code, 1)
            )
            _trim(self._tier_one, 100_000)
        return found

    def _table(self, tier: int) -> npt.NDArray[np.intp]:
        table = self._tables.get(tier)
        if table is None:
            with self._lock:
                table = self._tables.get(tier)
                if table is None:
                    size = len(self.a.origins) * max(1, len(self.a.hs_codes))
                    self._patterns[tier] = [0, 0]  # 0: not asked yet; 1: no rule
                    self._pattern_index[tier] = {0: 1}
                    table = self._tables[tier] = np.zeros(size, np.intp)
        return table

    def _fill(self, tier: int, keys: npt.NDArray[np.int32]) -> None:
        table = self._tables[tier]
        patterns = self._patterns[tier]
        index = self._pattern_index[tier]
        n_codes = len(self.a.hs_codes)
        with self._lock:
            for key in np.unique(keys).tolist():
                origin = self.a.origins[key // n_codes]
                code = self.a.hs_codes[key % n_codes]
                bits = 0
                for i, slot in enumerate(self.slots):
                    if slot.rule.matches_goods(origin, code, tier):
                        bits |= 1 << i
                found = index.get(bits)
                if found is None:
                    if len(patterns) >= 65_535:
                        raise RuntimeError("more rule patterns than a rule table holds")
                    found = index[bits] = len(patterns)
                    patterns.append(bits)
                table[key] = found

    def _rule_in_pattern(self, tier: int, rule: int) -> _BoolArray:
        patterns = self._patterns[tier]
        found = self._in_pattern.get((tier, rule))
        if found is None or len(found) != len(patterns):
            found = self._in_pattern[(tier, rule)] = np.array([(bits >> rule) & 1 for bits in patterns], bool)
        return found

    def hits(
        self, rows: _Rows, tier: int
    ) -> list[tuple[int, int, _Slot, npt.NDArray[np.intp], float | None]]:
        """Each rule hit in these rows -- (first position, order, slot, positions, their values added up
        in order when known) -- by first position."""
        table = self._table(tier)
        keys = rows.key()
        pattern = table.take(keys)
        if not pattern.all():
            self._fill(tier, keys[pattern == 0])
            pattern = table.take(keys)
        patterns = self._patterns[tier]
        counts = np.bincount(pattern)
        present = [p for p in np.flatnonzero(counts).tolist() if patterns[p]]
        if not present:
            return []
        party = self.party_bits
        goods: dict[int, list[int]] = {}
        for p in present:
            bits = patterns[p] & ~party
            while bits:
                low = bits & -bits
                goods.setdefault(low.bit_length() - 1, []).append(p)
                bits ^= low
        found: list[tuple[int, int, _Slot, npt.NDArray[np.intp], float | None]] = []
        if goods:
            # Per pattern, its rows' values added up in row order (bincount adds one by one): the
            # value at this tier of a rule whose hits are the rows of one pattern.
            sums = np.bincount(pattern, weights=rows.value)
            of_pattern: dict[int, npt.NDArray[np.intp]] = {}
            for i, ps in goods.items():
                total: float | None = None
                if len(ps) == 1:
                    pos = of_pattern.get(ps[0])
                    if pos is None:
                        pos = of_pattern[ps[0]] = np.flatnonzero(pattern == ps[0])
                    total = float(sums[ps[0]])
                else:
                    mask = pattern == ps[0]
                    for p in ps[1:]:
                        mask |= pattern == p
                    pos = np.flatnonzero(mask)
                found.append((int(pos[0]), self.slots[i].order, self.slots[i], pos, total))
        if party and self.state_listed is not None and any(patterns[p] & party for p in present):
            listed = rows.listed(self)
            if len(listed):
                shippers = self.a.state_company.take(rows.states_at(listed))
                of_listed = pattern.take(listed)
                for i, slot in enumerate(self.slots):
                    if not (party >> i) & 1 or slot.members is None:
                        continue
                    meets = self._rule_in_pattern(tier, i).take(of_listed)
                    pos = listed[meets & slot.members.take(shippers)]
                    if len(pos):
                        found.append((int(pos[0]), slot.order, slot, pos, None))
        found.sort(key=lambda item: (item[0], item[1]))  # the row-at-a-time walk's order of first hits
        return found


class _Engine:
    """What tracing keeps per graph: contexts per (input map, window), rule plans, scratch per thread."""

    _KEEP = 4  # contexts and plans kept; the oldest is dropped past that

    def __init__(self, graph: Graph) -> None:
        self.arrays = graph.arrays
        self._contexts: dict[tuple[int, int, int], _Context] = {}
        self._plans: dict[tuple[int, ...], _Plan] = {}
        self._members: dict[int, tuple[frozenset[str], _BoolArray]] = {}
        self._hops: dict[tuple[int, int], PathStep] = {}
        self._key: npt.NDArray[np.int32] | None = None
        self.origin_names = [origin or UNKNOWN_ORIGIN for origin in self.arrays.origins]
        self._local = threading.local()
        self._lock = threading.Lock()

    def context(self, inputs: InputMap, window: Window) -> _Context:
        key = (id(inputs), window.since.toordinal(), window.as_of.toordinal())
        found = self._contexts.get(key)
        if found is None or found.inputs is not inputs:
            with self._lock:
                found = self._contexts.get(key)
                if found is None or found.inputs is not inputs:
                    found = self._contexts[key] = _Context(self, inputs, window)
                    _trim(self._contexts, self._KEEP)
        return found

    def plan(
        self,
        goods_rules: Sequence[TracedRule],
        party_rules: Sequence[TracedRule],
        parties: Mapping[str, frozenset[str]],
    ) -> _Plan:
        wanted = [(rule, None) for rule in goods_rules] + [(rule, parties[rule.id]) for rule in party_rules]
        key = (
            *map(id, goods_rules),
            -1,
            *map(id, party_rules),
            -1,
            *(id(parties[r.id]) for r in party_rules),
        )
        found = self._plans.get(key)
        if found is None or any(
            slot.rule is not rule or slot.listed is not listed
            for slot, (rule, listed) in zip(found.slots, wanted, strict=True)
        ):
            slots = [
                _Slot(rule, rule.id, order, listed, None if listed is None else self._member_mask(listed))
                for order, (rule, listed) in enumerate(wanted)
            ]
            with self._lock:
                found = self._plans[key] = _Plan(self, slots)
                _trim(self._plans, self._KEEP)
        return found

    def _member_mask(self, members: frozenset[str]) -> _BoolArray:
        found = self._members.get(id(members))
        if found is None or found[0] is not members:
            mask = np.zeros(len(self.arrays.company_ids), bool)
            index = self.arrays.company_index
            mask[[index[c] for c in members if c in index]] = True
            found = self._members[id(members)] = (members, mask)
            _trim(self._members, 4 * self._KEEP)
        return found[1]

    def origin_code_key(self) -> npt.NDArray[np.int32]:
        """Per shipment: origin * len(hs_codes) + HS code, the index of rule tables."""
        if self._key is None:
            a = self.arrays
            self._key = (a.origin.astype(np.int64) * len(a.hs_codes) + a.hs).astype(np.int32)
        return self._key

    def hop(self, graph: Graph, index: int, tier: int) -> PathStep:
        """The path step of a shipment counted at a tier (kept: lines share their upstream)."""
        found = self._hops.get((index, tier))
        if found is None:
            company_id = self.arrays.company_ids[int(self.arrays.shipper[index])]
            found = self._hops[(index, tier)] = path_step(graph, company_id, tier, index)
            _trim(self._hops, 200_000)
        return found

    def scratch(self) -> _Scratch:
        found: _Scratch | None = getattr(self._local, "scratch", None)
        if found is None:
            a = self.arrays
            slots = a.n_states + 1
            found = self._local.scratch = _Scratch(
                counted=np.zeros(len(a.shipper), bool),
                reached=np.zeros(slots, bool),
                parent=np.zeros(slots, np.int32),
                via=np.zeros(slots, np.int32),
                tier=np.zeros(slots, np.int16),
                state_first=np.full(slots, _FAR, np.int32),
                company_seen=np.zeros(len(a.company_ids), bool),
                company_mark=np.full(len(a.company_ids), _FAR, np.int32),
            )
        return found


def _trim(cache: dict[Any, Any], keep: int) -> None:
    while len(cache) > keep:
        del cache[next(iter(cache))]


def path_step(graph: Graph, company_id: str, tier: int, index: int | None) -> PathStep:
    """One hop of an evidence path: the company, and the shipment that reached it (none at tier 1)."""
    if index is None:
        return PathStep(company_id=company_id, tier=tier, name=graph.company_name(company_id))
    return PathStep(
        company_id=company_id,
        tier=tier,
        shipment_id=graph.shipment_id[index],
        name=graph.company_name(company_id),
        hs_code=graph.hs_code[index],
        date=graph.date_of(index),
        origin=graph.origin[index],
        value_usd=graph.value_usd[index],
    )
