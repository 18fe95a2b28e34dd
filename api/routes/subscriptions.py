"""`/v1/subscriptions`: who hears about screenings and flags, and what was delivered (CONTRACT section 7).

Create, list and delete subscriptions, read each one's delivery log (every attempt), and send one
delivery again (`POST /v1/subscriptions/{id}/deliveries/{delivery_id}/redeliver`: the delivery is due
again at once and the delivery round sends it, same event and `webhook-id`, its earlier attempts kept).
A deleted subscription takes no new events and its pending deliveries are given up; its log stays
readable. The functions below the models are what both these routes and the UI's alerts page call."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import CallerDep, ScopeDep, TenantDep
from api.errors import NotReady
from api.schemas import error_responses
from screening import services
from screening.alerts import Subscription, parse_subscription
from screening.errors import NotFoundError
from screening.storage.service_repository import SqlAlertStore, SqlServiceStore

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

SubscriptionId = Annotated[str, Path(max_length=64, description="The id returned at creation.")]
DeliveryId = Annotated[int, Path(ge=1, le=2**62, description="A delivery's id in the delivery log.")]


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


# -- what the routes and the UI's alerts page share -----------------------------------------------------


def _stores(stores: services.Stores) -> tuple[SqlAlertStore, SqlServiceStore]:
    assert isinstance(stores.alerts, SqlAlertStore) and isinstance(stores.jobs, SqlServiceStore)
    return stores.alerts, stores.jobs


def subscribe_to(stores: services.Stores, tenant: str, actor: str, body: dict[str, Any]) -> Subscription:
    """Validate `{"url" | "email", "events", "min_severity"}` (InputError naming the field) and add the
    subscription, audited as `subscribed`."""
    url, email, events, severity = parse_subscription(body)
    alerts, store = _stores(stores)
    sub = alerts.add_subscription(tenant, url, email, events, severity)
    store.audit(tenant, actor, "subscribed", sub.id, url or email or "")
    return sub


def active_subscriptions(stores: services.Stores, tenant: str) -> list[Subscription]:
    """The tenant's subscriptions not deleted, oldest first."""
    return [sub for sub in _stores(stores)[0].subscriptions(tenant) if sub.active]


def unsubscribe(stores: services.Stores, tenant: str, actor: str, subscription_id: str) -> None:
    """Delete (deactivate) one of the tenant's subscriptions, audited as `unsubscribed`; NotFoundError
    for another tenant's, an unknown or an already deleted one."""
    alerts, store = _stores(stores)
    sub = alerts.subscription(tenant, subscription_id)
    if sub is None or not alerts.remove_subscription(tenant, subscription_id):
        raise NotFoundError(f"subscription {subscription_id} not found")
    store.audit(tenant, actor, "unsubscribed", sub.id, sub.url or sub.email or "")


def delivery_log(
    stores: services.Stores,
    tenant: str,
    subscription_id: str,
    *,
    limit: int | None = None,
    before: int | None = None,
) -> list[Delivery]:
    """The deliveries to the subscription with every attempt, newest first (all, or the `limit` newest
    with an id below `before`); NotFoundError for another tenant's or an unknown subscription (a deleted
    one keeps its log)."""
    alerts, _ = _stores(stores)
    if alerts.subscription(tenant, subscription_id) is None:
        raise NotFoundError(f"subscription {subscription_id} not found")
    found = alerts.deliveries(tenant, subscription_id, limit=limit, before=before)
    return [Delivery.model_validate(entry) for entry in found]


def redeliver_one(
    stores: services.Stores, tenant: str, actor: str, subscription_id: str, delivery_id: int
) -> Delivery:
    """Make one delivery due again now (`services.redeliver`), audited as `redelivered`; the delivery
    as it is now (pending). NotFoundError for another tenant's subscription or delivery, NotReady for a
    deleted subscription."""
    alerts, store = _stores(stores)
    sub = alerts.subscription(tenant, subscription_id)
    if sub is None:
        raise NotFoundError(f"subscription {subscription_id} not found")
    if not sub.active:
        raise NotReady(f"subscription {subscription_id} was deleted; its deliveries are not sent again")
    services.redeliver(alerts, tenant, subscription_id, delivery_id, now=dt.datetime.now(dt.UTC))
    (found,) = delivery_log(stores, tenant, subscription_id, limit=1, before=delivery_id + 1)  # this one
    store.audit(
        tenant,
        actor,
        "redelivered",
        subscription_id,
        f"delivery {delivery_id}: {found.event_type} {found.event_id} to {sub.url or sub.email}, "
        f"after {len(found.attempts)} attempt(s)",
    )
    return found


# -- routes ---------------------------------------------------------------------------------------------


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
    with scope() as stores:
        return _out(subscribe_to(stores, caller.tenant, caller.key_prefix, body))


@router.get(
    "",
    response_model=list[SubscriptionOut],
    responses=error_responses(401),
    summary="The tenant's subscriptions (deleted ones are left out)",
)
def subscriptions(tenant: TenantDep, scope: ScopeDep) -> list[SubscriptionOut]:
    with scope() as stores:
        return [_out(sub) for sub in active_subscriptions(stores, tenant)]


@router.delete(
    "/{subscription_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 404),
    summary="Delete a subscription: no new events; its delivery log stays readable",
)
def delete_subscription(caller: CallerDep, scope: ScopeDep, subscription_id: SubscriptionId) -> Response:
    with scope() as stores:
        unsubscribe(stores, caller.tenant, caller.key_prefix, subscription_id)
    return Response(status_code=204)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=list[Delivery],
    responses=error_responses(401, 404),
    summary="The deliveries to a subscription, newest first, with every attempt (all, or a page)",
)
def deliveries(
    tenant: TenantDep,
    scope: ScopeDep,
    subscription_id: SubscriptionId,
    limit: Annotated[
        int | None, Query(ge=1, le=1000, description="At most this many, the newest first; default all.")
    ] = None,
    before: Annotated[
        int | None,
        Query(ge=1, le=2**62, description="Only deliveries with a lower id (the next page)."),
    ] = None,
) -> list[Delivery]:
    with scope() as stores:
        return delivery_log(stores, tenant, subscription_id, limit=limit, before=before)


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=Delivery,
    responses=error_responses(401, 404, 409),
    summary="Send one delivery again: due at once, same event and webhook-id, earlier attempts kept",
)
def redeliver(
    caller: CallerDep, scope: ScopeDep, subscription_id: SubscriptionId, delivery_id: DeliveryId
) -> Delivery:
    with scope() as stores:
        return redeliver_one(stores, caller.tenant, caller.key_prefix, subscription_id, delivery_id)
