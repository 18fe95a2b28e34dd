"""Frozen value types that flow down the screening line.

ingest -> SupplierLine / RowError; network load -> Company / Shipment;
matching -> Candidate / Match; tracing + rules -> UpstreamCell / Flag; report -> LineResult / Report.

Nothing here knows about storage, HTTP or queues. Every type is immutable so a
value can be shared between threads (the embedded API's pool) without copying.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

MatchStatus = Literal["matched", "ambiguous", "unmatched"]
RuleKind = Literal["export_control", "tariff", "restricted_party"]
Severity = Literal["high", "medium", "low", "info"]

SEVERITY_ORDER: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True, slots=True)
class RowError:
    """An unusable row (or cell) of a submitted file: 1-based line, canonical column, plain message."""

    line: int
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class SupplierLine:
    """One row of a supplier list or bill of materials, typed and normalised.

    `line` is the 1-based row number counting the header as line 1 (JSON: 1-based array index).
    `input` echoes the row's recognised columns as written, for the report.
    """

    line: int
    supplier_name: str
    supplier_country: str | None = None
    supplier_address: str | None = None
    supplier_ref: str | None = None
    part_number: str | None = None
    part_description: str | None = None
    parent_part_number: str | None = None
    hs_code: str | None = None  # digits only, 6..10
    annual_value_usd: float | None = None
    input: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Company:
    """A company of the network: from the registry, or derived by clustering bill-of-lading names."""

    company_id: str
    name: str
    country: str | None = None
    address: str | None = None
    aliases: tuple[str, ...] = ()
    lei: str | None = None


@dataclass(frozen=True, slots=True)
class Shipment:
    """One bill-of-lading line after entity resolution: parties are company ids, hs_code is digits."""

    shipment_id: str
    shipper_id: str
    consignee_id: str
    hs_code: str
    value_usd: float
    date: dt.date
    origin_country: str | None = None  # origin of the goods, else the shipper's country (resolved at load)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A network company proposed for a supplier name, with a score in [0, 1] and its reasons."""

    company_id: str
    name: str
    country: str | None
    score: float
    explanation: str
    matched_name: str = ""  # which of the company's names (primary or alias) scored best


@dataclass(frozen=True, slots=True)
class Match:
    """The matching verdict for one line: the chosen company (when matched) and all candidates."""

    status: MatchStatus
    company_id: str | None = None
    name: str | None = None
    country: str | None = None
    score: float = 0.0
    explanation: str = ""
    candidates: tuple[Candidate, ...] = ()
    decision: str | None = None  # set when a reviewer's stored decision produced this match


@dataclass(frozen=True, slots=True)
class UpstreamCell:
    """Summed value of counted shipments (or the line itself at tier 1) for one tier and origin."""

    tier: int
    origin: str
    value_usd: float
    shipments: int


@dataclass(frozen=True, slots=True)
class PathStep:
    """One hop of an evidence path: the company reached, its tier, and the shipment that reached it."""

    company_id: str
    tier: int
    shipment_id: str | None = None
    name: str | None = None
    hs_code: str | None = None
    date: dt.date | None = None
    origin: str | None = None
    value_usd: float | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """At most one per line and rule: the lowest tier hit, summed value and count of hits, one path."""

    rule_id: str
    kind: RuleKind
    severity: Severity
    tier: int
    value_usd: float
    hits: int
    path: tuple[PathStep, ...]
    title: str = ""
    note: str = ""
    source: str = ""
    tariff_rate_pct: float | None = None
    tariff_basis: str | None = None  # what the rate applies to ("full value", "steel content")
    value_by_tier: tuple[tuple[int, float], ...] = ()  # (tier, value of the hits there), by tier


@dataclass(frozen=True, slots=True)
class LineResult:
    line: int
    input: dict[str, str]
    match: Match
    upstream: tuple[UpstreamCell, ...] = ()
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True, slots=True)
class TopSupplier:
    company_id: str
    name: str
    country: str | None
    value_usd: float
    recipients: int


@dataclass(frozen=True, slots=True)
class Summary:
    lines: int
    matched: int
    ambiguous: int
    unmatched: int
    flagged_lines: int
    upstream: tuple[UpstreamCell, ...]
    top_upstream_suppliers: tuple[TopSupplier, ...]
    flags_by_severity: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a report was computed from, so that a past screening can be explained and replayed."""

    rules_version: str
    network_version: str
    matcher_version: str
    input_sha256: str
    input_name: str
    generated_at: str


@dataclass(frozen=True, slots=True)
class Report:
    as_of: dt.date
    since: dt.date
    max_tier: int
    provenance: Provenance
    lines: tuple[LineResult, ...]
    summary: Summary
    errors: tuple[RowError, ...]
