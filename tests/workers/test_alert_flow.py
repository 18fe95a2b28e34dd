"""Alerts through the real parts: a worker with its scheduler on Redis screens a submission, then its
periodic delivery task posts the signed webhook to a real receiver and mails the high-severity flag
through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from screening import services
from screening.jobs import new_webhook_secret
from screening.storage.service_repository import SqlAlertStore, SqlServiceStore
from tests.screening.test_alerts import Inbox
from tests.screening.test_deliveries import Receiver
from tests.workers.conftest import POSTGRES_ONLY, StartWorker, free_port, submit, supplier_list, wait_for
from workers.enqueue import enqueue_screening


@POSTGRES_ONLY
@pytest.mark.redis
def test_a_finished_screening_reaches_its_webhook_and_email_subscribers(
    shared_redis_url: str, start_worker: StartWorker, scope: services.Scope
) -> None:
    hook_port, smtp_port = free_port(), free_port()
    with scope() as stores:
        assert isinstance(stores.jobs, SqlServiceStore) and isinstance(stores.alerts, SqlAlertStore)
        secret = stores.jobs.webhook_secret("acme", create=new_webhook_secret())
        assert secret is not None
        stores.alerts.add_subscription(
            "acme", f"http://127.0.0.1:{hook_port}/hook", None, ["screening.completed"], "low"
        )
        stores.alerts.add_subscription("acme", None, "ops@example.org", ["flag.raised"], "high")
    receiver = Receiver(hook_port, secret)
    receiver.start()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        worker = start_worker(
            shared_redis_url,
            "alerts",
            beat=True,
            env={
                "TIERSIGHT_WEBHOOK_ALLOW_LOOPBACK": "true",
                "TIERSIGHT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                "TIERSIGHT_WORKER_DELIVER_EVERY": "1",
                "TIERSIGHT_PUBLIC_URL": "http://tiersight.test",
            },
        )
        item = submit(scope, supplier_list(6))
        enqueue_screening(shared_redis_url, item.id)
        wait_for(
            lambda: receiver.received and inbox.messages,
            60,
            "the webhook and the email arrive",
            logs=(worker.log,),
        )
    finally:
        receiver.stop()
        smtp.stop()
    ((headers, document),) = receiver.received
    assert document["type"] == "screening.completed" and document["data"]["screening_id"] == item.id  # type: ignore[index]
    assert headers["webhook-signature"].startswith("v1,")
    message = inbox.messages[0]
    assert "[HIGH]" in str(
        message["Subject"]
    ) and f"http://tiersight.test/v1/screenings/{item.id}/report" in message.as_string().replace("=\n", "")
