"""The service's rows (jobs, API keys, webhook secrets, events, audit) as `screening.jobs` values.

Like the network repository, it adds and flushes and never commits. State changes that two workers
could race on (`claim`, `finish`) are single conditional UPDATEs, so that exactly one of them wins.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from screening.alerts import DueDelivery, Severity, Subscription, severity_of
from screening.jobs import JOB_STATUSES, Job, JobStatus, NewEvent, NewKey, Submission
from screening.services import Stores
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from screening.storage.tables import (
    ApiKeyRow,
    AuditRow,
    DeliveryAttemptRow,
    DeliveryRow,
    EventRow,
    ScreeningRow,
    SubscriptionRow,
    TenantRow,
    TenantSecretRow,
)

SCREENINGS = ScreeningRow.__table__  # type: ignore[attr-defined]
AUDIT = AuditRow.__table__  # type: ignore[attr-defined]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite keeps no zone; every stored time is UTC
        return value.replace(tzinfo=dt.UTC)
    return value


def _status(value: str) -> JobStatus:
    for status in JOB_STATUSES:  # the table's check constraint keeps it one of them
        if value == status:
            return status
    raise ValueError(f"unknown screening status {value!r}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SqlServiceStore:
    """`screening.jobs.JobStore` plus tenants' keys, secrets and audit log, in a SQL database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # tenants never change name or id: one query per tenant per unit of work
        self._names: dict[int, str] = {}
        self._ids: dict[str, int] = {}

    # -- tenants ------------------------------------------------------------------------------------
    def tenant_id(self, name: str, *, create: bool = False) -> int | None:
        return SqlNetworkStore(self.session).tenant_id(name, create=create)  # one upsert for tenants

    def tenant_name(self, tenant_id: int) -> str:
        name = self._names.get(tenant_id)
        if name is None:
            name = self._names[tenant_id] = str(
                self.session.execute(
                    select(col(TenantRow.name)).where(col(TenantRow.id) == tenant_id)
                ).scalar_one()
            )
        return name

    def _tenant(self, name: str) -> int:
        """The tenant's id (added when missing); once per tenant per unit of work."""
        found = self._ids.get(name)
        if found is None:
            found = self.tenant_id(name, create=True)
            assert found is not None
            self._ids[name] = found
            self._names[found] = name
        return found

    # -- keys and secrets -----------------------------------------------------------------------------
    def add_api_key(self, key: NewKey, label: str = "") -> None:
        self.session.add(
            ApiKeyRow(
                tenant_id=self._tenant(key.tenant),
                prefix=key.prefix,
                key_sha256=key.sha256,
                label=label,
                created_at=_now(),
            )
        )
        self.session.flush()

    def api_key(self, prefix: str) -> tuple[str, str, int] | None:
        """(tenant name, stored digest, tenant id) of the live key with this prefix."""
        row = self.session.execute(
            select(col(TenantRow.name), col(ApiKeyRow.key_sha256), col(TenantRow.id))
            .join(TenantRow, col(TenantRow.id) == col(ApiKeyRow.tenant_id))
            .where(col(ApiKeyRow.prefix) == prefix, col(ApiKeyRow.revoked_at).is_(None))
        ).one_or_none()
        return None if row is None else (str(row[0]), str(row[1]), int(row[2]))

    def remember_tenant(self, name: str, tenant_id: int) -> None:
        """Take a tenant's id known from elsewhere in this unit of work (an API key's row) instead of
        looking it up again."""
        self._ids[name] = tenant_id
        self._names[tenant_id] = name

    def webhook_secret(self, tenant: str, *, create: str | None = None) -> str | None:
        """The tenant's webhook secret; with `create`, that secret is stored first when none is."""
        tenant_id = self._tenant(tenant)
        row = self.session.get(TenantSecretRow, tenant_id)
        if row is None and create is not None:
            row = TenantSecretRow(tenant_id=tenant_id, webhook_secret=create, created_at=_now())
            self.session.add(row)
            self.session.flush()
        return None if row is None else row.webhook_secret

    def audit(self, tenant: str, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        # A plain INSERT, not the ORM's unit of work: nothing reads the row back in this transaction.
        self.session.execute(
            insert(AUDIT).values(
                tenant_id=self._tenant(tenant),
                actor=actor,
                action=action,
                subject=subject,
                detail=detail,
                at=_now(),
            )
        )

    def audit_log(self, tenant: str) -> list[dict[str, object]]:
        rows = self.session.execute(
            select(AuditRow).where(col(AuditRow.tenant_id) == self._tenant(tenant)).order_by(col(AuditRow.id))
        ).scalars()
        return [
            {"actor": r.actor, "action": r.action, "subject": r.subject, "detail": r.detail, "at": _utc(r.at)}
            for r in rows
        ]

    # -- jobs -------------------------------------------------------------------------------------------
    def job_from_row(self, row: ScreeningRow) -> Job:
        """A screenings row as a `Job` (for queries of the service's own that select rows)."""
        created, updated = _utc(row.created_at), _utc(row.updated_at)
        assert created is not None and updated is not None
        status = _status(row.status)
        return Job(
            id=row.id,
            tenant=self.tenant_name(row.tenant_id),
            status=status,
            source=row.source,
            filename=row.filename,
            input_sha256=row.input_sha256,
            as_of=row.as_of,
            max_tier=row.max_tier,
            lines_total=row.lines_total,
            lines_done=row.lines_done,
            attempts=row.attempts,
            error=row.error,
            rules_version=row.rules_version,
            network_version=row.network_version,
            submitted_by=row.submitted_by,
            rescreen_of=row.rescreen_of,
            created_at=created,
            updated_at=updated,
            started_at=_utc(row.started_at),
            finished_at=_utc(row.finished_at),
            columns=json.loads(row.column_map) if row.column_map else None,
        )

    def add_job(self, tenant: str, submission: Submission, job_id: str, sha256: str) -> tuple[Job, bool]:
        """Two statements for a new job (the tenant's id, the insert); a third reads the job that an
        idempotency key already names."""
        tenant_id = self._tenant(tenant)
        now = _now()
        values: dict[str, Any] = {
            "id": job_id,
            "tenant_id": tenant_id,
            "status": "queued",
            "source": submission.source,
            "filename": submission.filename,
            "input_sha256": sha256,
            "input_data": submission.data,
            "as_of": submission.as_of,
            "max_tier": submission.max_tier,
            "idempotency_key": submission.idempotency_key,
            "submitted_by": submission.submitted_by,
            "rescreen_of": submission.rescreen_of,
            "column_map": json.dumps(dict(submission.columns), ensure_ascii=False)
            if submission.columns
            else None,
            "lines_total": 0,
            "lines_done": 0,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        # One statement, no savepoint: a job with the same key, stored before or by a concurrent request
        # that committed first, makes this insert do nothing, and that job is returned (SQLite's driver
        # would commit at a savepoint, so a rolled-back submission could otherwise leave its job behind).
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        inserted = self.session.execute(
            dialect.insert(SCREENINGS)  # the table, not the class: no ORM bookkeeping for a plain insert
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
            .returning(SCREENINGS.c.id)
        ).scalar_one_or_none()
        if inserted is None:
            assert submission.idempotency_key is not None
            found = self._by_idempotency(tenant_id, submission.idempotency_key)
            assert found is not None
            return self.job_from_row(found), False
        # The row holds exactly `values`: the job is built from them, not read back.
        return self.job_from_row(ScreeningRow(**values)), True

    def _by_idempotency(self, tenant_id: int, key: str) -> ScreeningRow | None:
        return self.session.execute(
            select(ScreeningRow).where(
                col(ScreeningRow.tenant_id) == tenant_id, col(ScreeningRow.idempotency_key) == key
            )
        ).scalar_one_or_none()

    def job(self, tenant: str | None, job_id: str) -> Job | None:
        row = self.session.get(ScreeningRow, job_id, populate_existing=True)
        if row is None or (tenant is not None and self.tenant_name(row.tenant_id) != tenant):
            return None
        return self.job_from_row(row)

    def job_input(self, job_id: str) -> bytes:
        return bytes(
            self.session.execute(
                select(col(ScreeningRow.input_data)).where(col(ScreeningRow.id) == job_id)
            ).scalar_one()
        )

    def claim(self, job_id: str) -> Job | None:
        now = _now()
        done = self.session.execute(
            update(ScreeningRow)
            .where(col(ScreeningRow.id) == job_id, col(ScreeningRow.status).in_(("queued", "running")))
            .values(
                status="running",
                attempts=col(ScreeningRow.attempts) + 1,
                started_at=now,
                updated_at=now,
                lines_done=0,
            )
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            return None
        return self.job(None, job_id)

    def set_progress(self, job_id: str, done: int, total: int) -> None:
        self.session.execute(
            update(ScreeningRow)
            .where(col(ScreeningRow.id) == job_id, col(ScreeningRow.status) == "running")
            .values(lines_done=done, lines_total=total, updated_at=_now())
        )

    def finish(
        self,
        job_id: str,
        report_json: str,
        *,
        rules_version: str,
        network_version: str,
        events: Sequence[NewEvent],
    ) -> Job:
        """Store the report and the events, unless another run finished the job first (then nothing)."""
        now = _now()
        report = json.loads(report_json)
        total = len(report.get("lines", ()))
        done = self.session.execute(
            update(ScreeningRow)
            .where(col(ScreeningRow.id) == job_id, col(ScreeningRow.status) == "running")
            .values(
                status="done",
                report_json=report_json,
                rules_version=rules_version,
                network_version=network_version,
                lines_done=total,
                lines_total=total,
                error=None,
                finished_at=now,
                updated_at=now,
            )
        )
        if done.rowcount:  # type: ignore[attr-defined]
            row = self.session.get(ScreeningRow, job_id, populate_existing=True)
            assert row is not None
            for index, event in enumerate(events):
                self.session.add(
                    EventRow(
                        id="evt_" + uuid.uuid4().hex,
                        tenant_id=row.tenant_id,
                        type=event.type,
                        screening_id=job_id,
                        severity=event.severity,
                        payload=json.dumps(event.payload, ensure_ascii=False, default=str),
                        created_at=now + dt.timedelta(microseconds=index),  # keeps their order
                    )
                )
            self.session.flush()
        found = self.job(None, job_id)
        assert found is not None
        return found

    def fail(self, job_id: str, error: str) -> Job:
        now = _now()
        self.session.execute(
            update(ScreeningRow)
            .where(col(ScreeningRow.id) == job_id, col(ScreeningRow.status).in_(("queued", "running")))
            .values(status="failed", error=error, finished_at=now, updated_at=now)
        )
        found = self.job(None, job_id)
        assert found is not None
        return found

    def report_json(self, tenant: str, job_id: str) -> str | None:
        job = self.job(tenant, job_id)
        if job is None:
            return None
        return self.session.execute(
            select(col(ScreeningRow.report_json)).where(col(ScreeningRow.id) == job_id)
        ).scalar_one_or_none()

    def stale_jobs(self, older_than: dt.datetime) -> list[str]:
        rows = self.session.execute(
            select(col(ScreeningRow.id))
            .where(
                or_(col(ScreeningRow.status) == "queued", col(ScreeningRow.status) == "running"),
                col(ScreeningRow.updated_at) < older_than,
            )
            .order_by(col(ScreeningRow.created_at))
        ).scalars()
        return list(rows)

    def mark_requeued(self, job_id: str, older_than: dt.datetime) -> bool:
        done = self.session.execute(
            update(ScreeningRow)
            .where(
                col(ScreeningRow.id) == job_id,
                col(ScreeningRow.status).in_(("queued", "running")),
                col(ScreeningRow.updated_at) < older_than,
            )
            .values(updated_at=_now())
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def current_screenings(self) -> list[Job]:
        """Done screenings that no later re-screen has replaced: the ones to re-run on a version change."""
        replaced = select(col(ScreeningRow.rescreen_of)).where(
            col(ScreeningRow.rescreen_of).is_not(None), col(ScreeningRow.status) != "failed"
        )
        rows = self.session.execute(
            select(ScreeningRow)
            .where(col(ScreeningRow.status) == "done", col(ScreeningRow.id).not_in(replaced))
            .order_by(col(ScreeningRow.created_at))
        ).scalars()
        return [self.job_from_row(row) for row in rows]

    def failed_rescreens(self, job_id: str) -> int:
        return int(
            self.session.execute(
                select(func.count()).where(
                    col(ScreeningRow.rescreen_of) == job_id, col(ScreeningRow.status) == "failed"
                )
            ).scalar_one()
        )

    def events(self, tenant: str, screening_id: str | None = None) -> list[dict[str, object]]:
        query = select(EventRow).where(col(EventRow.tenant_id) == self._tenant(tenant))
        if screening_id is not None:
            query = query.where(col(EventRow.screening_id) == screening_id)
        rows = self.session.execute(query.order_by(col(EventRow.created_at), col(EventRow.id))).scalars()
        return [
            {
                "id": r.id,
                "type": r.type,
                "screening_id": r.screening_id,
                "severity": r.severity,
                "payload": json.loads(r.payload),
                "created_at": _utc(r.created_at),
            }
            for r in rows
        ]


def scope_factory(engine: Engine) -> Callable[[], AbstractContextManager[Stores]]:
    """`services.Scope` over a database: each call is one session scope (one transaction)."""

    @contextmanager
    def scope() -> Iterator[Stores]:
        with session_scope(engine) as session:
            yield Stores(
                network=SqlNetworkStore(session), jobs=SqlServiceStore(session), alerts=SqlAlertStore(session)
            )

    return scope


class SqlAlertStore:
    """Subscriptions, deliveries and their attempts: `services.AlertStore`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._service = SqlServiceStore(session)

    def add_subscription(
        self,
        tenant: str,
        url: str | None,
        email: str | None,
        events: Sequence[str],
        min_severity: Severity,
    ) -> Subscription:
        row = SubscriptionRow(
            id="sub_" + uuid.uuid4().hex[:24],
            tenant_id=self._service._tenant(tenant),
            url=url,
            email=email,
            events=" ".join(events),
            min_severity=min_severity,
            created_at=_now(),
        )
        self.session.add(row)
        self.session.flush()
        return self._subscription(row, tenant)

    def _subscription(self, row: SubscriptionRow, tenant: str) -> Subscription:
        return Subscription(
            id=row.id,
            tenant=tenant,
            url=row.url,
            email=row.email,
            events=tuple(row.events.split()),
            min_severity=severity_of(row.min_severity),
            active=row.active,
        )

    def subscriptions(self, tenant: str) -> list[Subscription]:
        rows = self.session.execute(
            select(SubscriptionRow)
            .where(col(SubscriptionRow.tenant_id) == self._service._tenant(tenant))
            .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
        ).scalars()
        return [self._subscription(row, tenant) for row in rows]

    def subscription(self, tenant: str, subscription_id: str) -> Subscription | None:
        row = self.session.get(SubscriptionRow, subscription_id)
        if row is None or row.tenant_id != self._service._tenant(tenant):
            return None
        return self._subscription(row, tenant)

    def fan_out(self, tenant: str, screening_id: str, now: dt.datetime) -> int:
        """A pending delivery of each of the screening's events to every active subscription that wants
        it; a subscription made after an event does not get it. Returns how many were added. Only this
        screening's events are read: called once per finished job, never a scan of the tenant's history."""
        tenant_id = self._service._tenant(tenant)
        subs = [
            (self._subscription(row, tenant), _utc(row.created_at) or now)
            for row in self.session.execute(
                select(SubscriptionRow).where(
                    col(SubscriptionRow.tenant_id) == tenant_id, col(SubscriptionRow.active).is_(True)
                )
            ).scalars()
        ]
        if not subs:
            return 0
        events = self.session.execute(
            select(EventRow)
            .where(col(EventRow.tenant_id) == tenant_id, col(EventRow.screening_id) == screening_id)
            .order_by(col(EventRow.created_at))
        ).scalars()
        # A run that lost the race to finish the job fans out the winner's events: skip what exists.
        have = {
            (str(event_id), str(subscription_id))
            for event_id, subscription_id in self.session.execute(
                select(col(DeliveryRow.event_id), col(DeliveryRow.subscription_id))
                .join(EventRow, col(EventRow.id) == col(DeliveryRow.event_id))
                .where(col(EventRow.screening_id) == screening_id)
            )
        }
        added = 0
        for event in events:
            for sub, since in subs:
                if (event.id, sub.id) in have or (_utc(event.created_at) or now) < since:
                    continue
                if sub.wants(event.type, event.severity):
                    self.session.add(
                        DeliveryRow(
                            event_id=event.id,
                            subscription_id=sub.id,
                            status="pending",
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                    added += 1
        self.session.flush()
        return added

    def due(self, now: dt.datetime, limit: int = 100, *, webhooks: bool | None = None) -> list[DueDelivery]:
        """The pending deliveries due at `now`, oldest first; only webhook ones (`webhooks=True`) or only
        email ones (`False`), so that neither kind waits behind the other's backlog."""
        query = (
            select(DeliveryRow, EventRow, SubscriptionRow)
            .join(EventRow, col(EventRow.id) == col(DeliveryRow.event_id))
            .join(SubscriptionRow, col(SubscriptionRow.id) == col(DeliveryRow.subscription_id))
            .where(col(DeliveryRow.status) == "pending", col(DeliveryRow.next_attempt_at) <= now)
        )
        if webhooks is not None:
            target = col(SubscriptionRow.url)
            query = query.where(target.is_not(None) if webhooks else target.is_(None))
        rows = self.session.execute(
            query.order_by(col(DeliveryRow.next_attempt_at), col(DeliveryRow.id)).limit(limit)
        ).all()
        out = []
        for delivery, event, sub in rows:
            tenant = self._service.tenant_name(sub.tenant_id)
            created = _utc(delivery.created_at)
            assert delivery.id is not None and created is not None
            out.append(
                DueDelivery(
                    id=delivery.id,
                    tenant=tenant,
                    event_id=event.id,
                    event_type=event.type,
                    event_created_at=_utc(event.created_at) or now,
                    payload=json.loads(event.payload),
                    subscription=self._subscription(sub, tenant),
                    attempts=delivery.attempts,
                    created_at=created,
                )
            )
        return out

    def record_attempt(
        self,
        delivery_id: int,
        *,
        at: dt.datetime,
        status_code: int | None,
        error: str | None,
        duration_ms: float,
        delivered: bool,
        next_attempt_at: dt.datetime | None,
    ) -> None:
        self.session.add(
            DeliveryAttemptRow(
                delivery_id=delivery_id,
                attempted_at=at,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        status = "delivered" if delivered else ("pending" if next_attempt_at is not None else "failed")
        self.session.execute(
            update(DeliveryRow)
            .where(col(DeliveryRow.id) == delivery_id)
            .values(
                status=status,
                attempts=col(DeliveryRow.attempts) + 1,
                next_attempt_at=None if delivered else next_attempt_at,
                delivered_at=at if delivered else None,
            )
        )
        self.session.flush()

    def redeliver(self, tenant: str, subscription_id: str, delivery_id: int, now: dt.datetime) -> bool:
        """Make one delivery of the tenant's active subscription due again at `now` (pending, whatever
        its status; its attempts stay listed); False when there is no such delivery of the tenant's."""
        tenant_id = self._service.tenant_id(tenant)
        if tenant_id is None:
            return False
        owned = select(col(SubscriptionRow.id)).where(
            col(SubscriptionRow.id) == subscription_id,
            col(SubscriptionRow.tenant_id) == tenant_id,
            col(SubscriptionRow.active).is_(True),
        )
        changed = self.session.execute(
            update(DeliveryRow)
            .where(col(DeliveryRow.id) == delivery_id, col(DeliveryRow.subscription_id).in_(owned))
            .values(status="pending", next_attempt_at=now, delivered_at=None)
        )
        self.session.flush()
        return bool(getattr(changed, "rowcount", 0))

    def remove_subscription(self, tenant: str, subscription_id: str) -> bool:
        """Deactivate one of the tenant's subscriptions: it takes no new events and its pending deliveries
        are given up (failed); its delivery log stays. False when it is not an active one of the tenant's."""
        tenant_id = self._service.tenant_id(tenant)
        if tenant_id is None:
            return False
        changed = self.session.execute(
            update(SubscriptionRow)
            .where(
                col(SubscriptionRow.id) == subscription_id,
                col(SubscriptionRow.tenant_id) == tenant_id,
                col(SubscriptionRow.active).is_(True),
            )
            .values(active=False)
        )
        if not getattr(changed, "rowcount", 0):
            return False
        self.session.execute(
            update(DeliveryRow)
            .where(col(DeliveryRow.subscription_id) == subscription_id, col(DeliveryRow.status) == "pending")
            .values(status="failed", next_attempt_at=None)
        )
        self.session.flush()
        return True

    def delivery_count(self, tenant: str, subscription_id: str) -> int:
        """How many deliveries the subscription's log holds (0 for another tenant's)."""
        if self.subscription(tenant, subscription_id) is None:
            return 0
        return int(
            self.session.execute(
                select(func.count())
                .select_from(DeliveryRow)
                .where(col(DeliveryRow.subscription_id) == subscription_id)
            ).scalar_one()
        )

    def deliveries(
        self, tenant: str, subscription_id: str, *, limit: int | None = None, before: int | None = None
    ) -> list[dict[str, object]]:
        """The deliveries of a subscription with every attempt, newest first: all of them, or the `limit`
        newest whose id is below `before` (a page of a long log)."""
        if self.subscription(tenant, subscription_id) is None:
            return []
        query = (
            select(DeliveryRow, EventRow)
            .join(EventRow, col(EventRow.id) == col(DeliveryRow.event_id))
            .where(col(DeliveryRow.subscription_id) == subscription_id)
        )
        if before is not None:
            query = query.where(col(DeliveryRow.id) < before)
        query = query.order_by(col(DeliveryRow.id).desc())
        rows = self.session.execute(query if limit is None else query.limit(limit)).all()
        if not rows:
            return []
        newest, oldest = rows[0][0].id, rows[-1][0].id
        attempts_of: dict[int, list[DeliveryAttemptRow]] = defaultdict(list)
        for attempt in self.session.execute(  # the page's attempts in one query, not one per delivery
            select(DeliveryAttemptRow)
            .join(DeliveryRow, col(DeliveryRow.id) == col(DeliveryAttemptRow.delivery_id))
            .where(
                col(DeliveryRow.subscription_id) == subscription_id,
                col(DeliveryRow.id).between(oldest, newest),
            )
            .order_by(col(DeliveryAttemptRow.id))
        ).scalars():
            attempts_of[attempt.delivery_id].append(attempt)
        out: list[dict[str, object]] = []
        for delivery, event in rows:
            attempts = attempts_of.get(delivery.id or 0, [])
            out.append(
                {
                    "id": delivery.id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "status": delivery.status,
                    "attempts": [
                        {
                            "at": _utc(a.attempted_at),
                            "status_code": a.status_code,
                            "error": a.error,
                            "duration_ms": round(a.duration_ms, 1),
                        }
                        for a in attempts
                    ],
                    "next_attempt_at": _utc(delivery.next_attempt_at),
                    "delivered_at": _utc(delivery.delivered_at),
                }
            )
        return out
