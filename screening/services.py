"""Use cases: load a network, record reviewers' decisions, screen a supplier list. They never commit.

The store is anything shaped like `NetworkStore` and `DecisionStore` (the SQL repository in
`screening.storage`, or an in-memory one in tests); the caller owns the transaction and commits when
the use case returns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from screening import ingest
from screening.alerts import (
    DueDelivery,
    FlagAlert,
    alert_email,
    check_destination,
    event_body,
    next_attempt,
    signed_headers,
)
from screening.analyze import Analysis
from screening.analyze import analyze as analyze_network
from screening.codes import normalize_country, normalize_hs_prefix
from screening.decisions import Decision, apply_decisions, parse_action, supersedes
from screening.errors import InputError, NetworkLoadError, NotFoundError
from screening.jobs import Job, JobStore, events_for, rescreen
from screening.matching import (
    MATCHER_VERSION,
    MatchConfig,
    MatchIndex,
    classify,
    compare_names,
    matcher_version,
)
from screening.model import (
    SEVERITY_ORDER,
    Company,
    Flag,
    LineResult,
    Match,
    PathStep,
    Provenance,
    Report,
    RowError,
    Shipment,
    SupplierLine,
    TopSupplier,
)
from screening.names import NORMALIZER_VERSION, name_key
from screening.network import load
from screening.network.graph import Graph
from screening.network.load import StoredShipment
from screening.network.resolve import NewName, Resolver
from screening.report import render_json, summarize
from screening.rules import Rule, RuleSet
from screening.scenario import Scenario
from screening.scenario import scenario as scenario_of_network
from screening.trace import RuleHits, Window, trace_line

Progress = Callable[[str, int, int], None]

# The version a store reports before anything was loaded into it.
EMPTY_NETWORK = "empty"


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


# --------------------------------------------------------------------------------------------------
# The store the use cases need
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadRecord:
    kind: str
    filename: str
    rows_read: int
    rows_added: int
    rows_rejected: int
    companies_added: int
    network_version: str


class NetworkStore(Protocol):
    def network_version(self) -> str: ...
    def set_network_version(self, version: str) -> None: ...
    def companies(self) -> list[Company]: ...
    def name_keys(self) -> dict[str, str]: ...
    def company_ids(self, ids: Iterable[str]) -> set[str]: ...
    def add_companies(self, companies: Sequence[Company], source: str) -> None: ...
    def update_company(self, company: Company, source: str) -> None: ...
    def add_names(self, names: Sequence[NewName]) -> None: ...
    def shipment_ids(self, ids: Iterable[str]) -> set[str]: ...
    def add_shipments(self, rows: Sequence[StoredShipment], load_id: int) -> int:
        """Store the rows whose id is not stored yet (the first of repeats); returns how many."""
        ...

    def shipments(self) -> Iterator[Shipment]: ...
    def shipment_count(self) -> int: ...
    def company_count(self) -> int: ...
    def start_load(self, kind: str, filename: str, sha256: str) -> int: ...
    def finish_load(self, load_id: int, record: LoadRecord) -> None: ...


class DecisionStore(Protocol):
    """Reviewers' decisions per tenant. Reading never creates a tenant; an unknown tenant has none."""

    def decisions(
        self, tenant: str, keys: Iterable[str] | None = None, *, include_superseded: bool = False
    ) -> list[Decision]:
        """The tenant's decisions (of these name keys; all when None), oldest first, in one query."""
        ...

    def add_decision(self, decision: Decision, supersedes: Sequence[int]) -> Decision:
        """Store `decision` (creating its tenant if needed), mark the rows `supersedes` names as
        superseded, and return it with its id."""
        ...


class ScreeningStore(NetworkStore, DecisionStore, Protocol):
    """The network and the decisions: what screening and recording a decision read and write."""


# --------------------------------------------------------------------------------------------------
# Network load
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadSummary:
    loads: tuple[LoadRecord, ...]
    errors: tuple[RowError, ...]
    network_version: str
    companies: int
    shipments: int
    linked_by_matcher: int


def _next_version(previous: str, digest: str) -> str:
    """The version after adding a file. The first load salts the chain with a random value, so two
    databases never share a version (the in-process snapshot cache is keyed by it) even when the
    same files were loaded into both."""
    if previous == EMPTY_NETWORK:
        previous = uuid.uuid4().hex
    return hashlib.sha256(f"{previous}:{digest}".encode()).hexdigest()[:16]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise NetworkLoadError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    return digest.hexdigest()


def load_network(
    store: NetworkStore,
    *,
    shipments: Path | None = None,
    companies: Path | None = None,
    progress: Progress = _quiet,
    batch_size: int = 20_000,
) -> LoadSummary:
    """Add a registry and/or a shipments file to the network: idempotent and additive.

    The registry goes first so that bill-of-lading names can link to it. A shipment whose id is
    already stored (the source's id, or one derived from the row's content) is skipped, so loading
    the same file twice adds nothing. The network version changes only when something was added.
    """
    if shipments is None and companies is None:
        raise NetworkLoadError("Give a shipments file, a company registry, or both.")
    records: list[LoadRecord] = []
    errors: list[RowError] = []
    version = store.network_version()
    linked = 0

    if companies is not None:
        record, row_errors = _load_registry(store, companies, version)
        records.append(record)
        errors.extend(row_errors)
        version = record.network_version

    if shipments is not None:
        record, row_errors, linked = _load_shipments(store, shipments, version, progress, batch_size)
        records.append(record)
        errors.extend(row_errors)
        version = record.network_version

    return LoadSummary(
        loads=tuple(records),
        errors=tuple(errors),
        network_version=version,
        companies=store.company_count(),
        shipments=store.shipment_count(),
        linked_by_matcher=linked,
    )


def _load_registry(store: NetworkStore, path: Path, version: str) -> tuple[LoadRecord, list[RowError]]:
    sha = _file_sha256(path)
    companies, errors = ingest.read_companies(path)
    load_id = store.start_load("companies", path.name, sha)
    existing = store.company_ids(c.company_id for c in companies)
    keys = store.name_keys()
    new = [c for c in companies if c.company_id not in existing]
    store.add_companies(new, "registry")
    for company in companies:
        if company.company_id in existing:
            store.update_company(company, "registry")
    names: list[NewName] = []
    for company in companies:
        kinds = [("primary", company.name)] + [("alias", a) for a in company.aliases]
        for kind, name in kinds:
            key = name_key(name, company.country)
            if keys.get(key) is None:
                keys[key] = company.company_id
                names.append(NewName(company.company_id, name, company.country, kind, key))
    store.add_names(names)
    added = len(new) + len(names)
    if added:
        version = _next_version(version, sha)
        store.set_network_version(version)
    record = LoadRecord(
        "companies", path.name, len(companies) + len(errors), len(new), len(errors), len(new), version
    )
    store.finish_load(load_id, record)
    return record, errors


def _load_shipments(
    store: NetworkStore, path: Path, version: str, progress: Progress, batch_size: int
) -> tuple[LoadRecord, list[RowError], int]:
    sha = _file_sha256(path)
    _header, items = ingest.read_shipments(path)
    load_id = store.start_load("shipments", path.name, sha)
    # Nothing stored yet: no row can be a reload, so no batch needs to ask the store (repeats within
    # the file are still skipped by `add_shipments`).
    empty = store.shipment_count() == 0
    resolver = Resolver.start(store.companies(), store.name_keys())
    errors: list[RowError] = []
    read = added = companies_added = 0
    error_lines: set[int] = set()
    kept_lines: set[int] = set()  # rows reported for a bad optional field and still loaded
    for batch in load.batches(items, batch_size):
        errors.extend(batch.errors)
        error_lines.update(error.line for error in batch.errors)
        read += len(batch.rows)
        kept_lines.update(row.line for row in batch.rows if row.line in error_lines)
        ids = [load.shipment_id(row) for row in batch.rows]
        stored = set() if empty else store.shipment_ids(ids)
        fresh = [(row, sid) for row, sid in zip(batch.rows, ids, strict=True) if sid not in stored]
        rows = load.resolved(fresh, resolver)
        new_companies, new_names = resolver.drain()
        store.add_companies(new_companies, "derived")
        store.add_names(new_names)
        added += store.add_shipments(rows, load_id)
        companies_added += len(new_companies)
        progress("load", read, 0)
    if added or companies_added:
        version = _next_version(version, sha)
        store.set_network_version(version)
    rejected = len(error_lines - kept_lines)
    record = LoadRecord("shipments", path.name, read + rejected, added, rejected, companies_added, version)
    store.finish_load(load_id, record)
    return record, errors, resolver.linked


# --------------------------------------------------------------------------------------------------
# Network snapshot (matching index + graph), built once per network version
# --------------------------------------------------------------------------------------------------


class Snapshot:
    """The network as matching and tracing need it: built lazily, once per network version.

    `match` needs only the index; `screen` needs the graph too. Each part is built on first use
    and then shared by every screening of the same version in this process (threads included).

    With an `index_dir`, the matching index is also kept on disk, once per network version, matcher
    version, normaliser version and matcher settings (and the companies it was built from): a new
    process reads it back instead of building it. A file saved by anything else, or damaged, is never
    used: the index is built and the file written anew (atomically: readers see the old or the new).
    """

    def __init__(self, store: NetworkStore, version: str, index_dir: Path | None = None) -> None:
        self.version = version
        self._lock = threading.Lock()
        self._companies = {c.company_id: c for c in store.companies()}
        self._index: MatchIndex | None = None
        self._index_dir = index_dir
        self._stamp: str | None = None
        # how the index came to be: None (not yet), "built", or "read" (from index_dir)
        self.index_origin: str | None = None
        self._graph: Graph | None = None
        self._members: dict[tuple[str, str, str], frozenset[str]] = {}

    @property
    def companies(self) -> dict[str, Company]:
        return self._companies

    @property
    def index(self) -> MatchIndex:
        with self._lock:
            if self._index is None:
                self._index = self._read_or_build_index()
            return self._index

    def index_path(self) -> Path | None:
        """Where the index of this snapshot is kept on disk (None without an index directory)."""
        if self._index_dir is None:
            return None
        key = f"{self._index_stamp()}|{matcher_version()}|{NORMALIZER_VERSION}"
        return self._index_dir / f"index-{hashlib.sha256(key.encode()).hexdigest()[:20]}.bin"

    def _index_stamp(self) -> str:
        """The network version and a digest of the companies as read: a version reused for other data
        (a restored or hand-edited database) never gets another network's index."""
        if self._stamp is not None:
            return self._stamp
        digest = hashlib.blake2b(digest_size=16)
        for c in self._companies.values():
            fields = (
                c.company_id,
                c.name,
                c.country or "",
                c.address or "",
                "\x1e".join(c.aliases),
                c.lei or "",
            )
            digest.update("\x1f".join(fields).encode() + b"\x1d")
        self._stamp = f"{self.version}:{digest.hexdigest()}"
        return self._stamp

    def _read_or_build_index(self) -> MatchIndex:
        path = self.index_path()
        if path is None:
            self.index_origin = "built"
            return MatchIndex(self._companies.values())
        stamp = self._index_stamp()
        index = MatchIndex.load(path, stamp)
        if index is not None:
            self.index_origin = "read"
            with contextlib.suppress(OSError):
                os.utime(path)  # recently used: kept when older files are removed
            return index
        index = MatchIndex(self._companies.values())
        self.index_origin = "built"
        try:
            index.save(path, stamp)
            _prune_index_dir(path.parent, keep=INDEX_FILES_KEPT)
        except OSError:
            pass  # an index directory that cannot be written only costs the next process a build
        return index

    def party_members(self, rules: RuleSet, rule_id: str, config: MatchConfig) -> frozenset[str]:
        """Network companies that a restricted-party list names, found with the same matcher; cached
        per rules version, so repeated screenings do not search every party name again."""
        cache_key = (rules.version, rule_id, config.fingerprint())
        cached = self._members.get(cache_key)
        if cached is not None:
            return cached
        members: set[str] = set()
        for party in rules.parties.get(rule_id, ()):
            for name in (party.name, *party.aliases):
                verdict = classify(self.index.search(name, country=party.country), config)
                if verdict.status == "matched" and verdict.company_id is not None:
                    members.add(verdict.company_id)
        with self._lock:
            return self._members.setdefault(cache_key, frozenset(members))

    def graph(self, store: NetworkStore) -> Graph:
        """The shipment graph, read from `store` the first time it is asked for."""
        with self._lock:
            if self._graph is None:
                self._graph = Graph.build(store.shipments(), self._companies.values(), version=self.version)
            return self._graph


# Index files kept in an index directory: the most recently used ones (several databases or several
# matcher versions may share the directory); older ones are removed when a new one is written.
INDEX_FILES_KEPT = 3


def _prune_index_dir(folder: Path, keep: int) -> None:
    files = sorted(folder.glob("index-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    stale_temporaries = [p for p in folder.glob(".index-*.tmp") if time.time() - p.stat().st_mtime > 86_400]
    for path in files[keep:] + stale_temporaries:
        with contextlib.suppress(OSError):
            path.unlink()


_snapshots: dict[str, Snapshot] = {}
_snapshot_lock = threading.Lock()
_index_dir: Path | None = None


def set_index_dir(folder: Path | None) -> None:
    """Where snapshots keep their matching index from now on in this process (None: in memory only).
    Called once at the edges with `Settings.index_dir`; `snapshot(store, index_dir=...)` overrides it."""
    global _index_dir
    _index_dir = folder


def snapshot(store: NetworkStore, index_dir: Path | None = None) -> Snapshot:
    """The current network version's snapshot, cached in-process (one version kept at a time). Its
    matching index is kept in `index_dir` (else the folder given to `set_index_dir`, if any)."""
    version = store.network_version()
    with _snapshot_lock:
        cached = _snapshots.get(version)
        if cached is None:
            cached = Snapshot(store, version, index_dir if index_dir is not None else _index_dir)
            _snapshots.clear()
            _snapshots[version] = cached
        return cached


# --------------------------------------------------------------------------------------------------
# Reviewers' decisions
# --------------------------------------------------------------------------------------------------


TENANT_NAME_MAX = 128  # the width of the stored name


def record_decision(
    store: ScreeningStore,
    tenant: str,
    supplier_name: str,
    country: str | None,
    action: str,
    company_id: str | None = None,
    decided_by: str = "cli",
    note: str = "",
    *,
    decided_at: dt.datetime | None = None,
) -> Decision:
    """Validate and store a reviewer's decision for `tenant`, keyed by the name's `name_key`.

    confirm and reject name a network company (NotFoundError when it is not there); new_company names
    none. Earlier decisions this one supersedes stay stored, marked superseded (see
    `screening.decisions`). Raises InputError for anything else a person could have mistyped.
    """
    try:
        kind = parse_action(action)
    except ValueError as exc:
        raise InputError(f"{exc}.") from None
    tenant, name, who = tenant.strip(), supplier_name.strip(), decided_by.strip()
    if not tenant or len(tenant) > TENANT_NAME_MAX:
        raise InputError(f"A tenant name has 1 to {TENANT_NAME_MAX} characters.")
    if not name:
        raise InputError("The supplier name is empty.")
    if not who:
        raise InputError("Who decided is empty.")
    code = None
    if country is not None and country.strip():
        try:
            code = normalize_country(country)
        except ValueError as exc:
            raise InputError(f"country: {exc}.") from None
    company_id = company_id.strip() if company_id else None
    if kind == "new_company" and company_id:
        raise InputError("A new-company decision names no company.")
    if kind != "new_company":
        if not company_id:
            raise InputError(f"A {kind} decision needs a company id.")
        if not store.company_ids([company_id]):
            raise NotFoundError(f"Company {company_id!r} is not in the network.")
    decision = Decision(
        tenant=tenant,
        key=name_key(name, code),
        supplier_name=name,
        country=code,
        action=kind,
        company_id=company_id,
        decided_by=who,
        decided_at=decided_at or dt.datetime.now(dt.UTC),
        note=note.strip(),
    )
    replaced = [
        d.id
        for d in _current_keys(store.decisions(tenant, None))
        if d.key == decision.key
        and d.id is not None
        and d.decided_at <= decision.decided_at
        and supersedes(decision, d)
    ]
    return store.add_decision(decision, replaced)


def list_decisions(store: DecisionStore, tenant: str, *, include_superseded: bool = False) -> list[Decision]:
    """The tenant's decisions in force (and, on request, the ones they replaced), oldest first."""
    return store.decisions(tenant.strip(), None, include_superseded=include_superseded)


# --------------------------------------------------------------------------------------------------
# Screening
# --------------------------------------------------------------------------------------------------


def screen(
    store: ScreeningStore,
    submission: ingest.IngestResult,
    rules: RuleSet,
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    max_tier: int = 4,
    config: MatchConfig | None = None,
    tenant: str | None = None,
    progress: Progress = _quiet,
) -> Report:
    """Match every line, apply the tenant's decisions, trace the matched lines, evaluate the rules in
    force, assemble the report. Without a tenant no decision applies: the matcher's verdict stands."""
    as_of = as_of or dt.date.today()
    window = Window.default(as_of, since)
    config = config or MatchConfig()
    snap = snapshot(store)
    graph = snap.graph(store)
    in_force = rules.in_force(as_of)
    party_rules = [r for r in in_force if r.kind == "restricted_party"]
    members = {r.id: snap.party_members(rules, r.id, config) for r in party_rules}
    keys, decided = _decisions_of(store, tenant, submission.lines)

    results: list[LineResult] = []
    counted_all: dict[int, None] = {}
    total = len(submission.lines)
    for done, line in enumerate(submission.lines, start=1):
        match = classify(
            snap.index.search(
                line.supplier_name, country=line.supplier_country, address=line.supplier_address
            ),
            config,
        )
        found = decided.get(keys[done - 1]) if decided else None
        if found:
            match = apply_decisions(match, found, companies=snap.companies, config=config)
        result = _screen_line(
            graph, line, match, rules, in_force, members, window, max_tier, config, counted_all
        )
        results.append(result)
        progress("screen", done, total)

    top = _top_upstream_suppliers(graph, counted_all)
    provenance = Provenance(
        rules_version=rules.version,
        network_version=snap.version,
        matcher_version=MATCHER_VERSION,
        input_sha256=submission.sha256,
        input_name=submission.filename,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )
    return Report(
        as_of=as_of,
        since=window.since,
        max_tier=max_tier,
        provenance=provenance,
        lines=tuple(results),
        summary=summarize(results, top_suppliers=top),
        errors=submission.errors,
    )


def _decisions_of(
    store: DecisionStore, tenant: str | None, lines: Sequence[SupplierLine]
) -> tuple[list[str], dict[str, list[Decision]]]:
    """Each line's name key, and the tenant's decisions in force for those keys (one store query)."""
    if tenant is None or not lines:
        return [], {}
    keys = [name_key(line.supplier_name, line.supplier_country) for line in lines]
    wanted = set(keys)
    decided: dict[str, list[Decision]] = {}
    for decision in _current_keys(store.decisions(tenant, None)):
        if decision.key in wanted:
            decided.setdefault(decision.key, []).append(decision)
    return keys, decided


def _current_keys(decisions: Iterable[Decision]) -> list[Decision]:
    """Decisions keyed by today's normaliser: a key is recomputed from the name and country the
    reviewer decided on, so a decision keeps applying after the normaliser changes how it keys names
    (a tenant holds hundreds or thousands of decisions, not millions)."""
    return [replace(d, key=name_key(d.supplier_name, d.country)) for d in decisions]


def _screen_line(
    graph: Graph,
    line: SupplierLine,
    match: Match,
    rules: RuleSet,
    in_force: Sequence[Rule],
    members: dict[str, frozenset[str]],
    window: Window,
    max_tier: int,
    config: MatchConfig,
    counted_all: dict[int, None],
) -> LineResult:
    if match.status != "matched" or match.company_id is None:
        flags = _unmatched_party_flags(line, rules, in_force, config)
        return LineResult(line=line.line, input=line.input, match=match, flags=flags)
    origin = match.country or line.supplier_country
    traced = trace_line(
        graph,
        company_id=match.company_id,
        hs_code=line.hs_code,
        line_value=line.annual_value_usd,
        line_origin=origin,
        inputs=rules.hs_inputs,
        window=window,
        max_tier=max_tier,
        rules=in_force,
        party_members=members,
    )
    counted_all.update(dict.fromkeys(traced.counted))
    by_id = {r.id: r for r in in_force}
    flags = tuple(_flag(by_id[rule_id], hits) for rule_id, hits in _ordered(traced.hits, by_id))
    return LineResult(line=line.line, input=line.input, match=match, upstream=traced.upstream, flags=flags)


def _ordered(hits: dict[str, RuleHits], by_id: dict[str, Rule]) -> list[tuple[str, RuleHits]]:
    return sorted(hits.items(), key=lambda kv: (-SEVERITY_ORDER[by_id[kv[0]].severity], kv[1].tier, kv[0]))


def _flag(rule: Rule, hits: RuleHits) -> Flag:
    return Flag(
        rule_id=rule.id,
        kind=rule.kind,
        severity=rule.severity,
        tier=hits.tier,
        value_usd=round(hits.value_usd, 2),
        hits=hits.hits,
        path=hits.path,
        title=rule.title,
        note=rule.note or "",
        source=str(rule.source),
        tariff_rate_pct=rule.tariff.rate_pct if rule.tariff is not None else None,
        tariff_basis=rule.tariff.basis if rule.tariff is not None else None,
        value_by_tier=tuple((tier, round(value, 2)) for tier, value in sorted(hits.by_tier.items())),
    )


def _unmatched_party_flags(
    line: SupplierLine, rules: RuleSet, in_force: Sequence[Rule], config: MatchConfig
) -> tuple[Flag, ...]:
    """A line not matched to the network is still screened by name against restricted-party lists."""
    flags = []
    for rule in in_force:
        if rule.kind != "restricted_party" or not rule.matches_goods(line.supplier_country, line.hs_code, 1):
            continue
        for party in rules.parties.get(rule.id, ()):
            candidate = compare_names(line.supplier_name, line.supplier_country, party)
            if candidate.score >= config.match_threshold:
                step = PathStep(company_id=party.company_id, tier=1, name=line.supplier_name)
                value = line.annual_value_usd or 0.0
                hits = RuleHits(rule.id, 1, value, 1, (step,), {1: value})
                flags.append(_flag(rule, hits))
                break
    return tuple(flags)


def _top_upstream_suppliers(
    graph: Graph, counted: dict[int, None], limit: int = 10
) -> tuple[TopSupplier, ...]:
    """Shippers of counted shipments by value (each shipment once), with distinct recipients."""
    value: dict[str, float] = {}
    recipients: dict[str, set[str]] = {}
    for i in counted:
        shipper = graph.shipper[i]
        value[shipper] = value.get(shipper, 0.0) + graph.value_usd[i]
        recipients.setdefault(shipper, set()).add(graph.consignee[i])
    ranked = sorted(value.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return tuple(
        TopSupplier(
            company_id=cid,
            name=graph.company_name(cid) or cid,
            country=graph.company_country(cid),
            value_usd=round(v, 2),
            recipients=len(recipients[cid]),
        )
        for cid, v in ranked
    )


# --------------------------------------------------------------------------------------------------
# Rule changes, dry run
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlagChange:
    """A flag a rule change would raise on a line of a past screening, or clear from it."""

    line: int
    supplier_name: str
    change: str  # "raised" | "cleared"
    flag: Flag


@dataclass(frozen=True, slots=True)
class RulesDiff:
    """What replacing the old rules by the new would change on a past screening, nothing stored.

    Both rule sets are evaluated on the same lines, matches, network and window (the screening's
    `as_of`, `since` and `max_tier`), so every change comes from the rules. `drift` lists the lines
    whose flags under the old rules today differ from the report's own: the network (or the matcher's
    party matching) has changed since the screening, and those lines' changes are not all the rules'."""

    as_of: dt.date
    since: dt.date
    max_tier: int
    old_version: str
    new_version: str
    network_version: str
    report_network_version: str | None
    lines: int
    changes: tuple[FlagChange, ...]
    drift: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _PastLine:
    line: SupplierLine
    match: Match
    flags: frozenset[str]


def _field(data: object, key: str, where: str) -> object:
    if not isinstance(data, dict) or key not in data:
        raise InputError(f"screening report: {where}.{key} is missing")
    return data[key]


def _date_field(data: object, key: str, where: str) -> dt.date:
    value = _field(data, key, where)
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"screening report: {where}.{key} {value!r} is not a date (YYYY-MM-DD)") from None


def _past_line(item: object, where: str) -> _PastLine:
    number = _field(item, "line", where)
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise InputError(f"screening report: {where}.line {number!r} is not a line number")
    written = _field(item, "input", where)
    if not isinstance(written, dict):
        raise InputError(f"screening report: {where}.input is not an object")
    try:
        parsed = ingest.read_suppliers_records([written], name="screening report")
    except InputError as exc:
        raise InputError(f"screening report: {where}.input cannot be screened again: {exc}") from None
    if parsed.errors or not parsed.lines:
        reason = parsed.errors[0].message if parsed.errors else "no supplier name"
        raise InputError(f"screening report: {where}.input cannot be screened again: {reason}")
    match = _field(item, "match", where)
    status = _field(match, "status", f"{where}.match")
    if status not in ("matched", "ambiguous", "unmatched"):
        raise InputError(f"screening report: {where}.match.status {status!r} is not a match status")
    assert isinstance(match, dict)
    company_id = match.get("company_id")
    if status == "matched" and not isinstance(company_id, str):
        raise InputError(f"screening report: {where}.match.company_id is missing for a matched line")
    flags = _field(item, "flags", where)
    if not isinstance(flags, list):
        raise InputError(f"screening report: {where}.flags is not a list")
    rule_ids = frozenset(str(_field(f, "rule_id", f"{where}.flags[{i}]")) for i, f in enumerate(flags))
    return _PastLine(
        replace(parsed.lines[0], line=number),
        Match(
            status=status,
            company_id=company_id if isinstance(company_id, str) else None,
            name=match.get("name"),
            country=match.get("country"),
            score=float(match.get("score") or 0.0),
        ),
        rule_ids,
    )


def rules_diff(store: NetworkStore, past: object, old: RuleSet, new: RuleSet) -> RulesDiff:
    """The flags that replacing `old` rules by `new` would raise and clear on a past screening (its
    report as parsed JSON), computed on the current network; nothing is stored or changed.

    The lines keep the matches the screening gave them (a reviewer may have decided them since the
    matcher ran); only the rules differ between the two evaluations."""
    as_of = _date_field(past, "as_of", "report")
    since = _date_field(past, "since", "report") if isinstance(past, dict) and "since" in past else None
    max_tier = _field(past, "max_tier", "report") if isinstance(past, dict) and "max_tier" in past else 4
    if not isinstance(max_tier, int) or isinstance(max_tier, bool) or max_tier < 1:
        raise InputError(f"screening report: report.max_tier {max_tier!r} is not a tier number")
    items = _field(past, "lines", "report")
    if not isinstance(items, list):
        raise InputError("screening report: report.lines is not a list")
    lines = [_past_line(item, f"lines[{i}]") for i, item in enumerate(items)]
    report_network = past.get("network_version") if isinstance(past, dict) else None

    window = Window.default(as_of, since)
    config = MatchConfig()
    snap = snapshot(store)
    graph = snap.graph(store)

    def evaluator(rules: RuleSet) -> Callable[[_PastLine], dict[str, Flag]]:
        in_force = rules.in_force(as_of)
        members = {
            r.id: snap.party_members(rules, r.id, config) for r in in_force if r.kind == "restricted_party"
        }

        def evaluate(past_line: _PastLine) -> dict[str, Flag]:
            result = _screen_line(
                graph, past_line.line, past_line.match, rules, in_force, members, window, max_tier, config, {}
            )
            return {flag.rule_id: flag for flag in result.flags}

        return evaluate

    under_old, under_new = evaluator(old), evaluator(new)
    changes: list[FlagChange] = []
    drift: list[int] = []
    for past_line in lines:
        before, after = under_old(past_line), under_new(past_line)
        if frozenset(before) != past_line.flags:
            drift.append(past_line.line.line)
        name = past_line.line.supplier_name
        changes.extend(
            FlagChange(past_line.line.line, name, "raised", after[rule_id])
            for rule_id in after
            if rule_id not in before
        )
        changes.extend(
            FlagChange(past_line.line.line, name, "cleared", before[rule_id])
            for rule_id in before
            if rule_id not in after
        )
    return RulesDiff(
        as_of=as_of,
        since=window.since,
        max_tier=max_tier,
        old_version=old.version,
        new_version=new.version,
        network_version=snap.version,
        report_network_version=report_network if isinstance(report_network, str) else None,
        lines=len(lines),
        changes=tuple(changes),
        drift=tuple(drift),
    )


# --------------------------------------------------------------------------------------------------
# Network-wide analysis
# --------------------------------------------------------------------------------------------------


def analyze(
    store: NetworkStore,
    rules: RuleSet,
    *,
    product: str,
    destination: str | None = None,
    origin: str | None = None,
    tiers: int = 2,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
) -> Analysis:
    """The seed report's view of trade in `product` over the whole network (see `screening.analyze`)."""
    try:
        digits = normalize_hs_prefix(product)
    except ValueError as exc:
        raise InputError(f"--product {product!r} is not an HS code or prefix: {exc}") from None
    if not 1 <= tiers <= 9:
        raise InputError(f"--tiers {tiers} is out of range (1 to 9)")
    countries: dict[str, str | None] = {}
    for option, value in (("--destination", destination), ("--origin", origin)):
        try:
            countries[option] = normalize_country(value) if value else None
        except ValueError:
            raise InputError(f"{option} {value!r} is not a country") from None
    window = Window.default(as_of or dt.date.today(), since)
    graph = snapshot(store).graph(store)
    return analyze_network(
        graph,
        rules.hs_inputs,
        product=digits,
        window=window,
        destination=countries["--destination"],
        origin=countries["--origin"],
        tiers=tiers,
        industries=rules.industries if rules.relied_on(digits) else (),
    )


def scenario(
    store: NetworkStore,
    rules: RuleSet,
    *,
    origin: str,
    hs: Sequence[str] = (),
    destination: str | None = None,
    companies: Sequence[str] = (),
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    max_tier: int = 4,
    top: int = 25,
) -> Scenario:
    """If `origin` stopped exporting goods of `hs`: who downstream is hit, and who else sells them
    (see `screening.scenario`). `companies` are network company ids or names (matched as a supplier
    name would be; a name that matches no company, or several, is refused)."""
    try:
        origin_code = normalize_country(origin)
    except ValueError:
        raise InputError(f"--origin {origin!r} is not a country") from None
    prefixes: list[str] = []
    for item in hs:
        try:
            prefixes.append(normalize_hs_prefix(item))
        except ValueError as exc:
            raise InputError(f"--hs {item!r} is not an HS code or prefix: {exc}") from None
    try:
        destination_code = normalize_country(destination) if destination else None
    except ValueError:
        raise InputError(f"--destination {destination!r} is not a country") from None
    if not 1 <= max_tier <= 9:
        raise InputError(f"--max-tier {max_tier} is out of range (1 to 9)")
    if top < 1:
        raise InputError(f"--top {top} must be at least 1")
    window = Window.default(as_of or dt.date.today(), since)
    if window.since > window.as_of:
        raise InputError(f"--since {window.since} is after --as-of {window.as_of}")
    snap = snapshot(store)
    chosen = [_company_id(snap, name) for name in companies]
    return scenario_of_network(
        snap.graph(store),
        rules.hs_inputs,
        origin=origin_code,
        hs=tuple(dict.fromkeys(prefixes)),
        window=window,
        max_tier=max_tier,
        destination=destination_code,
        companies=chosen,
        top=top,
    )


def _company_id(snap: Snapshot, text: str) -> str:
    """A network company named by id, or by a name the matcher resolves to exactly one company."""
    if text in snap.companies:
        return text
    match = classify(snap.index.search(text), MatchConfig())
    if match.status == "matched" and match.company_id is not None:
        return match.company_id
    if match.status == "ambiguous":
        named = ", ".join(f"{c.company_id} ({c.name})" for c in match.candidates[:3])
        raise InputError(f"--company {text!r} is ambiguous: {named}; give a company id")
    raise InputError(f"--company {text!r} is no network company id and matches no company name")


# --------------------------------------------------------------------------------------------------
# The service's screening jobs (see `screening.jobs`)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stores:
    """The stores of one unit of work (one database transaction)."""

    network: ScreeningStore
    jobs: JobStore
    alerts: AlertStore


Scope = Callable[[], AbstractContextManager[Stores]]


def run_job(scope: Scope, job_id: str, rules: RuleSet, *, progress_every: float = 0.5) -> Job | None:
    """Run a submitted screening to its end, once: a job already done or failed is returned as it is.

    Three units of work: claim (the job is seen running), the screening itself with its progress
    committed apart at most every `progress_every` seconds, and finish (report and events together,
    only if no other run finished first). A crash anywhere leaves the job queued or running, and the
    next call (a redelivered task, the sweeper) runs it again from its stored submission.
    """
    with scope() as stores:
        job = stores.jobs.claim(job_id)
        if job is None:
            return stores.jobs.job(None, job_id)
        data = stores.jobs.job_input(job_id)
    try:
        submission = ingest.read_suppliers(data, job.filename, columns=job.columns)
    except InputError as exc:
        with scope() as stores:
            return stores.jobs.fail(job_id, str(exc))

    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == "screen" and (now - last[0] >= progress_every or done == total):
            last[0] = now
            with scope() as stores:
                stores.jobs.set_progress(job_id, done, total)

    with scope() as stores:
        previous = None
        if job.rescreen_of is not None:
            text = stores.jobs.report_json(job.tenant, job.rescreen_of)
            previous = json.loads(text) if text else None
        report = screen(
            stores.network,
            submission,
            rules,
            as_of=job.as_of,
            max_tier=job.max_tier,
            tenant=job.tenant,
            progress=progress,
        )
        text = render_json(report).decode("utf-8")
        finished = stores.jobs.finish(
            job_id,
            text,
            rules_version=report.provenance.rules_version,
            network_version=report.provenance.network_version,
            events=events_for(job_id, json.loads(text), previous),
        )
        stores.alerts.fan_out(job.tenant, job_id, dt.datetime.now(dt.UTC))
        return finished


def rescreen_outdated(stores: Stores, rules: RuleSet) -> list[Job]:
    """Queue a re-screen of every current screening made under other rules or another network version;
    each re-screen reports only the flags that changed (`screening.jobs.events_for`). The caller commits,
    then runs or enqueues the returned jobs. A screening already being re-screened is not queued twice."""
    network_version = stores.network.network_version()
    queued: list[Job] = []
    for job in stores.jobs.current_screenings():
        if job.rules_version == rules.version and job.network_version == network_version:
            continue
        new, created = rescreen(stores.jobs, job, submitted_by="system")
        if created:
            queued.append(new)
    return queued


# --------------------------------------------------------------------------------------------------
# Alerts: fan events out to subscriptions, deliver what is due (see `screening.alerts`)
# --------------------------------------------------------------------------------------------------


class AlertStore(Protocol):
    def fan_out(self, tenant: str, screening_id: str, now: dt.datetime) -> int: ...

    def due(
        self, now: dt.datetime, limit: int = 100, *, webhooks: bool | None = None
    ) -> list[DueDelivery]: ...

    def record_attempt(
        self,
        delivery_id: int,
        *,
        at: dt.datetime,
        status_code: int | None,
        error: str | None,
        duration_ms: float,
        delivered: bool,
        next_attempt_at: dt.datetime | None,
    ) -> None: ...

    def redeliver(self, tenant: str, subscription_id: str, delivery_id: int, now: dt.datetime) -> bool: ...


PostWebhook = Callable[[str, bytes, dict[str, str]], int]  # url, body, headers -> HTTP status


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: int
    retrying: int
    failed: int


def deliver_due_webhooks(
    store: AlertStore,
    secrets: Callable[[str], str],
    post: PostWebhook,
    *,
    now: dt.datetime,
    allow_loopback: bool,
    limit: int = 100,
) -> DeliveryOutcome:
    """Make every due webhook delivery's next attempt and record it: 2xx delivers; anything else (an
    error status, a refused connection, an address the guard refuses) is retried later with backoff
    until the retry period is over. Email subscriptions are left to the mail sender."""
    delivered = retrying = failed = 0
    for item in store.due(now, limit, webhooks=True):  # not stuck behind emails waiting for a digest
        url = item.subscription.url
        if url is None:
            continue
        body = event_body(item.event_id, item.event_type, item.event_created_at, item.payload)
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            check_destination(url, allow_loopback=allow_loopback)
            status = post(url, body, signed_headers(secrets(item.tenant), item.event_id, body, now))
        except Exception as exc:  # any failure of one attempt is recorded, then retried
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        if status is not None and not ok:
            error = f"HTTP {status}"
        later = None if ok else next_attempt(item.attempts + 1, item.created_at, now)
        store.record_attempt(
            item.id,
            at=now,
            status_code=status,
            error=error,
            duration_ms=(time.perf_counter() - started) * 1000,
            delivered=ok,
            next_attempt_at=later,
        )
        if ok:
            delivered += 1
        elif later is None:
            failed += 1
        else:
            retrying += 1
    return DeliveryOutcome(delivered, retrying, failed)


def redeliver(
    store: AlertStore, tenant: str, subscription_id: str, delivery_id: int, *, now: dt.datetime
) -> None:
    """Send one delivery of the tenant's subscription again: it is pending and due at `now`, and the
    next delivery round makes the attempt (same event, same `webhook-id`), retried with the usual
    backoff while the delivery's retry period lasts. Earlier attempts stay listed. NotFoundError when
    the delivery is not one of the tenant's active subscription's."""
    if not store.redeliver(tenant, subscription_id, delivery_id, now):
        raise NotFoundError(f"delivery {delivery_id} of subscription {subscription_id} not found")


SendEmail = Callable[[EmailMessage], None]


def send_due_emails(
    store: AlertStore,
    send: SendEmail,
    *,
    now: dt.datetime,
    sender: str,
    report_url: Callable[[str], str],
    digest: bool,
    limit: int = 500,
) -> int:
    """Email subscriptions: each high-severity flag event goes out at once, one message each; the other
    events wait for the daily digest (`digest=True`), one message per subscription. A message that
    cannot be sent is retried with the same backoff as webhooks. Returns the messages sent."""
    batches: dict[str, list[DueDelivery]] = {}
    for item in store.due(now, limit, webhooks=False):
        address = item.subscription.email
        if address is None:
            continue
        flag = item.payload.get("flag")
        if not isinstance(flag, dict):
            continue
        if flag.get("severity") == "high":
            batches[f"now:{item.id}"] = [item]
        elif digest:
            batches.setdefault(f"digest:{item.subscription.id}", []).append(item)
    sent = 0
    for key, items in batches.items():
        flags = [_flag_alert(item, report_url) for item in items]
        error: str | None = None
        started = time.perf_counter()
        address = items[0].subscription.email
        assert address is not None
        try:
            send(alert_email(sender, address, flags, digest=key.startswith("digest:")))
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        for item in items:
            later = None if error is None else next_attempt(item.attempts + 1, item.created_at, now)
            store.record_attempt(
                item.id,
                at=now,
                status_code=None,
                error=error,
                duration_ms=(time.perf_counter() - started) * 1000,
                delivered=error is None,
                next_attempt_at=later,
            )
        sent += error is None
    return sent


def _flag_alert(item: DueDelivery, report_url: Callable[[str], str]) -> FlagAlert:
    flag = item.payload.get("flag")
    if not isinstance(flag, dict):  # email subscriptions take flag events only (alerts.parse_subscription)
        raise InputError(f"event {item.event_id} ({item.event_type}) carries no flag to email")
    screening_id = str(item.payload.get("screening_id"))
    return FlagAlert(screening_id, item.event_type, flag, report_url(screening_id))
