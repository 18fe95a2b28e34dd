"""network tables

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("lei", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("company_id"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "network_loads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("companies_added", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("network_version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("network_loads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_loads_sha256"), ["sha256"], unique=False)

    op.create_table(
        "company_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.company_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("company_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_names_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_company_names_key"), ["key"], unique=False)

    op.create_table(
        "shipments",
        sa.Column("shipment_id", sa.String(length=128), nullable=False),
        sa.Column("shipper_id", sa.String(length=64), nullable=False),
        sa.Column("consignee_id", sa.String(length=64), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("value_usd", sa.Float(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("origin_country", sa.String(length=2), nullable=True),
        sa.Column("shipper_name", sa.String(), nullable=False),
        sa.Column("consignee_name", sa.String(), nullable=False),
        sa.Column("shipper_address", sa.String(), nullable=True),
        sa.Column("shipper_country", sa.String(length=2), nullable=True),
        sa.Column("consignee_address", sa.String(), nullable=True),
        sa.Column("consignee_country", sa.String(length=2), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("port_of_lading", sa.String(), nullable=True),
        sa.Column("port_of_unlading", sa.String(), nullable=True),
        sa.Column("load_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["load_id"],
            ["network_loads.id"],
        ),
        sa.PrimaryKeyConstraint("shipment_id"),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_consignee_id"), ["consignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_shipper_id"), ["shipper_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_shipper_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_date"))
        batch_op.drop_index(batch_op.f("ix_shipments_consignee_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("company_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_names_key"))
        batch_op.drop_index(batch_op.f("ix_company_names_company_id"))

    op.drop_table("company_names")
    with op.batch_alter_table("network_loads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_loads_sha256"))

    op.drop_table("network_loads")
    op.drop_table("meta")
    op.drop_table("companies")
