"""Table models (SQLModel). They never leave `screening.storage`: repositories convert to `screening.model`.

The schema is created and changed only by the alembic migrations in `migrations/`; tests may use
`SQLModel.metadata` to compare, never `create_all` in production code.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Index, UniqueConstraint
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
