"""The web UI for compliance teams (CONTRACT section 7's service, in a browser): server-rendered pages
under `/ui/` over the same domain calls as the JSON API, with the same API keys (a login page takes a
key and keeps a signed session cookie), CSRF-protected forms, and every asset served from
`api/static/` (nothing is fetched from the internet).

`install(app)` adds the session middleware, the static files, the pages, and the HTML error page and
login redirect for `/ui/` paths."""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api.settings import ApiSettings
from api.ui import alerts, analysis, auth, report, review, screenings, upload
from api.ui.pages import error_page
from api.ui.session import LoginRequired, login_url

PAGES = (auth, upload, screenings, report, review, alerts, analysis)


async def _login_required(_request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(login_url(exc.next_path), status_code=303)


def install(app: FastAPI, settings: ApiSettings) -> None:
    secret = (
        settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="tiersight_session",
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=settings.session_secure_cookie,
    )
    app.mount("/ui/static", StaticFiles(packages=[("api", "static")]), name="ui-static")
    for page in PAGES:
        app.include_router(page.router, include_in_schema=False)
    app.add_exception_handler(LoginRequired, _login_required)
    app.state.ui_error_page = error_page
