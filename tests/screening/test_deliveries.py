"""Webhook deliveries end to end on SQLite and PostgreSQL, to a real HTTP receiver on loopback: events
fan out to the subscriptions that want them, a receiver that is down gets the same event again later
(same webhook-id, every attempt recorded), and the signature verifies with the tenant's secret."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import smtplib
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from standardwebhooks import Webhook

from screening import jobs, services
from screening.jobs import Submission
from screening.rules import load_rules
from screening.storage.service_repository import SqlAlertStore, SqlServiceStore, scope_factory
from tests.screening.test_alerts import Inbox
from tests.screening.test_services import AS_OF, files, load  # noqa: F401  (fixture)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver that verifies every request and keeps what it got."""

    def __init__(self, port: int, secret: str) -> None:
        self.port, self.secret = port, secret
        self.received: list[tuple[dict[str, str], dict[str, object]]] = []
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    document = Webhook(outer.secret).verify(body, headers)
                except Exception:  # a bad signature: refuse it as a real receiver would
                    self.send_response(401)
                    self.end_headers()
                    return
                outer.received.append((headers, document))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=5).status_code


@pytest.fixture
def done_job(engine: Engine, files: dict[str, Path]) -> Iterator[tuple[str, str]]:  # noqa: F811
    """A finished screening of acme with its events, and acme's webhook secret."""
    load(engine, shipments=files["shipments"], companies=files["companies"])
    scope = scope_factory(engine)
    with scope() as stores:
        assert isinstance(stores.jobs, SqlServiceStore)
        secret = stores.jobs.webhook_secret("acme", create=jobs.new_webhook_secret())
        assert secret is not None
    yield secret, str(files["suppliers"])


def test_a_receiver_down_then_up_gets_the_event_once_with_every_attempt_logged(
    engine: Engine, done_job: tuple[str, str]
) -> None:
    secret, suppliers = done_job
    scope = scope_factory(engine)
    port = free_port()
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        hook = stores.alerts.add_subscription(
            "acme", f"http://127.0.0.1:{port}/hook", None, ["screening.completed"], "low"
        )
        high_only = stores.alerts.add_subscription(
            "acme", f"http://127.0.0.1:{port}/high", None, ["flag.raised"], "high"
        )
        job, _ = jobs.submit(
            stores.jobs,
            "acme",
            Submission(Path(suppliers).read_bytes(), "suppliers.csv", "upload", as_of=AS_OF),
        )
    services.run_job(scope, job.id, load_rules(Path(suppliers).parent / "rules"))

    now = dt.datetime.now(dt.UTC)
    secrets = {"acme": secret}.__getitem__
    with scope() as stores:  # the receiver is down: refused connection, recorded, retried later
        outcome = services.deliver_due_webhooks(stores.alerts, secrets, post, now=now, allow_loopback=True)
    # One completion to `hook`; `high_only` takes the high flag.raised (cn-lithium), not steel-232 (medium).
    assert (outcome.delivered, outcome.retrying, outcome.failed) == (0, 2, 0)

    receiver = Receiver(port, secret)
    receiver.start()
    try:
        with scope() as stores:
            early = services.deliver_due_webhooks(stores.alerts, secrets, post, now=now, allow_loopback=True)
        assert early.delivered == 0  # not due yet: backoff
        later = now + dt.timedelta(minutes=2)
        with scope() as stores:
            outcome = services.deliver_due_webhooks(
                stores.alerts, secrets, post, now=later, allow_loopback=True
            )
        assert (outcome.delivered, outcome.retrying, outcome.failed) == (2, 0, 0)
        with scope() as stores:  # nothing left to deliver
            assert (
                services.deliver_due_webhooks(
                    stores.alerts, secrets, post, now=later, allow_loopback=True
                ).delivered
                == 0
            )
    finally:
        receiver.stop()

    kinds = sorted(document["type"] for _headers, document in receiver.received)  # type: ignore[type-var]
    assert kinds == ["flag.raised", "screening.completed"]
    raised = next(document for _h, document in receiver.received if document["type"] == "flag.raised")
    assert raised["data"]["flag"]["rule_id"] == "cn-lithium"  # type: ignore[index]
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        log = stores.alerts.deliveries("acme", hook.id)
        assert len(log) == 1 and log[0]["status"] == "delivered"
        attempts = log[0]["attempts"]
        assert isinstance(attempts, list) and len(attempts) == 2
        assert attempts[0]["status_code"] is None and "Connect" in str(attempts[0]["error"])
        assert attempts[1]["status_code"] == 204 and attempts[1]["error"] is None
        assert stores.alerts.deliveries("globex", hook.id) == []  # another tenant sees nothing
        assert len(stores.alerts.deliveries("acme", high_only.id)) == 1
    # The same event id on both attempts: the completion the receiver got carries the stored event id.
    completion_headers = next(h for h, d in receiver.received if d["type"] == "screening.completed")
    assert completion_headers["webhook-id"] == log[0]["event_id"]


def test_the_address_guard_holds_deliveries_to_loopback_unless_allowed(
    engine: Engine, done_job: tuple[str, str]
) -> None:
    secret, suppliers = done_job
    scope = scope_factory(engine)
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        sub = stores.alerts.add_subscription(
            "acme", "http://127.0.0.1:9/hook", None, ["screening.completed"], "low"
        )
        job, _ = jobs.submit(
            stores.jobs,
            "acme",
            Submission(Path(suppliers).read_bytes(), "suppliers.csv", "upload", as_of=AS_OF),
        )
    services.run_job(scope, job.id, load_rules(Path(suppliers).parent / "rules"))
    sent: list[str] = []

    def record(url: str, body: bytes, headers: dict[str, str]) -> int:
        sent.append(url)
        return 200

    with scope() as stores:
        outcome = services.deliver_due_webhooks(
            stores.alerts,
            {"acme": secret}.__getitem__,
            record,
            now=dt.datetime.now(dt.UTC),
            allow_loopback=False,
        )
        assert isinstance(stores.alerts, SqlAlertStore)
        (entry,) = stores.alerts.deliveries("acme", sub.id)
    assert sent == [] and outcome.retrying == 1
    assert "loopback" in json.dumps(entry["attempts"], default=str)


def test_email_alerts_now_for_high_flags_and_a_digest_for_the_rest(
    engine: Engine, done_job: tuple[str, str]
) -> None:
    """cn-lithium (high) is mailed at once; steel-232 (medium) waits for the digest; a dead SMTP server
    leaves the delivery pending with the error recorded."""
    _secret, suppliers = done_job
    scope = scope_factory(engine)
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        sub = stores.alerts.add_subscription(
            "acme", None, "ops@example.org", ["flag.raised", "flag.cleared"], "low"
        )
        job, _ = jobs.submit(
            stores.jobs,
            "acme",
            Submission(Path(suppliers).read_bytes(), "suppliers.csv", "upload", as_of=AS_OF),
        )
    services.run_job(scope, job.id, load_rules(Path(suppliers).parent / "rules"))

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())

    def smtp_send(message: EmailMessage) -> None:
        with smtplib.SMTP(controller.hostname, controller.port, timeout=5) as smtp:
            smtp.send_message(message)

    def url(screening_id: str) -> str:
        return f"http://127.0.0.1:8000/v1/screenings/{screening_id}/report?format=html"

    now = dt.datetime.now(dt.UTC)
    options = {"sender": "tiersight@example.org", "report_url": url}
    with scope() as stores:  # SMTP server not started yet: the high flag's message fails and waits
        assert services.send_due_emails(stores.alerts, smtp_send, now=now, digest=False, **options) == 0  # type: ignore[arg-type]
    controller.start()
    try:
        later = now + dt.timedelta(minutes=2)
        with scope() as stores:
            assert services.send_due_emails(stores.alerts, smtp_send, now=later, digest=False, **options) == 1  # type: ignore[arg-type]
        with scope() as stores:
            assert services.send_due_emails(stores.alerts, smtp_send, now=later, digest=True, **options) == 1  # type: ignore[arg-type]
        with scope() as stores:
            assert services.send_due_emails(stores.alerts, smtp_send, now=later, digest=True, **options) == 0  # type: ignore[arg-type]
    finally:
        controller.stop()
    subjects = [str(m["Subject"]).strip() for m in inbox.messages]
    assert subjects == [
        "tiersight alert: [HIGH] cn-lithium raised: line 2 Hanoi Pack Assembly",
        "tiersight daily digest: 1 flag change",
    ]
    first = email.message_from_string(inbox.messages[0].as_string(), policy=email.policy.default)
    assert f"report: {url(job.id)}" in first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    with scope() as stores:
        assert isinstance(stores.alerts, SqlAlertStore)
        log = {entry["event_type"]: entry for entry in stores.alerts.deliveries("acme", sub.id)}
    attempts = log["flag.raised"]["attempts"]
    assert isinstance(attempts, list) and len(attempts) >= 2 and "Connection" in str(attempts[0]["error"])
