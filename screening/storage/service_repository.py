"""The service's rows (jobs, API keys, webhook secrets, events, audit) as `screening.jobs` values.

Like the network repository, it adds and flushes and never commits. State changes that two workers
could race on (`claim`, `finish`) are single conditional UPDATEs, so that exactly one of them wins.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from screening.jobs import JOB_STATUSES, Job, JobStatus, NewEvent, NewKey, Submission
from screening.services import Stores
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from screening.storage.tables import (
    ApiKeyRow,
    AuditRow,
    EventRow,
    ScreeningRow,
    TenantRow,
    TenantSecretRow,
)


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

    # -- tenants ------------------------------------------------------------------------------------
    def tenant_id(self, name: str, *, create: bool = False) -> int | None:
        return SqlNetworkStore(self.session).tenant_id(name, create=create)  # one upsert for tenants

    def tenant_name(self, tenant_id: int) -> str:
        return str(
            self.session.execute(
                select(col(TenantRow.name)).where(col(TenantRow.id) == tenant_id)
            ).scalar_one()
        )

    def _tenant(self, name: str) -> int:
        found = self.tenant_id(name, create=True)
        assert found is not None
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

    def api_key(self, prefix: str) -> tuple[str, str] | None:
        """(tenant name, stored digest) of the live key with this prefix."""
        row = self.session.execute(
            select(col(TenantRow.name), col(ApiKeyRow.key_sha256))
            .join(TenantRow, col(TenantRow.id) == col(ApiKeyRow.tenant_id))
            .where(col(ApiKeyRow.prefix) == prefix, col(ApiKeyRow.revoked_at).is_(None))
        ).one_or_none()
        return None if row is None else (str(row[0]), str(row[1]))

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
        self.session.add(
            AuditRow(
                tenant_id=self._tenant(tenant),
                actor=actor,
                action=action,
                subject=subject,
                detail=detail,
                at=_now(),
            )
        )
        self.session.flush()

    def audit_log(self, tenant: str) -> list[dict[str, object]]:
        rows = self.session.execute(
            select(AuditRow).where(col(AuditRow.tenant_id) == self._tenant(tenant)).order_by(col(AuditRow.id))
        ).scalars()
        return [
            {"actor": r.actor, "action": r.action, "subject": r.subject, "detail": r.detail, "at": _utc(r.at)}
            for r in rows
        ]

    # -- jobs -------------------------------------------------------------------------------------------
    def _job(self, row: ScreeningRow) -> Job:
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
        )

    def add_job(self, tenant: str, submission: Submission, job_id: str, sha256: str) -> tuple[Job, bool]:
        tenant_id = self._tenant(tenant)
        if submission.idempotency_key is not None:
            found = self._by_idempotency(tenant_id, submission.idempotency_key)
            if found is not None:
                return self._job(found), False
        now = _now()
        row = ScreeningRow(
            id=job_id,
            tenant_id=tenant_id,
            status="queued",
            source=submission.source,
            filename=submission.filename,
            input_sha256=sha256,
            input_data=submission.data,
            as_of=submission.as_of,
            max_tier=submission.max_tier,
            idempotency_key=submission.idempotency_key,
            submitted_by=submission.submitted_by,
            rescreen_of=submission.rescreen_of,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            # Another request with the same idempotency key committed first: return its job.
            assert submission.idempotency_key is not None
            found = self._by_idempotency(tenant_id, submission.idempotency_key)
            if found is None:
                raise
            return self._job(found), False
        return self._job(row), True

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
        return self._job(row)

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
            yield Stores(network=SqlNetworkStore(session), jobs=SqlServiceStore(session))

    return scope
