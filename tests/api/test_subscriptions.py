"""`/v1/subscriptions`: create, list, and the delivery log with every attempt; tenants apart; bad
subscriptions refused naming the field. Deliveries themselves are made by the workers (tested there)."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import text

from screening import services
from screening.storage.service_repository import scope_factory
from tests.api.conftest import Service, ServiceFactory, wait_done
from tests.screening.test_deliveries import Receiver, free_port


def test_subscribe_list_and_read_the_delivery_log(service: Service) -> None:
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["screening.completed"], "min_severity": "low"}
    created = service.client.post("/v1/subscriptions", json=hook, headers=service.acme.headers)
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["url"] == hook["url"] and sub["events"] == ["screening.completed"] and sub["active"]
    listed = service.client.get("/v1/subscriptions", headers=service.acme.headers).json()
    assert [s["id"] for s in listed] == [sub["id"]]
    assert service.client.get("/v1/subscriptions", headers=service.globex.headers).json() == []

    upload = service.upload(service.acme)
    assert upload.status_code == 202, upload.text
    wait_done(service.client, upload.json()["id"], service.acme)
    # One attempt by the delivery use case, as a worker makes it: loopback is refused by the guard.
    with scope_factory(service.engine)() as stores:
        services.deliver_due_webhooks(
            stores.alerts,
            lambda _t: service.acme.webhook_secret,
            lambda *_: 200,
            now=dt.datetime.now(dt.UTC),
            allow_loopback=False,
        )
    log = service.client.get(f"/v1/subscriptions/{sub['id']}/deliveries", headers=service.acme.headers)
    assert log.status_code == 200, log.text
    (entry,) = log.json()
    assert entry["event_type"] == "screening.completed" and entry["status"] == "pending"
    assert len(entry["attempts"]) == 1 and "loopback" in entry["attempts"][0]["error"]
    other = service.client.get(f"/v1/subscriptions/{sub['id']}/deliveries", headers=service.globex.headers)
    assert other.status_code == 404
    with service.engine.connect() as connection:
        actions = [r[0] for r in connection.execute(text("SELECT action FROM audit_log ORDER BY id"))]
    assert "subscribed" in actions


def test_bad_subscriptions_are_refused_naming_the_field(service: Service) -> None:
    for body, message in (
        ({"url": "ftp://x"}, '"url" must be an http or https URL'),
        ({"email": "ops@example.org", "events": ["screening.completed"]}, "sent by webhook only"),
        ({"email": "ops@example.org", "min_severity": "urgent"}, '"min_severity" must be one of'),
    ):
        response = service.client.post("/v1/subscriptions", json=body, headers=service.acme.headers)
        assert response.status_code == 422 and message in response.json()["detail"], response.text
    assert service.client.post("/v1/subscriptions", json={"email": "a@b.c"}).status_code == 401


def test_embedded_mode_delivers_webhooks_itself(make_service: ServiceFactory) -> None:
    """Without a broker the API's own alert thread sends the signed webhook to a real receiver."""
    service = make_service(alert_every=0.2, webhook_allow_loopback=True)
    port = free_port()
    receiver = Receiver(port, service.acme.webhook_secret)
    receiver.start()
    try:
        body = {"url": f"http://127.0.0.1:{port}/hook", "events": ["screening.completed"]}
        assert (
            service.client.post("/v1/subscriptions", json=body, headers=service.acme.headers).status_code
            == 201
        )
        upload = service.upload(service.acme)
        wait_done(service.client, upload.json()["id"], service.acme)
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        receiver.stop()
    ((_headers, document),) = receiver.received
    assert (
        document["type"] == "screening.completed" and document["data"]["screening_id"] == upload.json()["id"]
    )  # type: ignore[index]
