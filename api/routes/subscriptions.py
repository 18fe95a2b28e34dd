"""`/v1/subscriptions`: who hears about screenings and flags, and what was delivered (CONTRACT section 7)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field

from api.deps import CallerDep, ScopeDep, TenantDep
from api.schemas import error_responses
from screening.alerts import Subscription, parse_subscription
from screening.errors import NotFoundError
from screening.storage.service_repository import SqlAlertStore, SqlServiceStore

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

SubscriptionId = Annotated[str, Path(max_length=64, description="The id returned at creation.")]


class SubscriptionOut(BaseModel):
    id: str
    url: str | None
    email: str | None
    events: list[str]
    min_severity: Literal["low", "medium", "high"]
    active: bool


class Attempt(BaseModel):
    at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class Delivery(BaseModel):
    id: int
    event_id: str = Field(description="The event's stable id: the `webhook-id` of every attempt.")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: list[Attempt]
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None


def _out(sub: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=sub.id,
        url=sub.url,
        email=sub.email,
        events=list(sub.events),
        min_severity=sub.min_severity,
        active=sub.active,
    )


@router.post(
    "",
    status_code=201,
    response_model=SubscriptionOut,
    responses=error_responses(401, 422),
    summary="Subscribe a webhook URL or an email address to events",
)
def subscribe(
    caller: CallerDep,
    scope: ScopeDep,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "url": "https://erp.example.com/hooks/tiersight",
                    "events": ["flag.raised"],
                    "min_severity": "high",
                }
            ]
        ),
    ],
) -> SubscriptionOut:
    url, email, events, severity = parse_subscription(body)
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore) and isinstance(stores.jobs, SqlServiceStore)
        sub = stores.alerts.add_subscription(caller.tenant, url, email, events, severity)
        stores.jobs.audit(caller.tenant, caller.key_prefix, "subscribed", sub.id, url or email or "")
    return _out(sub)


@router.get(
    "",
    response_model=list[SubscriptionOut],
    responses=error_responses(401),
    summary="The tenant's subscriptions",
)
def subscriptions(tenant: TenantDep, scope: ScopeDep) -> list[SubscriptionOut]:
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        return [_out(sub) for sub in stores.alerts.subscriptions(tenant)]


@router.get(
    "/{subscription_id}/deliveries",
    response_model=list[Delivery],
    responses=error_responses(401, 404),
    summary="Every delivery to a subscription, newest first, with every attempt",
)
def deliveries(tenant: TenantDep, scope: ScopeDep, subscription_id: SubscriptionId) -> list[Delivery]:
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        if stores.alerts.subscription(tenant, subscription_id) is None:
            raise NotFoundError(f"subscription {subscription_id} not found")
        return [Delivery.model_validate(entry) for entry in stores.alerts.deliveries(tenant, subscription_id)]
