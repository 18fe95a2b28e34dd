"""The review queue (`/ui/review`): across the tenant's done screenings that are the newest of their
lineage, the lines that need a person (ambiguous or unmatched, no decision in force), each with the
supplier as written and its candidates side by side (name, country, score, the score's explanation,
company id), and a decision per line: confirm or reject a candidate, or "new company". One line at a
time (its own button) or several at once (checkboxes, "Apply to selected"). `/ui/review/{id}` shows
one screening the same way.

Posting records the decisions and submits one re-screen exactly as the JSON API does
(`api.routes.review.record_decisions`), then sends the reviewer back to the queue with a notice naming
the re-screen. Decisions are the tenant's, keyed by the supplier's name and country, so they apply to
every later upload of the same supplier: the page lists the lines already decided with the decision in
force, and the tenant's decisions in force at the bottom."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.deps import RuntimeDep, take_token
from api.errors import NotReady, status_for
from api.repository import rescreens_running, review_heads, sql
from api.routes.review import (
    REVIEWED,
    LineDecisionIn,
    Review,
    ReviewLine,
    decisions_in_force,
    record_decisions,
    review_of,
)
from api.runtime import Runtime
from api.ui.pages import env, render
from api.ui.session import CsrfSessionDep, UiSession, UiSessionDep
from screening import jobs, services
from screening.decisions import Decision
from screening.errors import InputError, NotFoundError

router = APIRouter(prefix="/ui")

HEADS_MAX = 20  # screenings read for the queue (each one's report and input are parsed)
DECISIONS_SHOWN = 200
NOTE_MAX = 500

ScreeningPath = Annotated[str, Path(max_length=64)]


@dataclass(frozen=True, slots=True)
class Group:
    """One screening on the page: its lines needing a person, and its lines already decided."""

    job: jobs.Job
    review: Review
    waiting: list[ReviewLine]
    decided: list[ReviewLine]

    @property
    def newest(self) -> bool:
        return self.review.rescreened_by is None


def _group(job: jobs.Job, review: Review) -> Group:
    waiting: list[ReviewLine] = []
    decided: list[ReviewLine] = []
    for line in review.lines:  # one pass: `line not in waiting` compared models pairwise
        (waiting if line.status in REVIEWED and not line.decided else decided).append(line)
    return Group(job, review, waiting, decided)


def _rescreen_notice(stores: services.Stores, tenant: str, rescreen: str | None) -> jobs.Job | None:
    """The re-screen the notice names, when it is the tenant's and one (anything else is ignored)."""
    if not rescreen:
        return None
    job = stores.jobs.job(tenant, rescreen)
    return job if job is not None and job.rescreen_of else None


def _queue_page(
    request: Request,
    runtime: Runtime,
    session: UiSession,
    *,
    rescreen: str | None = None,
    decided: int = 0,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with runtime.scope() as stores:
        decisions = services.list_decisions(stores.network, session.tenant)
        in_force = decisions_in_force(decisions)
        heads = review_heads(sql(stores), session.tenant, limit=HEADS_MAX)
        groups = [_group(job, review_of(stores, session.tenant, job.id, in_force)) for job in heads]
        running = rescreens_running(sql(stores), session.tenant, limit=20)
        notice = _rescreen_notice(stores, session.tenant, rescreen)
    shown = [group for group in groups if group.waiting or group.decided]
    return render(
        request,
        "review.html.j2",
        title="Review queue",
        session=session,
        active="review",
        groups=shown,
        waiting_total=sum(len(group.waiting) for group in shown),
        running=running,
        notice=notice,
        decided_count=decided,
        error=error,
        decisions=_newest_first(decisions)[:DECISIONS_SHOWN],
        decisions_total=len(decisions),
        heads_max=HEADS_MAX,
        status_code=status_code,
    )


def _screening_page(
    request: Request,
    runtime: Runtime,
    session: UiSession,
    screening_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with runtime.scope() as stores:
        review = review_of(stores, session.tenant, screening_id)
        job = jobs.status(stores.jobs, session.tenant, screening_id)
        newer = stores.jobs.job(session.tenant, review.rescreened_by) if review.rescreened_by else None
    group = _group(job, review)
    return render(
        request,
        "review_screening.html.j2",
        title=f"Review of {job.filename}",
        session=session,
        active="review",
        group=group,
        newer=newer,
        error=error,
        status_code=status_code,
    )


def _newest_first(decisions: list[Decision]) -> list[Decision]:
    return sorted(decisions, key=lambda d: (d.decided_at, d.id or 0), reverse=True)


@router.get("/review", response_class=HTMLResponse)
def review_queue(
    request: Request,
    session: UiSessionDep,
    runtime: RuntimeDep,
    rescreen: Annotated[str | None, Query(max_length=64)] = None,
    decided: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> HTMLResponse:
    return _queue_page(request, runtime, session, rescreen=rescreen, decided=decided)


@router.get("/review/{screening_id}", response_class=HTMLResponse)
def review_screening(
    request: Request, session: UiSessionDep, runtime: RuntimeDep, screening_id: ScreeningPath
) -> HTMLResponse:
    return _screening_page(request, runtime, session, screening_id)


# -- deciding -------------------------------------------------------------------------------------------


def _text(form: FormData, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _line_number(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise InputError(f"{text!r} is not a line number") from None
    if not 1 <= number <= 10_000_000:
        raise InputError(f"{text!r} is not a line number")
    return number


def _item(form: FormData, line: int, *, new_company: bool = False) -> LineDecisionIn:
    """The decision the form gives line `line`: its chosen radio (`choice-N`), or new company."""
    note = _text(form, f"note-{line}", NOTE_MAX)
    choice = "new_company" if new_company else _text(form, f"choice-{line}", 200)
    if not choice:
        raise InputError(f"line {line}: choose confirm, reject or new company first")
    action, _, company = choice.partition(":")
    try:
        return LineDecisionIn.model_validate(
            {"line": line, "action": action, "company_id": company or None, "note": note}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "decision"
        raise InputError(f"line {line}: {field}: {first.get('msg', 'invalid')}") from None


def decisions_from_form(form: FormData) -> list[LineDecisionIn]:
    """The decisions a review form posts: `apply` is `line:N` (that line's choice), `selected` (each
    selected line's choice) or `new_company` (every selected line is a new company)."""
    apply = _text(form, "apply", 40)
    if apply.startswith("line:"):
        return [_item(form, _line_number(apply.removeprefix("line:")))]
    if apply not in ("selected", "new_company"):
        raise InputError(
            "the form did not say which lines to decide: use a line's button or Apply to selected"
        )
    selected = sorted({_line_number(str(value)) for value in form.getlist("select")})
    if not selected:
        raise InputError("select at least one line (its checkbox) before applying a decision to the selected")
    return [_item(form, line, new_company=apply == "new_company") for line in selected]


@router.post("/review/{screening_id}/decide")
async def decide(
    request: Request, session: CsrfSessionDep, runtime: RuntimeDep, screening_id: ScreeningPath
) -> Response:
    form = await request.form()  # already read (and cached) by the CSRF check
    back = "screening" if form.get("back") == "screening" else "queue"

    def work() -> Response:
        try:
            items = decisions_from_form(form)
            take_token(runtime, session.key_prefix)
            rescreen = record_decisions(runtime, session.tenant, session.key_prefix, screening_id, items)
        except (InputError, NotFoundError, NotReady) as exc:
            if back == "screening":
                return _screening_page(
                    request, runtime, session, screening_id, error=str(exc), status_code=status_for(exc)
                )
            return _queue_page(request, runtime, session, error=str(exc), status_code=status_for(exc))
        return RedirectResponse(
            f"/ui/review?rescreen={rescreen.id}&decided={len(rescreen.decisions)}", status_code=303
        )

    return await run_in_threadpool(work)


def _candidate_names(line: ReviewLine) -> dict[str, str]:
    return {c.company_id: c.name for c in line.candidates}


def _action_label(action: str) -> str:
    return {"confirm": "Confirmed", "reject": "Rejected", "new_company": "New company"}.get(action, action)


def _input_of(line: ReviewLine) -> dict[str, Any]:
    """The supplier as written, in the order a reader expects."""
    order = ("supplier_country", "supplier_address", "part_description", "hs_code", "annual_value_usd")
    labels = {
        "supplier_country": "Country",
        "supplier_address": "Address",
        "part_description": "Part",
        "hs_code": "HS code",
        "annual_value_usd": "Annual value (USD)",
    }
    return {labels[key]: line.input[key] for key in order if line.input.get(key)}


env.filters["review_action"] = _action_label
env.globals["review_candidate_names"] = _candidate_names
env.globals["review_supplier_facts"] = _input_of
