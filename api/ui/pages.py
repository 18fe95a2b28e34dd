"""Rendering the UI's pages: one jinja2 environment over `api/templates/ui/`, autoescaped, an undefined
name an error; every page extends `ui/base.html.j2` (navigation, the session's tenant, the logout form).
Page modules add their own filters to `env` at import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from api.ui.session import CSRF_FIELD, UiSession

env = jinja2.Environment(
    loader=jinja2.PackageLoader("api", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# (key, label, path) of the navigation, in order.
NAV: tuple[tuple[str, str, str], ...] = (
    ("upload", "Upload", "/ui/upload"),
    ("screenings", "Screenings", "/ui/screenings"),
    ("review", "Review", "/ui/review"),
    ("alerts", "Alerts", "/ui/alerts"),
    ("analyze", "Analyze", "/ui/analyze"),
    ("scenario", "What-if", "/ui/scenario"),
)


def render(
    request: Request,
    template: str,
    *,
    title: str,
    session: UiSession | None,
    active: str = "",
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page `ui/<template>` with the layout's context: title, navigation, tenant and CSRF token."""
    html = env.get_template(f"ui/{template}").render(
        title=title,
        nav=NAV if session is not None else (),
        active=active,
        session=session,
        csrf_field=CSRF_FIELD,
        csrf_token=session.csrf_token if session is not None else context.pop("csrf_token", ""),
        request_path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error as a page of the UI (the JSON API answers `{"detail": ...}` instead)."""
    return render(
        request,
        "error.html.j2",
        title=f"Error {status}",
        session=None,
        status_code=status,
        status=status,
        detail=detail,
    )
