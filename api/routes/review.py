"""Match review: the lines of a done screening that need a person, and reviewers' decisions on them,
recorded (`screening.decisions`) and applied by a re-screen of the same list.

`GET /v1/screenings/{id}/review` lists the lines that are ambiguous or unmatched, or whose match a
decision produced, with their candidates and explanations from the stored report and the tenant's
decisions now in force for each supplier. `POST /v1/screenings/{id}/lines/{line}/decision` (and
`POST /v1/screenings/{id}/decisions` for several lines at once) records the decisions, keyed per tenant
by the supplier's name and country as the stored list writes them, and submits one re-screen of the
stored input with the same options (source `rescreen`, `rescreen_of` the screening decided on): its events
are only the flags that changed.

A lineage of screenings is decided on at its newest screening: one already re-screened answers 409
naming the newest. Each screening is re-screened at most once (`screening.jobs.rescreen`): the
re-screen's idempotency key `rescreen:<id>` is the one the re-screens after a rules or network change
use, so two requests racing on one screening make one re-screen, and the later request is refused with
nothing recorded. A re-screen that failed does not count: decisions go on the screening it re-screened,
and the next re-screen takes the key `rescreen:<id>:retry<n>`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlmodel import col

from api.deps import RateLimitedCallerDep, RuntimeDep, ScopeDep, TenantDep
from api.errors import NotReady
from api.repository import sql
from api.routes.screenings import ScreeningId, location
from api.runtime import Runtime
from api.schemas import Status, error_responses
from screening import ingest, jobs, services
from screening.decisions import Decision, effective
from screening.errors import InputError, InternalError, NotFoundError
from screening.model import SupplierLine
from screening.names import name_key
from screening.storage.service_repository import SqlServiceStore
from screening.storage.tables import ScreeningRow

router = APIRouter(prefix="/v1/screenings", tags=["review"])

Action = Literal["confirm", "reject", "new_company"]
MatchStatus = Literal["matched", "ambiguous", "unmatched"]
REVIEWED = ("ambiguous", "unmatched")
NOTE_MAX = 500
COMPANY_ID_MAX = 64
BULK_MAX = 1_000
LINEAGE_MAX = 10_000  # a bound on following re-screens, against a cycle no code makes

LineNumber = Annotated[int, Path(ge=1, le=10_000_000, description="The line of the report (header is 1).")]


# -- request and response bodies ------------------------------------------------------------------


class DecisionIn(BaseModel):
    """A reviewer's decision on one line: confirm or reject a candidate, or declare a new company."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    company_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=COMPANY_ID_MAX,
        description="The candidate confirmed or rejected; absent for new_company.",
    )
    note: str = Field(default="", max_length=NOTE_MAX, description="Why (shown in reports).")


class LineDecisionIn(DecisionIn):
    line: int = Field(ge=1, description="The line of the report decided on.")


class DecisionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: list[LineDecisionIn] = Field(min_length=1, max_length=BULK_MAX)


class CandidateOut(BaseModel):
    company_id: str
    name: str
    country: str | None
    score: float
    explanation: str
    matched_name: str = ""


class DecisionOut(BaseModel):
    id: int | None
    supplier_name: str
    country: str | None
    action: Action
    company_id: str | None
    decided_by: str
    decided_at: dt.datetime
    note: str


class ReviewLine(BaseModel):
    line: int
    input: dict[str, str]
    status: MatchStatus = Field(description="The match status in this screening's report.")
    company_id: str | None
    score: float
    explanation: str
    candidates: list[CandidateOut]
    decision: str | None = Field(description="The decision this screening applied to the line, if any.")
    decided: bool = Field(description="Whether a decision of the tenant applies to this supplier now.")
    pending: bool = Field(
        description="A decision in force was recorded after this screening started: a re-screen applies it."
    )
    decisions: list[DecisionOut] = Field(description="The tenant's decisions in force for this supplier.")


class Review(BaseModel):
    screening_id: str
    rescreened_by: str | None = Field(
        description="The newest re-screen of this screening: decisions are taken on that one."
    )
    lines: list[ReviewLine]


class RecordedDecision(DecisionOut):
    line: int


class Rescreen(BaseModel):
    id: str = Field(description="The re-screen submitted to apply the decisions.")
    status: Status
    rescreen_of: str
    decisions: list[RecordedDecision]


# -- reading a screening for review ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reviewed:
    """A done screening as review needs it: its report lines, its supplier lines and the decisions in
    force for its suppliers (by name key)."""

    job: jobs.Job
    lines: dict[int, Mapping[str, Any]]
    suppliers: dict[int, SupplierLine]
    in_force: dict[str, tuple[Decision, ...]]

    def key(self, line: int) -> str:
        supplier = self.suppliers.get(line)
        if supplier is None:  # the report was made from this very input
            raise InternalError(f"line {line} of screening {self.job.id} is not in its stored input")
        return name_key(supplier.supplier_name, supplier.supplier_country)


def _reviewed(
    stores: services.Stores,
    tenant: str,
    screening_id: str,
    in_force: dict[str, tuple[Decision, ...]] | None = None,
) -> _Reviewed:
    job = jobs.status(stores.jobs, tenant, screening_id)
    if job.status != "done":
        raise NotReady(f"screening {job.id} is {job.status}; only a done screening is reviewed")
    report = jobs.report_json(stores.jobs, tenant, job.id)
    try:
        found = json.loads(report)["lines"]
        lines = {int(line["line"]): line for line in found}
    except (ValueError, KeyError, TypeError) as exc:
        raise InternalError(f"the stored report of screening {job.id} cannot be read: {exc}") from exc
    submission = ingest.read_suppliers(stores.jobs.job_input(job.id), job.filename, columns=job.columns)
    suppliers = {line.line: line for line in submission.lines}
    if in_force is None:
        in_force = _in_force(services.list_decisions(stores.network, tenant))
    return _Reviewed(job, lines, suppliers, in_force)


def _in_force(decisions: Iterable[Decision]) -> dict[str, tuple[Decision, ...]]:
    """The decisions in force by the name key today's normaliser gives them (as `services.screen` does)."""
    by_key: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_key.setdefault(name_key(decision.supplier_name, decision.country), []).append(decision)
    return {key: effective(found) for key, found in by_key.items()}


def _match(line: Mapping[str, Any]) -> Mapping[str, Any]:
    match = line.get("match")
    return match if isinstance(match, Mapping) else {}


def _reviewable(line: Mapping[str, Any]) -> bool:
    """Ambiguous or unmatched, or matched by a reviewer's decision (which a later decision may change)."""
    match = _match(line)
    return match.get("status") in REVIEWED or bool(match.get("decision"))


def _candidates(line: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in _match(line).get("candidates") or () if isinstance(c, Mapping)]


def _newer(store: SqlServiceStore, tenant: str, screening_id: str) -> jobs.Job | None:
    """The newest screening of the lineage after `screening_id` (re-screens of re-screens), if any."""
    tenant_id = store.tenant_id(tenant)
    newest: jobs.Job | None = None
    current = screening_id
    for _ in range(LINEAGE_MAX):
        child = store.session.execute(
            select(col(ScreeningRow.id))
            .where(
                col(ScreeningRow.tenant_id) == tenant_id,
                col(ScreeningRow.rescreen_of) == current,
                col(ScreeningRow.status) != "failed",  # a failed re-screen does not hold the lineage
            )
            .order_by(col(ScreeningRow.created_at).desc())
            .limit(1)
        ).scalar_one_or_none()
        if child is None:
            break
        newest = store.job(tenant, child)
        current = child
    return newest


def _decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        id=decision.id,
        supplier_name=decision.supplier_name,
        country=decision.country,
        action=decision.action,
        company_id=decision.company_id,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
        note=decision.note,
    )


def _review_line(reviewed: _Reviewed, number: int, line: Mapping[str, Any]) -> ReviewLine:
    match = _match(line)
    in_force = reviewed.in_force.get(reviewed.key(number), ())
    started = reviewed.job.started_at
    return ReviewLine(
        line=number,
        input={str(k): str(v) for k, v in (line.get("input") or {}).items()},
        status=match.get("status", "unmatched"),
        company_id=match.get("company_id"),
        score=float(match.get("score") or 0.0),
        explanation=str(match.get("explanation") or ""),
        candidates=[CandidateOut.model_validate(c) for c in _candidates(line)],
        decision=match.get("decision"),
        decided=bool(in_force),
        pending=started is not None and any(d.decided_at > started for d in in_force),
        decisions=[_decision_out(d) for d in in_force],
    )


@router.get(
    "/{screening_id}/review",
    response_model=Review,
    responses=error_responses(401, 404, 409),
    summary="The lines of a done screening that need a reviewer, with their candidates",
)
def review(screening_id: ScreeningId, tenant: TenantDep, scope: ScopeDep) -> Review:
    with scope() as stores:
        return review_of(stores, tenant, screening_id)


def review_of(
    stores: services.Stores,
    tenant: str,
    screening_id: str,
    in_force: dict[str, tuple[Decision, ...]] | None = None,
) -> Review:
    """The review of one done screening of `tenant` (the JSON route and the UI's pages show it):
    NotFoundError for another tenant's, NotReady for one not done. `in_force` (from `decisions_in_force`)
    saves reading the tenant's decisions again when several screenings are read in one unit of work."""
    reviewed = _reviewed(stores, tenant, screening_id, in_force)
    newer = _newer(sql(stores), tenant, screening_id)
    lines = [
        _review_line(reviewed, number, line)
        for number, line in sorted(reviewed.lines.items())
        if _reviewable(line)
    ]
    return Review(screening_id=screening_id, rescreened_by=newer.id if newer else None, lines=lines)


def decisions_in_force(decisions: Iterable[Decision]) -> dict[str, tuple[Decision, ...]]:
    """The tenant's decisions (`services.list_decisions`) in force by name key, for `review_of`."""
    return _in_force(decisions)


# -- deciding -------------------------------------------------------------------------------------


def _check_shape(item: LineDecisionIn, where: str) -> None:
    """What the body alone says is wrong: a company named or missing for the action."""
    if item.action == "new_company" and item.company_id is not None:
        raise InputError(f"{where}company_id must be absent for a new_company decision (it names no company)")
    if item.action != "new_company" and item.company_id is None:
        raise InputError(f"{where}company_id is required for a {item.action} decision")


def _check_line(reviewed: _Reviewed, item: LineDecisionIn, where: str) -> None:
    line = reviewed.lines.get(item.line)
    if line is None:
        raise NotFoundError(f"{where}line {item.line} is not a line of screening {reviewed.job.id}")
    match = _match(line)
    if not _reviewable(line):
        raise NotReady(
            f"{where}line {item.line} is matched to {match.get('company_id')} by the matcher; "
            "only ambiguous or unmatched lines, or lines a decision matched, take a decision"
        )
    if item.company_id is None:
        return
    # The candidates shown, the company matched, and the companies of the decisions in force (so that
    # a company rejected earlier, and so no longer a candidate, can still be confirmed).
    known = [str(c.get("company_id")) for c in _candidates(line)]
    if match.get("company_id"):
        known.append(str(match["company_id"]))
    in_force = reviewed.in_force.get(reviewed.key(item.line), ())
    known.extend(d.company_id for d in in_force if d.company_id is not None)
    if item.company_id not in known:
        shown = ", ".join(dict.fromkeys(known)) or "none"
        raise InputError(
            f"{where}company_id {item.company_id!r} is not a candidate of line {item.line} "
            f"(candidates: {shown})"
        )


def _described(number: int, decision: Decision) -> str:
    target = f" {decision.company_id}" if decision.company_id else ""
    note = f" ({decision.note})" if decision.note else ""
    return (
        f"line {number}: {decision.action}{target} for '{decision.supplier_name}' "
        f"({decision.country or '?'}), decision {decision.id}{note}"
    )


def record_decisions(
    runtime: Runtime,
    tenant: str,
    actor: str,
    screening_id: str,
    items: Sequence[LineDecisionIn],
    label: str = "",
) -> Rescreen:
    """Record `items` on a done screening of `tenant` (decided by `actor`, a key prefix) and submit one
    re-screen, in one transaction, then dispatch it: a refusal records nothing. `label` names the items
    in errors (`decisions[1] (line 3): ...`); the JSON routes and the UI's review page call this."""

    def where(index: int) -> str:
        return f"{label}[{index}] (line {items[index].line}): " if label else ""

    for index, item in enumerate(items):
        _check_shape(item, where(index))
    with runtime.scope() as stores:
        reviewed = _reviewed(stores, tenant, screening_id)
        store = sql(stores)
        newer = _newer(store, tenant, screening_id)
        if newer is not None:
            raise NotReady(
                f"screening {screening_id} was re-screened; decide on the newest screening of its "
                f"lineage, {newer.id} ({newer.status})"
            )
        for index, item in enumerate(items):
            _check_line(reviewed, item, where(index))
        recorded: list[tuple[int, Decision]] = []
        for item in items:
            supplier = reviewed.suppliers[item.line]
            decision = services.record_decision(
                stores.network,
                tenant,
                supplier.supplier_name,
                supplier.supplier_country,
                item.action,
                item.company_id,
                decided_by=actor,
                note=item.note,
            )
            recorded.append((item.line, decision))
        job = reviewed.job
        new, created = jobs.rescreen(stores.jobs, job, submitted_by=actor)
        if not created:  # a concurrent request re-screened it first: this one records nothing
            raise NotReady(
                f"screening {screening_id} was re-screened meanwhile as {new.id}; decide on {new.id}"
            )
        for number, decision in recorded:
            store.audit(tenant, actor, "decided", job.id, _described(number, decision))
        store.audit(
            tenant,
            actor,
            "submitted",
            new.id,
            f"rescreen of {job.id} after {len(recorded)} decision(s)",
        )
    runtime.runner.dispatch(new.id)  # committed first, as for every submission
    return Rescreen(
        id=new.id,
        status=new.status,
        rescreen_of=job.id,
        decisions=[
            RecordedDecision(line=number, **_decision_out(decision).model_dump())
            for number, decision in recorded
        ],
    )


@router.post(
    "/{screening_id}/lines/{line}/decision",
    status_code=202,
    response_model=Rescreen,
    responses=error_responses(401, 404, 409, 422, 429),
    summary="Decide on one line's match and re-screen the list with the decision",
)
def decide_line(
    screening_id: ScreeningId,
    line: LineNumber,
    body: DecisionIn,
    caller: RateLimitedCallerDep,
    runtime: RuntimeDep,
    response: Response,
) -> Rescreen:
    item = LineDecisionIn(line=line, **body.model_dump())
    rescreen = record_decisions(runtime, caller.tenant, caller.key_prefix, screening_id, [item])
    response.headers["Location"] = location(rescreen.id)
    return rescreen


@router.post(
    "/{screening_id}/decisions",
    status_code=202,
    response_model=Rescreen,
    responses=error_responses(401, 404, 409, 422, 429),
    summary="Decide on several lines and re-screen the list once with all the decisions",
)
def decide_lines(
    screening_id: ScreeningId,
    body: DecisionsIn,
    caller: RateLimitedCallerDep,
    runtime: RuntimeDep,
    response: Response,
) -> Rescreen:
    rescreen = record_decisions(
        runtime, caller.tenant, caller.key_prefix, screening_id, body.decisions, label="decisions"
    )
    response.headers["Location"] = location(rescreen.id)
    return rescreen
