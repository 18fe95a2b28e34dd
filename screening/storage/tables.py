"""Table models (SQLModel). They never leave `screening.storage`: repositories convert to `screening.model`.

The schema is created and changed only by the alembic migrations in `migrations/`; tests may use
`SQLModel.metadata` to compare, never `create_all` in production code.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class CompanyRow(SQLModel, table=True):
    __tablename__ = "companies"

    company_id: str = Field(primary_key=True, max_length=64)
    name: str
    country: str | None = Field(default=None, max_length=2)
    address: str | None = None
    lei: str | None = Field(default=None, max_length=20)
    # "registry" when it came from companies.csv, "derived" when clustered from bill-of-lading names.
    source: str = Field(max_length=16)


class CompanyNameRow(SQLModel, table=True):
    """Every name a company is known by: its registry name and aliases, and bill-of-lading spellings."""

    __tablename__ = "company_names"

    id: int | None = Field(default=None, primary_key=True)
    company_id: str = Field(foreign_key="companies.company_id", index=True, max_length=64)
    name: str
    country: str | None = Field(default=None, max_length=2)
    # "primary", "alias" (registry) or "observed" (seen on a bill of lading and linked or clustered).
    kind: str = Field(max_length=16)
    # screening.names.name_key(name, country): the clustering key, so a spelling resolves once.
    key: str = Field(index=True)


class ShipmentRow(SQLModel, table=True):
    __tablename__ = "shipments"

    shipment_id: str = Field(primary_key=True, max_length=128)
    shipper_id: str = Field(index=True, max_length=64)
    consignee_id: str = Field(index=True, max_length=64)
    hs_code: str = Field(max_length=10)
    value_usd: float
    date: dt.date = Field(index=True)
    origin_country: str | None = Field(default=None, max_length=2)
    shipper_name: str
    consignee_name: str
    shipper_address: str | None = None
    shipper_country: str | None = Field(default=None, max_length=2)
    consignee_address: str | None = None
    consignee_country: str | None = Field(default=None, max_length=2)
    description: str | None = None
    quantity: float | None = None
    weight_kg: float | None = None
    port_of_lading: str | None = None
    port_of_unlading: str | None = None
    load_id: int | None = Field(default=None, foreign_key="network_loads.id")


class NetworkLoadRow(SQLModel, table=True):
    """One `network load` of one file: what it read, added and refused."""

    __tablename__ = "network_loads"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # "shipments" | "companies"
    filename: str
    sha256: str = Field(max_length=64, index=True)
    rows_read: int = 0
    rows_added: int = 0
    rows_rejected: int = 0
    companies_added: int = 0
    loaded_at: dt.datetime
    network_version: str = Field(max_length=32)


class MetaRow(SQLModel, table=True):
    """Small key/value facts about the database, such as the current network version."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str


class TenantRow(SQLModel, table=True):
    """A customer of the service: everything a reviewer decides belongs to one tenant."""

    __tablename__ = "tenants"
    __table_args__ = (UniqueConstraint("name", name="uq_tenants_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class MatchDecisionRow(SQLModel, table=True):
    """A reviewer's confirm / reject / new company for one supplier name of one tenant (kept as history).

    `superseded` marks a row a later decision replaced (screening.decisions.supersedes); screenings
    read the rows that are not superseded for the keys of the submitted lines.
    """

    __tablename__ = "match_decisions"
    __table_args__ = (
        Index("ix_match_decisions_tenant_key", "tenant_id", "key"),
        CheckConstraint("action IN ('confirm', 'reject', 'new_company')", name="ck_match_decisions_action"),
        CheckConstraint("(action = 'new_company') = (company_id IS NULL)", name="ck_match_decisions_company"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    # screening.names.name_key(supplier_name, country): differently written names of one supplier share it.
    key: str
    supplier_name: str
    country: str | None = Field(default=None, max_length=2)
    action: str = Field(max_length=16)
    # The candidate the decision is about; null for new_company.
    company_id: str | None = Field(default=None, foreign_key="companies.company_id", max_length=64)
    decided_by: str
    note: str = ""
    decided_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    superseded: bool = False


# -- the service (CONTRACT section 7) ---------------------------------------------------------------


class ApiKeyRow(SQLModel, table=True):
    """An API key of a tenant, stored as the SHA-256 of the key (keys are 32 random bytes, so a fast
    hash cannot be brute-forced); `prefix` finds the row and names the key in audit records."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    prefix: str = Field(max_length=16, unique=True)
    key_sha256: str = Field(max_length=64)
    label: str = ""
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class TenantSecretRow(SQLModel, table=True):
    """The secret (`whsec_` + base64) that signs a tenant's outbound webhooks and verifies its ERP's."""

    __tablename__ = "tenant_secrets"

    tenant_id: int = Field(foreign_key="tenants.id", primary_key=True)
    webhook_secret: str = Field(max_length=128)
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class ScreeningRow(SQLModel, table=True):
    """One submitted screening: the submission as received (kept, so a worker can redo it), its state
    and progress, and once done its report (CONTRACT section 6, as JSON text)."""

    __tablename__ = "screenings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_screenings_idempotency"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_screenings_status"),
        Index("ix_screenings_status_updated", "status", "updated_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    status: str = Field(max_length=16)
    source: str = Field(max_length=16)  # "upload" | "json" | "erp" | "rescreen"
    filename: str
    input_sha256: str = Field(max_length=64)
    input_data: bytes = Field(sa_type=LargeBinary)
    as_of: dt.date | None = None
    max_tier: int = 4
    idempotency_key: str | None = Field(default=None, max_length=255)
    submitted_by: str = Field(max_length=64)  # key prefix, or "erp" / "system"
    lines_total: int = 0
    lines_done: int = 0
    attempts: int = 0
    error: str | None = None
    rules_version: str | None = Field(default=None, max_length=32)
    network_version: str | None = Field(default=None, max_length=32)
    report_json: str | None = Field(default=None, sa_type=Text)
    rescreen_of: str | None = Field(default=None, max_length=32)
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    started_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    column_map: str | None = Field(default=None, sa_type=Text)  # the submission's column mapping, JSON


class ErpReceiptRow(SQLModel, table=True):
    """An ERP webhook accepted once: a repeated `webhook-id` returns this screening, never a new one."""

    __tablename__ = "erp_receipts"
    __table_args__ = (UniqueConstraint("tenant_id", "webhook_id", name="uq_erp_receipts_webhook"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    webhook_id: str = Field(max_length=255)
    screening_id: str = Field(foreign_key="screenings.id", max_length=32)
    received_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("(url IS NULL) != (email IS NULL)", name="ck_subscriptions_target"),
        CheckConstraint("min_severity IN ('low', 'medium', 'high')", name="ck_subscriptions_severity"),
    )

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    url: str | None = None
    email: str | None = None
    events: str  # space-separated event types
    min_severity: str = Field(max_length=8)
    active: bool = True
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class EventRow(SQLModel, table=True):
    """An event for a tenant's subscribers; `id` is the stable `webhook-id` of every delivery of it."""

    __tablename__ = "events"

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    type: str = Field(max_length=32)
    screening_id: str | None = Field(default=None, foreign_key="screenings.id", max_length=32)
    severity: str | None = Field(default=None, max_length=8)  # of a flag event; None for completions
    payload: str = Field(sa_type=Text)  # JSON
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class DeliveryRow(SQLModel, table=True):
    """One event to one subscription, retried with backoff until delivered or given up."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_deliveries_event_subscription"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="ck_deliveries_status"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(foreign_key="events.id", max_length=40)
    subscription_id: str = Field(foreign_key="subscriptions.id", max_length=32, index=True)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    delivered_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


class DeliveryAttemptRow(SQLModel, table=True):
    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="deliveries.id", index=True)
    attempted_at: dt.datetime = Field(sa_type=DateTime(timezone=True))
    status_code: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


class AuditRow(SQLModel, table=True):
    """Who did what: submitted, decided, subscribed, created a key."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    subject: str = ""
    detail: str = ""
    at: dt.datetime = Field(sa_type=DateTime(timezone=True))
