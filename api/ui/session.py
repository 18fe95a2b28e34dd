"""Who is using the web UI: a signed session cookie made at login from an API key, and the CSRF token
every form posts back.

The cookie (Starlette's `SessionMiddleware`: signed, `HttpOnly`, `SameSite=Lax`, `Secure` when
`TIERSIGHT_SESSION_SECURE_COOKIE`) holds the tenant, the key's prefix, the CSRF token and the login
time, never the key itself; each request checks that the key with that prefix is still live (through the
key cache), so revoking the key ends its sessions too. `SameSite=Lax` keeps a session when an analyst
follows a link from an alert email; every state-changing request is a POST that must carry the token
(`csrf_token` form field, or the `X-CSRF-Token` header for scripts)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from api.deps import RuntimeDep
from api.errors import ApiError, Forbidden

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(ApiError):
    """No live session: the page answers with a redirect to the login page (see `api.ui.install`)."""

    def __init__(self, next_path: str) -> None:
        super().__init__("log in with an API key to use this page")
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class UiSession:
    tenant: str
    tenant_id: int
    key_prefix: str
    csrf_token: str


def start(request: Request, tenant: str, key_prefix: str) -> None:
    """A new session (any previous one is dropped: no fixation)."""
    request.session.clear()
    request.session.update(
        tenant=tenant, key_prefix=key_prefix, csrf=secrets.token_urlsafe(32), at=int(time.time())
    )


def end(request: Request) -> None:
    request.session.clear()


def login_csrf(request: Request) -> str:
    """The token of the login form itself (kept in the session before anyone logs in)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def current(request: Request, runtime: RuntimeDep) -> UiSession | None:
    """The live session of this request, or None."""
    data = request.session
    prefix, tenant, token = data.get("key_prefix"), data.get("tenant"), data.get("csrf")
    if not (isinstance(prefix, str) and isinstance(tenant, str) and isinstance(token, str)):
        return None
    stored = runtime.keys.live(prefix)
    if stored is None or stored.tenant != tenant:
        end(request)
        return None
    return UiSession(tenant=tenant, tenant_id=stored.tenant_id, key_prefix=prefix, csrf_token=token)


def required(request: Request, runtime: RuntimeDep) -> UiSession:
    """The live session, or a redirect to the login page that comes back here."""
    found = current(request, runtime)
    if found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return found


UiSessionDep = Annotated[UiSession, Depends(required)]


async def checked_csrf(request: Request, session: UiSessionDep) -> UiSession:
    """The session, once the request carried its CSRF token (403 otherwise): for every POST of the UI."""
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()  # cached by Starlette: the route reads the same form
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if presented is None or not secrets.compare_digest(presented, session.csrf_token):
        raise Forbidden("the form has expired or did not come from this site; reload the page and try again")
    return session


CsrfSessionDep = Annotated[UiSession, Depends(checked_csrf)]


def login_url(next_path: str) -> str:
    return "/ui/login?next=" + quote(next_path, safe="/")
