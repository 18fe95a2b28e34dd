"""The tenant's screenings with status and live progress (`/ui/screenings`); `status.json` feeds the
page's script, which updates the rows still queued or running every couple of seconds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import RuntimeDep
from api.repository import sql, tenant_jobs
from api.ui.pages import env, render
from api.ui.session import UiSessionDep
from screening import jobs

router = APIRouter(prefix="/ui")

FINISHED = ("done", "failed")


def row(job: jobs.Job) -> dict[str, Any]:
    """What the page and its script show of a screening."""
    return {
        "id": job.id,
        "status": job.status,
        "filename": job.filename,
        "source": job.source,
        "lines_done": job.lines_done,
        "lines_total": job.lines_total,
        "progress": f"{job.lines_done} of {job.lines_total} lines" if job.lines_total else "waiting to start",
        "created_at": job.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        "finished": job.status in FINISHED,
        "error": job.error or "",
        "rescreen_of": job.rescreen_of or "",
    }


def _status_label(value: str) -> str:
    return {"queued": "Queued", "running": "Running", "done": "Done", "failed": "Failed"}.get(value, value)


env.filters["status_label"] = _status_label


@router.get("/screenings", response_class=HTMLResponse)
def screenings_page(
    request: Request,
    session: UiSessionDep,
    runtime: RuntimeDep,
    submitted: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    with runtime.scope() as stores:
        found = tenant_jobs(sql(stores), session.tenant, limit=200, status=None)
    return render(
        request,
        "screenings.html.j2",
        title="Screenings",
        session=session,
        active="screenings",
        rows=[row(job) for job in found],
        submitted=submitted,
    )


@router.get("/screenings/status.json")
async def screenings_status(
    session: UiSessionDep,
    runtime: RuntimeDep,
    ids: Annotated[list[str], Query(max_length=100)],
) -> JSONResponse:
    """The status of the tenant's screenings named by `ids` (unknown or others' ids are left out)."""

    def read() -> list[dict[str, Any]]:
        with runtime.scope() as stores:
            found = (stores.jobs.job(session.tenant, job_id) for job_id in ids[:100])
            return [row(job) for job in found if job is not None]

    return JSONResponse({"screenings": await run_in_threadpool(read)})
