"""The only table from error classes to HTTP status codes, and the handlers that apply it.

Domain errors (`screening.errors`) carry no status; the transport's own refusals are the small classes
below. Every error body is `{"detail": "<one plain sentence>"}`. Bad input is never a 500: a 500 means a
defect or an environment failure, and its body says no more than that.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError

from screening.errors import (
    InputError,
    InternalError,
    NetworkLoadError,
    NotFoundError,
    RuleError,
    TiersightError,
    UnreadableFileError,
)

log = logging.getLogger("api")


class ApiError(Exception):
    """A refusal that belongs to the transport (credentials, request shape, quotas), not to the domain."""

    def __init__(self, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})


class Unauthorized(ApiError):
    """No credentials, or credentials that do not verify (a key, a webhook signature)."""


class MalformedRequest(ApiError):
    """The request cannot be parsed at all (a body that is not JSON, a form without its file)."""


class NotReady(ApiError):
    """The resource exists but is not in the state the request needs (a report before it is done)."""


class PayloadTooLarge(ApiError):
    """The body exceeds the configured upload limit."""


class UnsupportedMediaType(ApiError):
    """A body of a content type the endpoint does not take."""


class RateLimited(ApiError):
    """The caller's token bucket is empty; `Retry-After` says when one token is back."""


class Unavailable(ApiError):
    """A dependency (database, broker) cannot be reached."""


class Forbidden(ApiError):
    """A form of the web UI without the session's CSRF token."""


STATUS: dict[type[Exception], int] = {
    # the domain
    NotFoundError: 404,
    UnreadableFileError: 422,
    RuleError: 422,
    NetworkLoadError: 422,
    InputError: 422,
    InternalError: 500,
    TiersightError: 500,
    # the transport
    MalformedRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotReady: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    RateLimited: 429,
    Unavailable: 503,
    # the environment: a database that cannot be reached (or is locked) is no defect of the request
    OperationalError: 503,
}


def status_for(exc: BaseException) -> int:
    """The status of the most specific class of `exc` in STATUS (500 when none)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=dict(headers or {}))


def _respond(
    request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    """JSON for the API; for the web UI's pages (`/ui/`), the page the UI installed for errors."""
    page = getattr(request.app.state, "ui_error_page", None)
    if page is not None and request.url.path.startswith("/ui/"):
        response: Response = page(request, status, detail)
        response.headers.update(dict(headers or {}))
        return response
    return error_response(status, detail, headers)


async def _domain_error(request: Request, exc: Exception) -> Response:
    status = status_for(exc)
    if status >= 500:
        log.error("internal error: %s", exc, exc_info=exc)
        return _respond(request, status, "internal error")
    return _respond(request, status, str(exc))


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _respond(request, status_for(exc), exc.detail, exc.headers)


async def _database_error(request: Request, exc: Exception) -> Response:
    log.error("database unavailable: %s", exc)
    return _respond(
        request, status_for(exc), "the database is unavailable; retry later", {"Retry-After": "5"}
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's parameter validation, as one sentence naming the parameter (`query max_tier: ...`)."""
    assert isinstance(exc, RequestValidationError)
    parts = []
    for error in exc.errors():
        where = " ".join(str(item) for item in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return _respond(request, 422, "; ".join(parts) or "invalid request")


def install(app: FastAPI) -> None:
    app.add_exception_handler(TiersightError, _domain_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OperationalError, _database_error)
