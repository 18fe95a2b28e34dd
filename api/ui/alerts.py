"""Alerts (`/ui/alerts`): the tenant's subscriptions (a webhook URL or an email address, the events it
takes, the minimum severity of flag events), a form to add one, a button to delete one, and under each
its delivery log (every attempt, with its time and HTTP status or error) with a "Redeliver" button per
delivery. The page calls what the JSON API's `/v1/subscriptions` routes call
(`api.routes.subscriptions`); its script refreshes the logs while a delivery is about to be attempted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RuntimeDep
from api.routes.subscriptions import (
    Delivery,
    active_subscriptions,
    delivery_log,
    redeliver_one,
    subscribe_to,
    unsubscribe,
)
from api.runtime import Runtime
from api.ui.pages import env, render
from api.ui.session import CsrfSessionDep, UiSession, UiSessionDep
from screening.alerts import EVENT_TYPES, SEVERITIES, Subscription
from screening.errors import InputError
from screening.storage.service_repository import SqlAlertStore

router = APIRouter(prefix="/ui")

DELIVERIES_SHOWN = 50
SOON = dt.timedelta(minutes=2)  # a pending delivery due this soon keeps the page's script refreshing
EVENT_LABELS = {
    "screening.completed": "Screening completed",
    "flag.raised": "Flag raised",
    "flag.cleared": "Flag cleared",
}
NOTICES = {
    "subscribed": "Subscription added.",
    "deleted": "Subscription deleted: it takes no new events; its delivery log is kept.",
    "redelivered": "The delivery is due again: it is sent within moments, with the same webhook-id.",
}

SubscriptionPath = Annotated[str, Path(max_length=64)]
DeliveryPath = Annotated[int, Path(ge=1, le=2**62)]


@dataclass(frozen=True, slots=True)
class Entry:
    """One subscription with the newest of its deliveries."""

    sub: Subscription
    deliveries: list[Delivery]
    total: int
    live: bool  # a webhook delivery is due within SOON: worth refreshing the log
    before: int | None = None  # the page shows deliveries older than this id (None: the newest)
    older: int | None = None  # the id below which the next page starts, when there are older ones


@dataclass(frozen=True, slots=True)
class Draft:
    """What the add form shows: empty, or what was posted when it was refused."""

    kind: Literal["webhook", "email"] = "webhook"
    target: str = ""
    events: tuple[str, ...] = EVENT_TYPES
    min_severity: str = "low"


def _live(sub: Subscription, deliveries: Sequence[Delivery], now: dt.datetime) -> bool:
    if sub.url is None:
        return False  # email waits for the mail round or the daily digest
    return any(
        d.status == "pending" and d.next_attempt_at is not None and d.next_attempt_at <= now + SOON
        for d in deliveries
    )


def _page(
    request: Request,
    runtime: Runtime,
    session: UiSession,
    *,
    notice: str | None = None,
    focus: str | None = None,
    before: int | None = None,
    draft: Draft | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = dt.datetime.now(dt.UTC)
    entries = []
    with runtime.scope() as stores:
        alerts = stores.alerts
        assert isinstance(alerts, SqlAlertStore)
        for sub in active_subscriptions(stores, session.tenant):
            start = before if sub.id == focus else None
            log = delivery_log(stores, session.tenant, sub.id, limit=DELIVERIES_SHOWN + 1, before=start)
            shown = log[:DELIVERIES_SHOWN]
            older = shown[-1].id if len(log) > DELIVERIES_SHOWN else None
            total = alerts.delivery_count(session.tenant, sub.id)
            entries.append(Entry(sub, shown, total, _live(sub, shown, now), start, older))
    return render(
        request,
        "alerts.html.j2",
        title="Alerts",
        session=session,
        active="alerts",
        entries=entries,
        notice=NOTICES.get(notice or ""),
        focus=focus or "",
        draft=draft or Draft(),
        error=error,
        event_types=EVENT_TYPES,
        event_labels=EVENT_LABELS,
        severities=SEVERITIES,
        smtp=bool(runtime.settings.smtp_url),
        status_code=status_code,
    )


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    session: UiSessionDep,
    runtime: RuntimeDep,
    notice: Annotated[str | None, Query(max_length=20)] = None,
    sub: Annotated[str | None, Query(max_length=64)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> HTMLResponse:
    """`sub` opens that subscription's log; with `before`, at its deliveries older than that id."""
    return _page(request, runtime, session, notice=notice, focus=sub, before=before)


@router.post("/alerts/subscriptions")
def add_subscription(
    request: Request,
    session: CsrfSessionDep,
    runtime: RuntimeDep,
    kind: Annotated[str, Form(max_length=10)] = "webhook",
    target: Annotated[str, Form(max_length=2000)] = "",
    events: Annotated[list[str] | None, Form()] = None,
    min_severity: Annotated[str, Form(max_length=10)] = "low",
) -> Response:
    chosen = tuple(dict.fromkeys(events or ()))[: len(EVENT_TYPES) + 1]
    draft = Draft(
        kind="email" if kind == "email" else "webhook",
        target=target.strip(),
        events=chosen,
        min_severity=min_severity,
    )
    body: dict[str, Any] = {"events": list(chosen), "min_severity": min_severity}
    body["email" if draft.kind == "email" else "url"] = draft.target
    try:
        if not draft.target:
            raise InputError(
                "give the webhook URL" if draft.kind == "webhook" else "give the email address to alert"
            )
        if not chosen:
            raise InputError("choose at least one event")
        with runtime.scope() as stores:
            created = subscribe_to(stores, session.tenant, session.key_prefix, body)
    except InputError as exc:
        message = str(exc).replace('"', "")
        return _page(request, runtime, session, draft=draft, error=message, status_code=422)
    return RedirectResponse(
        f"/ui/alerts?notice=subscribed&sub={created.id}#sub-{created.id}", status_code=303
    )


@router.post("/alerts/subscriptions/{subscription_id}/delete")
def delete_subscription(
    session: CsrfSessionDep, runtime: RuntimeDep, subscription_id: SubscriptionPath
) -> RedirectResponse:
    with runtime.scope() as stores:
        unsubscribe(stores, session.tenant, session.key_prefix, subscription_id)
    return RedirectResponse("/ui/alerts?notice=deleted", status_code=303)


@router.post("/alerts/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver")
def redeliver(
    session: CsrfSessionDep, runtime: RuntimeDep, subscription_id: SubscriptionPath, delivery_id: DeliveryPath
) -> RedirectResponse:
    with runtime.scope() as stores:
        redeliver_one(stores, session.tenant, session.key_prefix, subscription_id, delivery_id)
    return RedirectResponse(
        f"/ui/alerts?notice=redelivered&sub={subscription_id}#delivery-{delivery_id}", status_code=303
    )


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


env.filters["alerts_when"] = _when
