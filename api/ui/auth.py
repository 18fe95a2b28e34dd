"""Logging in with an API key, logging out, and the UI's front door."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RuntimeDep
from api.errors import Forbidden
from api.ui import session as sessions
from api.ui.pages import render
from api.ui.session import CsrfSessionDep
from screening import jobs

router = APIRouter(prefix="/ui")

HOME = "/ui/screenings"


def _safe_next(value: str | None) -> str:
    """Only a path of the UI itself (no other site, no scheme-relative `//host`)."""
    if value and value.startswith("/ui/") and not value.startswith("//"):
        return value
    return HOME


@router.get("", response_class=RedirectResponse)
@router.get("/", response_class=RedirectResponse)
def index() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, runtime: RuntimeDep, next: str | None = None) -> Response:
    if sessions.current(request, runtime) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request,
        "login.html.j2",
        title="Log in",
        session=None,
        csrf_token=sessions.login_csrf(request),
        next_path=_safe_next(next),
        error=None,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    runtime: RuntimeDep,
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(csrf_token, expected):
        raise Forbidden("the login form has expired; reload the page and try again")
    key = api_key.strip()
    stored = await run_in_threadpool(runtime.keys.tenant_of, key) if key else None
    if stored is None:
        return render(
            request,
            "login.html.j2",
            title="Log in",
            session=None,
            status_code=401,
            csrf_token=sessions.login_csrf(request),
            next_path=_safe_next(next),
            error="That API key is not valid. Keys start with ts_ and are printed once by "
            "`tiersight apikey create`.",
        )
    sessions.start(request, stored.tenant, key[: jobs.PREFIX_LENGTH])
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
async def logout(request: Request, _session: CsrfSessionDep) -> RedirectResponse:
    sessions.end(request)
    return RedirectResponse("/ui/login", status_code=303)
