"""What routes ask for, as `Annotated` dependencies: the app's runtime and settings, the unit-of-work
scope, the calling tenant (from its API key), and the submission rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from api.errors import RateLimited, Unauthorized
from api.limits import retry_after
from api.repository import sql
from api.runtime import Runtime
from api.settings import ApiSettings
from screening import jobs, services

BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True, slots=True)
class Caller:
    """The tenant an API key belongs to, and the key's prefix (who submitted, whose bucket)."""

    tenant: str
    key_prefix: str


def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> ApiSettings:
    return runtime.settings


def get_scope(runtime: RuntimeDep) -> services.Scope:
    return runtime.scope


def get_engine(runtime: RuntimeDep) -> Engine:
    return runtime.engine


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
ScopeDep = Annotated[services.Scope, Depends(get_scope)]
EngineDep = Annotated[Engine, Depends(get_engine)]


# Reads `Authorization: Bearer <key>` and documents it in the OpenAPI schema (the docs' Authorize button).
bearer = HTTPBearer(auto_error=False, description="An API key printed by `tiersight apikey create`.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def caller_of(scope: services.Scope, key: str) -> Caller:
    """The caller a key identifies, or 401: looked up by its clear prefix, compared by digest."""
    prefix = key[: jobs.PREFIX_LENGTH]
    with scope() as stores:
        found = sql(stores).api_key(prefix)
    if found is None or len(key) <= jobs.PREFIX_LENGTH or not jobs.key_matches(key, found[1]):
        raise Unauthorized("the API key is not valid", BEARER)
    return Caller(tenant=found[0], key_prefix=prefix)


def get_caller(credentials: BearerDep, scope: ScopeDep) -> Caller:
    if credentials is None:
        raise Unauthorized("an API key is required: 'Authorization: Bearer <key>'", BEARER)
    return caller_of(scope, credentials.credentials)


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_tenant(caller: CallerDep) -> str:
    return caller.tenant


TenantDep = Annotated[str, Depends(get_tenant)]


def rate_limited(caller: CallerDep, runtime: RuntimeDep) -> Caller:
    """The caller, once its key's bucket gave a token; 429 with `Retry-After` otherwise."""
    wait = runtime.buckets.take(caller.key_prefix)
    if wait > 0:
        raise RateLimited(
            f"too many submissions with this API key; retry in {retry_after(wait)} s",
            {"Retry-After": retry_after(wait)},
        )
    return caller


RateLimitedCallerDep = Annotated[Caller, Depends(rate_limited)]
