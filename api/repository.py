"""Queries the service needs that `SqlServiceStore` does not offer yet: a tenant's screenings (all, the
newest of each lineage for review, the re-screens running), ERP receipts by webhook-id, and screenings
counted by status. They take the store of the caller's unit of work and, like every repository, flush
and never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from screening.jobs import Job, JobStatus
from screening.services import Stores
from screening.storage.service_repository import SqlServiceStore
from screening.storage.tables import DeliveryRow, ErpReceiptRow, ScreeningRow


def sql(stores: Stores) -> SqlServiceStore:
    """The SQL job store of a unit of work (the API only ever runs on the SQL stores)."""
    if not isinstance(stores.jobs, SqlServiceStore):
        raise TypeError("the API needs the SQL job store")
    return stores.jobs


def _tenant_screenings(
    store: SqlServiceStore, tenant: str, *where: ColumnElement[bool], limit: int
) -> list[Job]:
    """The tenant's screenings that meet `where`, newest first, read in one query; none (and no tenant
    row created) for an unknown tenant."""
    tenant_id = store.tenant_id(tenant)
    if tenant_id is None:
        return []
    rows = store.session.execute(
        select(ScreeningRow)
        .where(col(ScreeningRow.tenant_id) == tenant_id, *where)
        .order_by(col(ScreeningRow.created_at).desc(), col(ScreeningRow.id).desc())
        .limit(limit)
        .execution_options(populate_existing=True)  # as `store.job` reads: the row as stored now
    ).scalars()
    return [store.job_from_row(row) for row in rows]


def tenant_jobs(store: SqlServiceStore, tenant: str, *, limit: int, status: JobStatus | None) -> list[Job]:
    """The tenant's screenings, newest first."""
    where = () if status is None else (col(ScreeningRow.status) == status,)
    return _tenant_screenings(store, tenant, *where, limit=limit)


def review_heads(store: SqlServiceStore, tenant: str, *, limit: int) -> list[Job]:
    """The tenant's done screenings that are the newest of their lineage (no re-screen of them holds
    it: only failed ones, or none), newest first: the screenings decisions are taken on."""
    child = aliased(ScreeningRow)
    held = (
        select(col(child.id))
        .where(
            col(child.tenant_id) == col(ScreeningRow.tenant_id),
            col(child.rescreen_of) == col(ScreeningRow.id),
            col(child.status) != "failed",
        )
        .exists()
    )
    return _tenant_screenings(store, tenant, col(ScreeningRow.status) == "done", ~held, limit=limit)


def rescreens_running(store: SqlServiceStore, tenant: str, *, limit: int) -> list[Job]:
    """The tenant's re-screens still queued or running, newest first (their lineages wait for them)."""
    return _tenant_screenings(
        store,
        tenant,
        col(ScreeningRow.rescreen_of).is_not(None),
        col(ScreeningRow.status).in_(("queued", "running")),
        limit=limit,
    )


def status_counts(store: SqlServiceStore) -> dict[str, int]:
    """Screenings per status over every tenant (for the metrics)."""
    rows = store.session.execute(
        select(col(ScreeningRow.status), func.count()).group_by(col(ScreeningRow.status))
    ).all()
    return {str(status): int(count) for status, count in rows}


def erp_receipt(store: SqlServiceStore, tenant_id: int, webhook_id: str) -> str | None:
    """The screening a webhook with this id started for the tenant, if one did."""
    return store.session.execute(
        select(col(ErpReceiptRow.screening_id)).where(
            col(ErpReceiptRow.tenant_id) == tenant_id, col(ErpReceiptRow.webhook_id) == webhook_id
        )
    ).scalar_one_or_none()


def add_erp_receipt(store: SqlServiceStore, tenant_id: int, webhook_id: str, screening_id: str) -> None:
    """Record the webhook; a concurrent one with the same id makes the flush raise `IntegrityError`."""
    store.session.add(
        ErpReceiptRow(
            tenant_id=tenant_id,
            webhook_id=webhook_id,
            screening_id=screening_id,
            received_at=dt.datetime.now(dt.UTC),
        )
    )
    store.session.flush()


def delivery_counts(store: SqlServiceStore) -> dict[str, int]:
    """Deliveries per outcome (pending, delivered, failed) over every tenant (for the metrics)."""
    rows = store.session.execute(
        select(col(DeliveryRow.status), func.count()).group_by(col(DeliveryRow.status))
    ).all()
    return {str(status): int(count) for status, count in rows}


def screening_durations(store: SqlServiceStore) -> tuple[int, float]:
    """(count, total seconds) of the screenings done, from their last start to their finish: one
    aggregate query, whatever the number of screenings (each /metrics scrape runs it)."""
    started, finished = col(ScreeningRow.started_at), col(ScreeningRow.finished_at)
    seconds: ColumnElement[Any]
    if store.session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", finished - started)
    else:  # SQLite keeps ISO text; julianday() reads it, offsets included
        seconds = (func.julianday(finished) - func.julianday(started)) * 86400.0
    count, total = store.session.execute(
        select(func.count(), func.coalesce(func.sum(seconds), 0.0)).where(
            col(ScreeningRow.status) == "done", started.is_not(None), finished.is_not(None)
        )
    ).one()
    return int(count), max(float(total), 0.0)
