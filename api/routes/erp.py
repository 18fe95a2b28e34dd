"""`POST /v1/erp/webhook`: ERP systems post supplier lists or BOM changes, signed per Standard Webhooks.

Which tenant: the `Authorization: Bearer <key>` header when present (as on every other route; the key
must then be valid), else the `tenant` query parameter for senders that can set no header of their own.
Either way the signature over `<webhook-id>.<webhook-timestamp>.<raw body>` with the tenant's webhook
secret is what authorises the post: a missing, bad or stale (over 5 minutes) signature gets 401 and
nothing is stored. A repeated `webhook-id` returns the screening the first post started and starts none.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.deps import BEARER, BearerDep, RuntimeDep, caller_of
from api.errors import RateLimited, Unauthorized
from api.limits import retry_after
from api.repository import add_erp_receipt, erp_receipt, sql
from api.routes.screenings import ERP_KEY_PREFIX, location
from api.runtime import Runtime
from api.schemas import Accepted, error_responses, submission_body
from api.submissions import as_of_value, json_body, max_tier_value, submission
from screening import jobs
from screening.errors import InputError

router = APIRouter(prefix="/v1/erp", tags=["erp"])

SIGNATURE = "the webhook signature does not verify"


async def raw_body(request: Request) -> bytes:
    """The body exactly as received: the signature covers these bytes."""
    return await request.body()


@router.post(
    "/webhook",
    status_code=202,
    response_model=Accepted,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": submission_body()["requestBody"]["content"]["application/json"]},
        }
    },
    responses=error_responses(400, 401, 413, 422, 429),
    summary="A supplier list pushed by an ERP system, signed with the tenant's webhook secret",
)
def erp_webhook(
    credentials: BearerDep,
    body: Annotated[bytes, Depends(raw_body)],
    runtime: RuntimeDep,
    response: Response,
    webhook_id: Annotated[str | None, Header(alias="webhook-id")] = None,
    webhook_timestamp: Annotated[str | None, Header(alias="webhook-timestamp")] = None,
    webhook_signature: Annotated[str | None, Header(alias="webhook-signature")] = None,
    tenant: Annotated[
        str | None, Query(max_length=128, description="The tenant, when no bearer key is sent.")
    ] = None,
) -> Accepted:
    name = _tenant(runtime, credentials.credentials if credentials else None, tenant)
    if not (webhook_id and webhook_timestamp and webhook_signature):
        raise Unauthorized("the webhook-id, webhook-timestamp and webhook-signature headers are required")
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": webhook_timestamp,
        "webhook-signature": webhook_signature,
    }
    with runtime.scope() as stores:
        store = sql(stores)
        tenant_id = store.tenant_id(name)
        secret = store.webhook_secret(name) if tenant_id is not None else None
    if tenant_id is None or secret is None:
        raise Unauthorized(SIGNATURE)
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError as exc:
        raise Unauthorized(f"{SIGNATURE}: {exc}") from None

    wait = runtime.buckets.take(f"erp:{name}")
    if wait > 0:
        raise RateLimited(
            f"too many webhooks for this tenant; retry in {retry_after(wait)} s",
            {"Retry-After": retry_after(wait)},
        )
    with runtime.scope() as stores:
        first = erp_receipt(sql(stores), tenant_id, webhook_id)
        if first is not None:
            return _accepted(response, jobs.status(stores.jobs, name, first))
    if len(ERP_KEY_PREFIX + webhook_id) > 255:
        raise InputError("the webhook-id is longer than 250 characters")

    parsed = json_body(body)
    new = submission(
        dataclasses.replace(parsed, source="erp"),
        submitted_by="erp",
        as_of=as_of_value(parsed.as_of),
        max_tier=max_tier_value(parsed.max_tier),
        idempotency_key=ERP_KEY_PREFIX + webhook_id,
    )
    try:
        with runtime.scope() as stores:
            # The idempotency key makes posts of one message racing each other share one screening
            # (the store settles it with the unique key); the receipt records which one it was.
            job, created = jobs.submit(stores.jobs, name, new)
            add_erp_receipt(sql(stores), tenant_id, webhook_id, job.id)
            if created:
                sql(stores).audit(name, "erp", "submitted", job.id, f"webhook-id {webhook_id}")
    except IntegrityError:  # the receipt of a concurrent post of the same message was stored first
        with runtime.scope() as stores:
            first = erp_receipt(sql(stores), tenant_id, webhook_id)
            if first is None:
                raise
            return _accepted(response, jobs.status(stores.jobs, name, first))
    if created:
        runtime.runner.dispatch(job.id)
    return _accepted(response, job)


def _tenant(runtime: Runtime, key: str | None, tenant: str | None) -> str:
    if key is not None:
        caller = caller_of(runtime.keys, key)
        if tenant is not None and tenant != caller.tenant:
            raise Unauthorized("the tenant parameter names another tenant than the API key's", BEARER)
        return caller.tenant
    if tenant is None or not tenant.strip():
        raise Unauthorized(
            "name the tenant: an 'Authorization: Bearer <key>' header or the tenant query parameter", BEARER
        )
    return tenant.strip()


def _accepted(response: Response, job: jobs.Job) -> Accepted:
    response.headers["Location"] = location(job.id)
    return Accepted(id=job.id, status=job.status)
