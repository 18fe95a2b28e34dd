"""Alerts: subscription filters, Standard Webhooks signatures, the retry schedule, the address guard and
the alert email (sent through a real SMTP server, aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import email
import itertools
import json
import smtplib
import socket
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from standardwebhooks import Webhook, WebhookVerificationError

from screening import alerts
from screening.errors import InputError
from screening.jobs import new_webhook_secret

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
FLAG = {
    "line": 2,
    "input": {"supplier_name": "Hanoi Pack <Assembly>"},
    "rule_id": "cn-lithium",
    "severity": "high",
    "tier": 3,
    "value_usd": 200.0,
    "hits": 2,
    "path": [
        {"company_id": "C-PACK", "tier": 1, "name": "Hanoi Pack Assembly JSC"},
        {
            "company_id": "C-VOLTA",
            "tier": 2,
            "shipment_id": "S2",
            "hs_code": "850790",
            "date": "2025-02-01",
            "origin": "CN",
        },
        {
            "company_id": "N1",
            "tier": 3,
            "shipment_id": "S3",
            "hs_code": "282520",
            "date": "2025-01-10",
            "origin": "CN",
        },
    ],
}


def subscription(
    events: tuple[str, ...] = alerts.EVENT_TYPES, min_severity: alerts.Severity = "medium"
) -> alerts.Subscription:
    return alerts.Subscription("sub1", "acme", "https://example.org/hook", None, events, min_severity)


def test_a_subscription_takes_its_event_types_at_or_above_its_severity() -> None:
    sub = subscription(("screening.completed", "flag.raised"))
    assert sub.wants("screening.completed", None)
    assert sub.wants("flag.raised", "high") and sub.wants("flag.raised", "medium")
    assert not sub.wants("flag.raised", "low") and not sub.wants("flag.cleared", "high")
    paused = alerts.Subscription("s", "acme", None, "a@b.c", alerts.EVENT_TYPES, "low", active=False)
    assert not paused.wants("screening.completed", None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, 'exactly one of "url" and "email"'),
        ({"url": "https://a.example", "email": "x@y.z"}, 'exactly one of "url" and "email"'),
        ({"url": "ftp://a.example"}, '"url" must be an http or https URL'),
        ({"email": "nobody"}, '"email" must be an email address'),
        ({"email": "a@b.c", "events": []}, '"events" must be a non-empty list'),
        ({"email": "a@b.c", "events": ["flag.exploded"]}, "unknown event type 'flag.exploded'"),
        ({"email": "a@b.c", "min_severity": "urgent"}, '"min_severity" must be one of low, medium, high'),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        alerts.parse_subscription(data)


def test_subscription_defaults() -> None:
    assert alerts.parse_subscription({"email": "ops@example.org"}) == (
        None,
        "ops@example.org",
        ("flag.raised", "flag.cleared"),
        "low",
    )
    assert alerts.parse_subscription({"url": "https://a.example/h"})[2] == alerts.EVENT_TYPES
    with pytest.raises(InputError, match=r"screening\.completed is sent by webhook only"):
        alerts.parse_subscription({"email": "a@b.c", "events": ["screening.completed"]})


def test_deliveries_are_signed_per_standard_webhooks_with_a_stable_id() -> None:
    secret = new_webhook_secret()
    now = dt.datetime.now(dt.UTC)  # receivers refuse timestamps more than 5 minutes off
    body = alerts.event_body("evt_1", "flag.raised", NOW, {"flag": FLAG})
    first = alerts.signed_headers(secret, "evt_1", body, now)
    retry = alerts.signed_headers(secret, "evt_1", body, now + dt.timedelta(minutes=1))
    assert first["webhook-id"] == retry["webhook-id"] == "evt_1"
    assert (
        first["webhook-signature"].startswith("v1,")
        and first["webhook-signature"] != retry["webhook-signature"]
    )
    # The receiving side verifies with the same secret; the document carries the event.
    receiver = Webhook(secret)
    document = receiver.verify(body, first)
    assert document["type"] == "flag.raised" and document["data"]["flag"]["rule_id"] == "cn-lithium"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(body, first)
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body + b" ", first)


def test_retries_back_off_and_go_on_for_a_day() -> None:
    """Worst case (every jitter at its top) and best case (at its bottom): attempts until 24 hours are up."""
    for jitter in (0.0, 1.0):
        now, attempts, gaps = NOW, 1, []
        while True:
            later = alerts.next_attempt(attempts, NOW, now, rand=lambda j=jitter: j)
            if later is None:
                break
            gaps.append(later - now)
            now, attempts = later, attempts + 1
        assert now - NOW >= alerts.RETRY_FOR  # retried for at least 24 hours
        assert gaps[0] <= dt.timedelta(seconds=30) and max(gaps) <= alerts.MAX_RETRY_GAP
        assert all(b >= a for a, b in itertools.pairwise(gaps))  # never shorter than the last
        assert len(gaps) < 60  # not a hammering


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://10.1.2.3/hook", False),
        ("http://192.168.0.10/hook", False),
        ("http://169.254.169.254/latest/meta-data", False),  # cloud metadata: link-local
        ("http://[fe80::1]/hook", False),
        ("http://0.0.0.0/hook", False),
        ("http://93.184.215.14/hook", True),
        ("http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook", True),
    ],
)
def test_the_address_guard(url: str, allowed: bool) -> None:
    if allowed:
        alerts.check_destination(url, allow_loopback=False)
    else:
        with pytest.raises(alerts.BlockedAddress):
            alerts.check_destination(url, allow_loopback=True)


def test_loopback_only_when_allowed_and_names_are_resolved() -> None:
    with pytest.raises(alerts.BlockedAddress, match="loopback"):
        alerts.check_destination("http://localhost:8080/hook", allow_loopback=False)
    alerts.check_destination("http://localhost:8080/hook", allow_loopback=True)
    # A public name that resolves to a private address is refused: the address decides, not the name.
    with pytest.raises(alerts.BlockedAddress, match="internal address"):
        alerts.check_destination(
            "https://hooks.example.org/x", allow_loopback=False, resolve=lambda _h, _p: ["10.0.0.7"]
        )
    with pytest.raises(alerts.BlockedAddress, match="not an http"):
        alerts.check_destination("file:///etc/passwd", allow_loopback=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.messages.append(message)


def test_an_alert_email_travels_through_smtp_with_text_html_and_evidence() -> None:
    alert = alerts.FlagAlert(
        "scr1", "flag.raised", FLAG, "http://127.0.0.1:8000/v1/screenings/scr1/report?format=html"
    )
    message = alerts.alert_email("tiersight@example.org", "ops@example.org", [alert], digest=False)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as smtp:
            smtp.send_message(message)
    finally:
        controller.stop()
    (received,) = inbox.messages
    parsed = email.message_from_string(received.as_string(), policy=email.policy.default)
    assert (
        str(parsed["Subject"]).strip()
        == "tiersight alert: [HIGH] cn-lithium raised: line 2 Hanoi Pack <Assembly>"
    )
    plain = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    evidence = "tier 3: N1 (shipment S3, HS 282520, 2025-01-10, CN)"
    assert (
        evidence in plain and "report: http://127.0.0.1:8000/v1/screenings/scr1/report?format=html" in plain
    )
    assert "Hanoi Pack &lt;Assembly&gt;" in page and "<Assembly>" not in page and evidence in page


def test_the_digest_counts_its_flags() -> None:
    cleared = alerts.FlagAlert(
        "scr2", "flag.cleared", {**FLAG, "severity": "low", "rule_id": "steel-232"}, "http://x/r"
    )
    raised = alerts.FlagAlert("scr2", "flag.raised", FLAG, "http://x/r")
    digest = alerts.alert_email("a@example.org", "b@example.org", [raised, cleared], digest=True)
    assert digest["Subject"] == "tiersight daily digest: 2 flag changes"
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "[LOW] steel-232 cleared" in text and "[HIGH] cn-lithium raised" in text
    with pytest.raises(ValueError, match="at least one flag"):
        alerts.alert_email("a@example.org", "b@example.org", [], digest=True)
    assert json.loads(alerts.event_body("e", "t", NOW, {})) == {
        "data": {},
        "id": "e",
        "timestamp": NOW.isoformat(),
        "type": "t",
    }
