"""Sending one delivery again (`POST /v1/subscriptions/{id}/deliveries/{delivery_id}/redeliver`) and
deleting a subscription (`DELETE /v1/subscriptions/{id}`), on SQLite and PostgreSQL: the delivery is due
again at once with its attempts kept, the next round sends the same event (same webhook-id), both are
audited, and another tenant gets 404 and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text

from screening import services
from screening.storage.service_repository import SqlAlertStore, scope_factory
from tests.api.conftest import Service, Tenant, wait_done

HOOK = "http://127.0.0.1:9/hook"


def subscribe(service: Service, tenant: Tenant, **body: Any) -> str:
    response = service.client.post("/v1/subscriptions", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    sub_id: str = response.json()["id"]
    return sub_id


def screen(service: Service, tenant: Tenant) -> str:
    upload = service.upload(tenant)
    assert upload.status_code == 202, upload.text
    screening_id: str = upload.json()["id"]
    assert wait_done(service.client, screening_id, tenant)["status"] == "done"
    return screening_id


def deliver(service: Service, status: int = 200, limit: int = 100) -> list[str]:
    """One delivery round as a worker makes it, posting to a stand-in that answers `status`; the
    webhook-ids it posted."""
    posted: list[str] = []

    def post(_url: str, _body: bytes, headers: dict[str, str]) -> int:
        posted.append(headers["webhook-id"])
        return status

    with scope_factory(service.engine)() as stores:
        services.deliver_due_webhooks(
            stores.alerts,
            lambda _tenant: service.acme.webhook_secret,
            post,
            now=dt.datetime.now(dt.UTC),
            allow_loopback=True,
            limit=limit,
        )
    return posted


def log(service: Service, tenant: Tenant, sub_id: str) -> list[dict[str, Any]]:
    response = service.client.get(f"/v1/subscriptions/{sub_id}/deliveries", headers=tenant.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def redeliver(service: Service, tenant: Tenant, sub_id: str, delivery_id: int) -> Any:
    return service.client.post(
        f"/v1/subscriptions/{sub_id}/deliveries/{delivery_id}/redeliver", headers=tenant.headers
    )


def audit(service: Service) -> list[tuple[str, str, str]]:
    with service.engine.connect() as connection:
        rows = connection.execute(text("SELECT action, subject, detail FROM audit_log ORDER BY id"))
        return [(str(a), str(s), str(d)) for a, s, d in rows]


def test_a_delivered_event_is_sent_again_with_the_same_webhook_id_and_its_attempts_kept(
    service: Service,
) -> None:
    sub = subscribe(service, service.acme, url=HOOK, events=["screening.completed"])
    screen(service, service.acme)
    [first_post] = deliver(service)
    [entry] = log(service, service.acme, sub)
    assert (entry["status"], len(entry["attempts"]), entry["event_id"]) == ("delivered", 1, first_post)

    before = dt.datetime.now(dt.UTC)
    response = redeliver(service, service.acme, sub, entry["id"])
    assert response.status_code == 202, response.text
    again = response.json()
    assert (again["id"], again["status"], again["delivered_at"]) == (entry["id"], "pending", None)
    assert len(again["attempts"]) == 1  # the earlier attempt stays listed
    due = dt.datetime.fromisoformat(again["next_attempt_at"])
    assert before - dt.timedelta(seconds=1) <= due <= dt.datetime.now(dt.UTC)

    assert deliver(service) == [first_post]  # the same event, the same webhook-id
    [entry] = log(service, service.acme, sub)
    assert (entry["status"], [a["status_code"] for a in entry["attempts"]]) == ("delivered", [200, 200])
    assert deliver(service) == []  # sent once more, not for ever

    [(_, subject, detail)] = [row for row in audit(service) if row[0] == "redelivered"]
    assert subject == sub and f"delivery {entry['id']}: screening.completed {first_post}" in detail


def test_a_redelivered_webhook_does_not_wait_behind_emails_waiting_for_their_digest(
    service: Service,
) -> None:
    """Email deliveries of flags below high wait for the daily digest, pending and due: the webhook
    round reads webhook deliveries only, however many of those there are."""
    sub = subscribe(service, service.acme, url=HOOK, events=["screening.completed"])
    subscribe(service, service.acme, email="ops@example.org", events=["flag.raised"], min_severity="low")
    screen(service, service.acme)
    assert len(deliver(service)) == 1
    [entry] = log(service, service.acme, sub)
    assert redeliver(service, service.acme, sub, entry["id"]).status_code == 202
    assert deliver(service, limit=1) == [entry["event_id"]]  # the older email ones are not in its way


def test_a_failed_delivery_can_be_sent_again(service: Service) -> None:
    sub = subscribe(service, service.acme, url=HOOK, events=["screening.completed"])
    screen(service, service.acme)
    [entry] = log(service, service.acme, sub)
    with scope_factory(service.engine)() as stores:  # the retry period is over: given up
        assert isinstance(stores.alerts, SqlAlertStore)
        stores.alerts.record_attempt(
            entry["id"],
            at=dt.datetime.now(dt.UTC),
            status_code=503,
            error="HTTP 503",
            duration_ms=3.0,
            delivered=False,
            next_attempt_at=None,
        )
    assert log(service, service.acme, sub)[0]["status"] == "failed"
    assert deliver(service) == []
    assert redeliver(service, service.acme, sub, entry["id"]).status_code == 202
    assert deliver(service, status=200) == [entry["event_id"]]
    [entry] = log(service, service.acme, sub)
    assert (entry["status"], [a["status_code"] for a in entry["attempts"]]) == ("delivered", [503, 200])


def test_another_tenant_or_another_subscription_gets_404_and_changes_nothing(service: Service) -> None:
    sub = subscribe(service, service.acme, url=HOOK, events=["screening.completed"])
    other = subscribe(service, service.acme, url=HOOK + "2", events=["screening.completed"])
    theirs = subscribe(service, service.globex, url=HOOK, events=["screening.completed"])
    screen(service, service.acme)
    deliver(service)
    [entry] = log(service, service.acme, sub)
    for tenant, sub_id, delivery_id in (
        (service.globex, sub, entry["id"]),  # acme's subscription
        (service.globex, theirs, entry["id"]),  # their own subscription, acme's delivery
        (service.acme, other, entry["id"]),  # a delivery of another subscription
        (service.acme, sub, entry["id"] + 1000),  # no such delivery
        (service.acme, "sub_nothing", entry["id"]),
    ):
        response = redeliver(service, tenant, sub_id, delivery_id)
        assert response.status_code == 404, (sub_id, delivery_id, response.text)
        assert "not found" in response.json()["detail"]
    assert (
        service.client.post(f"/v1/subscriptions/{sub}/deliveries/{entry['id']}/redeliver").status_code == 401
    )
    assert redeliver(service, service.acme, sub, 0).status_code == 422
    assert log(service, service.acme, sub)[0]["status"] == "delivered"
    assert deliver(service) == []
    assert [row for row in audit(service) if row[0] == "redelivered"] == []


def test_a_deleted_subscription_takes_no_event_and_keeps_its_log(service: Service) -> None:
    sub = subscribe(service, service.acme, url=HOOK, events=["screening.completed"])
    kept = subscribe(service, service.acme, email="ops@example.org", events=["flag.raised"])
    screen(service, service.acme)  # a pending delivery to `sub`, not attempted yet
    assert (
        service.client.delete(f"/v1/subscriptions/{sub}", headers=service.globex.headers).status_code == 404
    )
    response = service.client.delete(f"/v1/subscriptions/{sub}", headers=service.acme.headers)
    assert response.status_code == 204, response.text
    listed = service.client.get("/v1/subscriptions", headers=service.acme.headers).json()
    assert [s["id"] for s in listed] == [kept]
    [entry] = log(service, service.acme, sub)  # the log stays; what was pending is given up
    assert (entry["status"], entry["attempts"], entry["next_attempt_at"]) == ("failed", [], None)
    assert deliver(service) == []
    refused = redeliver(service, service.acme, sub, entry["id"])
    assert refused.status_code == 409 and "deleted" in refused.json()["detail"]
    assert service.client.delete(f"/v1/subscriptions/{sub}", headers=service.acme.headers).status_code == 404

    screen(service, service.acme)  # no new delivery to the deleted subscription
    assert len(log(service, service.acme, sub)) == 1
    assert ("unsubscribed", sub, HOOK) in audit(service)


def test_the_delivery_log_reads_in_pages_newest_first(service: Service) -> None:
    sub_id = subscribe(
        service, service.acme, url=HOOK, events=["screening.completed", "flag.raised"], min_severity="low"
    )
    for _ in range(2):
        screen(service, service.acme)
    deliver(service, status=500)  # one failed attempt each, kept in every page
    whole = log(service, service.acme, sub_id)
    assert len(whole) >= 4 and [d["id"] for d in whole] == sorted((d["id"] for d in whole), reverse=True)
    pages, before = [], None
    for _ in range(len(whole) + 1):  # a page that ignored `before` would come back forever
        params: dict[str, int] = {"limit": 3} | ({"before": before} if before else {})
        response = service.client.get(
            f"/v1/subscriptions/{sub_id}/deliveries", params=params, headers=service.acme.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        if not page:
            break
        assert len(page) <= 3
        pages.extend(page)
        before = page[-1]["id"]
    else:
        raise AssertionError("the pages never ended")
    assert pages == whole  # the same deliveries, attempts and all, in the same order
    assert all(len(d["attempts"]) == 1 for d in pages)
    for bad in ({"limit": 0}, {"limit": 1001}, {"before": 0}):
        response = service.client.get(
            f"/v1/subscriptions/{sub_id}/deliveries", params=bad, headers=service.acme.headers
        )
        assert response.status_code == 422, (bad, response.text)
    with scope_factory(service.engine)() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        assert stores.alerts.delivery_count("acme", sub_id) == len(whole)
        assert stores.alerts.delivery_count("globex", sub_id) == 0  # another tenant's: nothing
