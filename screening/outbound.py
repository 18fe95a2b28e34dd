"""OUTER RING: the network calls alerts need — an HTTP POST for a webhook attempt, an SMTP send — and
the periodic alert round both runners (the API's embedded mode, the Celery workers) share."""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import httpx

from screening import services
from screening.jobs import new_webhook_secret
from screening.settings import Settings
from screening.storage.service_repository import SqlServiceStore


def post_webhook(url: str, body: bytes, headers: dict[str, str]) -> int:
    """One webhook attempt: no redirects followed (the address guard checked this URL, not another)."""
    return httpx.post(url, content=body, headers=headers, timeout=10.0, follow_redirects=False).status_code


def send_email(smtp_url: str, message: EmailMessage) -> None:
    """Send through `smtp://host:port` (STARTTLS when offered) or `smtps://`, with user:password@ when
    the server wants a login."""
    url = urlsplit(smtp_url)
    host = url.hostname or "127.0.0.1"
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, url.port or 465, timeout=15)
    else:
        client = smtplib.SMTP(host, url.port or 25, timeout=15)
    with client:
        if url.scheme != "smtps" and client.has_extn("starttls"):
            client.starttls()
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)


def report_url(settings: Settings, screening_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/v1/screenings/{screening_id}/report?format=html"


def deliver_round(scope: services.Scope, settings: Settings, *, digest: bool = False) -> dict[str, int]:
    """Due webhook deliveries and immediate alert emails (and, with `digest`, the daily digest)."""
    now = dt.datetime.now(dt.UTC)

    def secret_of(tenant: str) -> str:
        with scope() as stores:
            assert isinstance(stores.jobs, SqlServiceStore)
            found = stores.jobs.webhook_secret(tenant, create=new_webhook_secret())
        assert found is not None
        return found

    with scope() as stores:
        hooks = services.deliver_due_webhooks(
            stores.alerts, secret_of, post_webhook, now=now, allow_loopback=settings.webhook_allow_loopback
        )
    mails = 0
    smtp_url = settings.smtp_url
    if smtp_url:
        with scope() as stores:
            mails = services.send_due_emails(
                stores.alerts,
                lambda message: send_email(smtp_url, message),
                now=now,
                sender=settings.smtp_sender,
                report_url=lambda screening_id: report_url(settings, screening_id),
                digest=digest,
            )
    return {"delivered": hooks.delivered, "retrying": hooks.retrying, "failed": hooks.failed, "emails": mails}
