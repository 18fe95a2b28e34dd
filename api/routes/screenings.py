"""`/v1/screenings`: submit a supplier list, follow its status, download its report (CONTRACT section 7)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from api.deps import Caller, RateLimitedCallerDep, RuntimeDep, ScopeDep, TenantDep
from api.errors import NotReady
from api.reports import report_from_json
from api.repository import sql, tenant_jobs
from api.runtime import Runtime
from api.schemas import (
    Accepted,
    ScreeningList,
    ScreeningStatus,
    Status,
    error_responses,
    submission_body,
)
from api.submissions import Body, as_of_value, max_tier_value, option, read_body, submission
from screening import jobs
from screening.errors import InputError
from screening.jobs import MAX_TIER_RANGE
from screening.report import MEDIA_TYPES, render
from screening.services import Scope

router = APIRouter(prefix="/v1/screenings", tags=["screenings"])

# The idempotency keys of ERP webhook screenings (`erp:<webhook-id>`), apart from callers' own keys.
ERP_KEY_PREFIX = "erp:"

ScreeningId = Annotated[str, Path(max_length=64, description="The id returned by the submission.")]
ReportFormat = Literal["json", "csv", "html", "xlsx"]


def location(job_id: str) -> str:
    return f"/v1/screenings/{job_id}"


@router.post(
    "",
    status_code=202,
    response_model=Accepted,
    openapi_extra=submission_body(),
    responses=error_responses(400, 401, 413, 415, 422, 429),
    summary="Submit a supplier list or bill of materials for screening",
)
def submit(
    caller: RateLimitedCallerDep,
    body: Annotated[Body, Depends(read_body)],
    runtime: RuntimeDep,
    response: Response,
    as_of: Annotated[dt.date | None, Query(description="Window end; default today.")] = None,
    max_tier: Annotated[int | None, Query(ge=MAX_TIER_RANGE[0], le=MAX_TIER_RANGE[1])] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Submitting again with the same key returns the first screening.",
        ),
    ] = None,
) -> Accepted:
    check_idempotency_key(idempotency_key)
    new = submission(
        body,
        submitted_by=caller.key_prefix,
        as_of=option("as_of", as_of_value(body.as_of), as_of),
        max_tier=option("max_tier", max_tier_value(body.max_tier), max_tier),
        idempotency_key=idempotency_key,
    )
    job = submit_screening(runtime, caller, new)
    response.headers["Location"] = location(job.id)
    return Accepted(id=job.id, status=job.status)


def check_idempotency_key(idempotency_key: str | None) -> None:
    """A caller's own key may not use the prefixes kept for ERP webhooks and re-screens."""
    if idempotency_key is not None and idempotency_key.startswith(ERP_KEY_PREFIX):
        raise InputError(f"an Idempotency-Key may not start with {ERP_KEY_PREFIX!r} (kept for ERP webhooks)")
    if idempotency_key is not None and idempotency_key.startswith(jobs.RESCREEN_KEY_PREFIX):
        raise InputError(
            f"an Idempotency-Key may not start with {jobs.RESCREEN_KEY_PREFIX!r} (kept for re-screens)"
        )


def submit_screening(runtime: Runtime, caller: Caller, new: jobs.Submission) -> jobs.Job:
    """Store the caller's submission as a queued screening (or find the one its idempotency key
    names), audit it, and once committed run or enqueue it: this route and the web UI's upload page
    submit through here."""
    with runtime.scope() as stores:
        store = sql(stores)
        store.remember_tenant(caller.tenant, caller.tenant_id)
        job, created = jobs.submit(store, caller.tenant, new)
        if created:
            detail = f"{job.source} {job.filename} ({len(new.data)} bytes, sha256 {job.input_sha256[:12]})"
            store.audit(caller.tenant, caller.key_prefix, "submitted", job.id, detail)
    if created:  # committed: a runner never looks for a job not yet stored
        runtime.runner.dispatch(job.id)
    return job


@router.get(
    "",
    response_model=ScreeningList,
    responses=error_responses(401),
    summary="The tenant's screenings, newest first",
)
def list_screenings(
    tenant: TenantDep,
    scope: ScopeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    status: Status | None = None,
) -> ScreeningList:
    with scope() as stores:
        found = tenant_jobs(sql(stores), tenant, limit=limit, status=status)
    return ScreeningList(screenings=[ScreeningStatus.model_validate(job.as_dict()) for job in found])


@router.get(
    "/{screening_id}",
    response_model=ScreeningStatus,
    responses=error_responses(401, 404),
    summary="Status and progress of a screening",
)
def get_screening(screening_id: ScreeningId, tenant: TenantDep, scope: ScopeDep) -> ScreeningStatus:
    with scope() as stores:
        job = jobs.status(stores.jobs, tenant, screening_id)
    return ScreeningStatus.model_validate(job.as_dict())


@router.get(
    "/{screening_id}/report",
    responses={
        200: {
            "description": "The report (CONTRACT section 6) in the format asked for.",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        **error_responses(401, 404, 409),
    },
    response_class=Response,
    summary="The report of a finished screening",
)
def get_report(
    screening_id: ScreeningId,
    tenant: TenantDep,
    scope: ScopeDep,
    format: ReportFormat = "json",
) -> Response:
    return report_download(scope, tenant, screening_id, format)


def report_download(scope: Scope, tenant: str, screening_id: str, format: ReportFormat) -> Response:
    """The report of the tenant's finished screening in a format (409 while it is not done, 404 for
    an unknown or another tenant's id): this route's answer, and the web UI's download links'."""
    with scope() as stores:
        job = jobs.status(stores.jobs, tenant, screening_id)
        if job.status != "done":
            raise NotReady(_not_ready(job))
        text = jobs.report_json(stores.jobs, tenant, screening_id)
    if format == "json":
        return Response(text, media_type=MEDIA_TYPES["json"])
    content = render(report_from_json(text), format)
    headers = {}
    if format in ("csv", "xlsx"):
        headers["Content-Disposition"] = f'attachment; filename="screening-{screening_id}.{format}"'
    return Response(content, media_type=MEDIA_TYPES[format], headers=headers)


def _not_ready(job: jobs.Job) -> str:
    if job.status == "failed":
        return f"screening {job.id} failed and has no report: {job.error or 'no reason recorded'}"
    progress = f" ({job.lines_done} of {job.lines_total} lines)" if job.lines_total else ""
    return f"screening {job.id} is {job.status}{progress}; its report is ready when the status is done"
