"""What routes ask for, as `Annotated` dependencies: the app's runtime and settings, the unit-of-work
scope, the calling tenant (from its API key), and the submission rate limit.

They are `async def` because none of them blocks: FastAPI runs a plain `def` dependency on its thread
pool, one hop per dependency, which cost more than the work of most requests. The one that may wait,
a key not yet in the key cache, does its database lookup on the thread pool itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from api.errors import RateLimited, Unauthorized
from api.keys import KeyCache
from api.limits import retry_after
from api.runtime import Runtime
from api.settings import ApiSettings
from screening import jobs, services

BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True, slots=True)
class Caller:
    """The tenant an API key belongs to, and the key's prefix (who submitted, whose bucket)."""

    tenant: str
    key_prefix: str
    tenant_id: int


async def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> ApiSettings:
    return runtime.settings


async def get_scope(runtime: RuntimeDep) -> services.Scope:
    return runtime.scope


async def get_engine(runtime: RuntimeDep) -> Engine:
    return runtime.engine


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
ScopeDep = Annotated[services.Scope, Depends(get_scope)]
EngineDep = Annotated[Engine, Depends(get_engine)]


# Reads `Authorization: Bearer <key>` and documents it in the OpenAPI schema (the docs' Authorize button).
bearer = HTTPBearer(auto_error=False, description="An API key printed by `tiersight apikey create`.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def caller_of(keys: KeyCache, key: str) -> Caller:
    """The caller a key identifies, or 401: looked up by its clear prefix, compared by digest."""
    stored = keys.tenant_of(key)
    if stored is None:
        raise Unauthorized("the API key is not valid", BEARER)
    return Caller(tenant=stored.tenant, key_prefix=key[: jobs.PREFIX_LENGTH], tenant_id=stored.tenant_id)


async def get_caller(credentials: BearerDep, runtime: RuntimeDep) -> Caller:
    if credentials is None:
        raise Unauthorized("an API key is required: 'Authorization: Bearer <key>'", BEARER)
    key = credentials.credentials
    if runtime.keys.cached(key):
        return caller_of(runtime.keys, key)  # no I/O: checked against the cached digest
    return await run_in_threadpool(caller_of, runtime.keys, key)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_tenant(caller: CallerDep) -> str:
    return caller.tenant


TenantDep = Annotated[str, Depends(get_tenant)]


def take_token(runtime: Runtime, key_prefix: str) -> None:
    """A token from the bucket of the key (the JSON API's submissions and decisions, and the web UI's
    forms that submit or decide); 429 with `Retry-After` when it is empty."""
    wait = runtime.buckets.take(key_prefix)
    if wait > 0:
        raise RateLimited(
            f"too many submissions with this API key; retry in {retry_after(wait)} s",
            {"Retry-After": retry_after(wait)},
        )


async def rate_limited(caller: CallerDep, runtime: RuntimeDep) -> Caller:
    """The caller, once its key's bucket gave a token (`take_token`: off the event loop when the
    buckets are in Redis)."""
    if runtime.buckets.remote:
        await run_in_threadpool(take_token, runtime, caller.key_prefix)
    else:
        take_token(runtime, caller.key_prefix)
    return caller


RateLimitedCallerDep = Annotated[Caller, Depends(rate_limited)]
