"""Alerts: which subscription gets which event, how a webhook delivery is signed and retried, where it
may be sent, and what an alert email says. Pure functions; sending is the workers' job.

- Events are `screening.completed`, `flag.raised` and `flag.cleared`; a subscription takes the types it
  lists, and flag events only at or above its minimum severity.
- Deliveries follow Standard Webhooks (the `standardwebhooks` package signs): headers `webhook-id` (the
  event's stable id, the same on every retry), `webhook-timestamp` and `webhook-signature`.
- Retries back off exponentially with full jitter, capped at one hour between attempts, and go on for
  at least 24 hours (`RETRY_SCHEDULE` sums the worst case); then the delivery is failed.
- The address guard refuses private, link-local, multicast, reserved and unspecified addresses (the
  cloud metadata service is link-local); loopback only when the settings allow it (local use, tests).
- Email: an immediate message for a high-severity flag, a daily digest for the rest; plain text and
  HTML, each flag with its evidence path and a link to the report.
"""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import json
import random
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from screening.errors import InputError
from screening.model import SEVERITY_ORDER

EVENT_TYPES = ("screening.completed", "flag.raised", "flag.cleared")
Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")

FIRST_RETRY = dt.timedelta(seconds=30)
MAX_RETRY_GAP = dt.timedelta(hours=1)
RETRY_FOR = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    tenant: str
    url: str | None
    email: str | None
    events: tuple[str, ...]
    min_severity: Severity
    active: bool = True

    def wants(self, event_type: str, severity: str | None) -> bool:
        """Whether this subscription takes an event of this type (and, for flags, severity)."""
        if not self.active or event_type not in self.events:
            return False
        if event_type == "screening.completed":
            return True
        return SEVERITY_ORDER.get(severity or "low", 0) >= SEVERITY_ORDER[self.min_severity]


def severity_of(value: str) -> Severity:
    for severity in SEVERITIES:
        if value == severity:
            return severity
    raise ValueError(f"unknown severity {value!r}")


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery whose next attempt is due, with what it takes to make it."""

    id: int
    tenant: str
    event_id: str
    event_type: str
    event_created_at: dt.datetime
    payload: Mapping[str, object]
    subscription: Subscription
    attempts: int
    created_at: dt.datetime


def parse_subscription(
    data: Mapping[str, object],
) -> tuple[str | None, str | None, tuple[str, ...], Severity]:
    """Validate `{"url" | "email", "events", "min_severity"}`; errors name the field."""
    url, email = data.get("url"), data.get("email")
    if (url is None) == (email is None):
        raise InputError('give exactly one of "url" and "email"')
    if url is not None and (not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https")):
        raise InputError('"url" must be an http or https URL')
    if email is not None and (not isinstance(email, str) or "@" not in email.strip("@")):
        raise InputError('"email" must be an email address')
    flag_events = [e for e in EVENT_TYPES if e.startswith("flag.")]
    events = data.get("events", list(EVENT_TYPES) if url is not None else flag_events)
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise InputError('"events" must be a non-empty list of event types')
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InputError(f'"events": unknown event type {unknown[0]!r} (known: {", ".join(EVENT_TYPES)})')
    if email is not None and "screening.completed" in events:
        raise InputError('"events": screening.completed is sent by webhook only; email takes flag events')
    severity = data.get("min_severity", "low")
    if severity not in SEVERITIES:
        raise InputError(f'"min_severity" must be one of {", ".join(SEVERITIES)}')
    return (
        url if isinstance(url, str) else None,
        email if isinstance(email, str) else None,
        tuple(dict.fromkeys(events)),
        severity_of(str(severity)),
    )


# -- webhooks ---------------------------------------------------------------------------------------------


def signed_headers(secret: str, event_id: str, body: bytes, now: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery attempt of an event."""
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, now, body),
    }


def event_body(
    event_id: str, event_type: str, created_at: dt.datetime, payload: Mapping[str, object]
) -> bytes:
    document = {"type": event_type, "timestamp": created_at.isoformat(), "id": event_id, "data": payload}
    return json.dumps(document, ensure_ascii=False, default=str, sort_keys=True).encode("utf-8")


def next_attempt(
    attempts: int, first_attempt: dt.datetime, now: dt.datetime, rand: Callable[[], float] = random.random
) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts, or None when the retry period is over.

    Exponential backoff with full jitter, but never less than half the exponential step, so the
    attempts spread out yet still cover the whole 24 hours: 30 s, 1 min, 2 min ... capped at 1 h.
    """
    if now - first_attempt >= RETRY_FOR:
        return None
    doublings = min(max(attempts - 1, 0), 16)  # 30 s * 2**7 already passes the one-hour cap
    step: dt.timedelta = min(FIRST_RETRY * (2**doublings), MAX_RETRY_GAP)
    return now + step * (0.5 + 0.5 * rand())


class BlockedAddress(InputError):
    """A webhook URL that points where the service must not send requests."""


def check_destination(
    url: str,
    *,
    allow_loopback: bool,
    resolve: Callable[[str, int], Sequence[str]] | None = None,
) -> None:
    """Refuse URLs whose host resolves to a private, link-local or otherwise internal address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(f"{url!r} is not an http(s) URL with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    lookup = resolve or _resolve
    try:
        addresses = lookup(parts.hostname, port)
    except OSError as exc:
        raise BlockedAddress(f"{parts.hostname} does not resolve: {exc}") from None
    if not addresses:
        raise BlockedAddress(f"{parts.hostname} does not resolve")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if address.is_loopback:
            if allow_loopback:
                continue
            raise BlockedAddress(f"{parts.hostname} is a loopback address ({address}); not allowed here")
        if (
            address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            raise BlockedAddress(f"{parts.hostname} resolves to an internal address ({address})")


def _resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


# -- email ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlagAlert:
    """One flag event as an email shows it."""

    screening_id: str
    event_type: str  # flag.raised | flag.cleared
    flag: Mapping[str, object]
    report_url: str


def _path_text(flag: Mapping[str, object]) -> str:
    steps = flag.get("path") or []
    parts = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, Mapping):
            continue
        name = step.get("name") or step.get("company_id")
        hop = f"tier {step.get('tier')}: {name}"
        if step.get("shipment_id"):
            hop += (
                f" (shipment {step.get('shipment_id')}, HS {step.get('hs_code')},"
                f" {step.get('date')}, {step.get('origin')})"
            )
        parts.append(hop)
    return " > ".join(parts) or "(tier-1 supplier)"


def _line_of(alert: FlagAlert) -> tuple[str, str, str]:
    flag = alert.flag
    supplier = ""
    source = flag.get("input")
    if isinstance(source, Mapping):
        supplier = str(source.get("supplier_name") or "")
    verb = "raised" if alert.event_type == "flag.raised" else "cleared"
    severity = str(flag.get("severity", "")).upper()
    title = f"[{severity}] {flag.get('rule_id')} {verb}: line {flag.get('line')} {supplier}".strip()
    value = flag.get("value_usd")
    amount = float(value) if isinstance(value, int | float) else 0.0
    detail = f"tier {flag.get('tier')}, value {amount:,.2f} USD, {flag.get('hits')} hits"
    return title, detail, _path_text(flag)


def alert_email(sender: str, to: str, alerts: Sequence[FlagAlert], *, digest: bool) -> EmailMessage:
    """An immediate alert (one high-severity flag) or the daily digest, as plain text and HTML."""
    if not alerts:
        raise ValueError("an alert email needs at least one flag")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    first = _line_of(alerts[0])[0]
    message["Subject"] = (
        f"tiersight daily digest: {len(alerts)} flag change{'s' if len(alerts) != 1 else ''}"
        if digest
        else f"tiersight alert: {first}"
    )
    text_lines = []
    html_items = []
    for alert in alerts:
        title, detail, path = _line_of(alert)
        text_lines += [title, f"  {detail}", f"  evidence: {path}", f"  report: {alert.report_url}", ""]
        html_items.append(
            f"<li><p><strong>{html.escape(title)}</strong><br>{html.escape(detail)}</p>"
            f"<p>Evidence: {html.escape(path)}</p>"
            f'<p><a href="{html.escape(alert.report_url, quote=True)}">Open the report</a></p></li>'
        )
    message.set_content("\n".join(text_lines))
    message.add_alternative(
        '<!DOCTYPE html><html lang="en"><body><ul>' + "".join(html_items) + "</ul></body></html>",
        subtype="html",
    )
    return message
