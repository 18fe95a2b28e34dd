"""Repositories: the only code that turns table rows into `screening.model` values and back.

They add and flush; they never commit (the caller's session scope does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from screening.decisions import Decision, parse_action
from screening.model import Company, Shipment
from screening.network.load import SHIPMENT_COLUMNS, StoredShipment
from screening.network.resolve import NewName
from screening.services import EMPTY_NETWORK, LoadRecord
from screening.storage.tables import (
    CompanyNameRow,
    CompanyRow,
    MatchDecisionRow,
    MetaRow,
    NetworkLoadRow,
    ShipmentRow,
    TenantRow,
)

_BATCH = 900  # stays under SQLite's bound-parameter limit for IN (...) lookups


class SqlNetworkStore:
    """The network (companies, their names, shipments, load history) and the tenants' decisions in a
    SQL database: `services.NetworkStore` and `services.DecisionStore`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- meta -------------------------------------------------------------------------------------
    def network_version(self) -> str:
        row = self.session.get(MetaRow, "network_version")
        return row.value if row else EMPTY_NETWORK

    def set_network_version(self, version: str) -> None:
        row = self.session.get(MetaRow, "network_version")
        if row is None:
            self.session.add(MetaRow(key="network_version", value=version))
        else:
            row.value = version
        self.session.flush()

    # -- companies --------------------------------------------------------------------------------
    def companies(self) -> list[Company]:
        """Every company with all its other names as aliases (registry aliases and observed spellings)."""
        names: dict[str, list[str]] = {}
        for company_id, name in self.session.execute(
            select(col(CompanyNameRow.company_id), col(CompanyNameRow.name)).order_by(col(CompanyNameRow.id))
        ):
            names.setdefault(company_id, []).append(name)
        result = []
        for row in self.session.execute(select(CompanyRow).order_by(col(CompanyRow.company_id))).scalars():
            aliases = tuple(dict.fromkeys(n for n in names.get(row.company_id, ()) if n != row.name))
            result.append(
                Company(
                    company_id=row.company_id,
                    name=row.name,
                    country=row.country,
                    address=row.address,
                    aliases=aliases,
                    lei=row.lei,
                )
            )
        return result

    def company(self, company_id: str) -> Company | None:
        row = self.session.get(CompanyRow, company_id)
        if row is None:
            return None
        return Company(row.company_id, row.name, row.country, row.address, (), row.lei)

    def name_keys(self) -> dict[str, str]:
        return {
            key: cid
            for key, cid in self.session.execute(
                select(col(CompanyNameRow.key), col(CompanyNameRow.company_id))
            )
        }

    def company_ids(self, ids: Iterable[str]) -> set[str]:
        return self._existing(col(CompanyRow.company_id), ids)

    def add_companies(self, companies: Sequence[Company], source: str) -> None:
        self._bulk_insert(
            "companies",
            ("company_id", "name", "country", "address", "lei", "source"),
            [(c.company_id, c.name, c.country, c.address, c.lei, source) for c in companies],
        )

    def update_company(self, company: Company, source: str) -> None:
        row = self.session.get(CompanyRow, company.company_id)
        if row is not None:
            row.name, row.country, row.address, row.lei, row.source = (
                company.name,
                company.country,
                company.address,
                company.lei,
                source,
            )

    def add_names(self, names: Sequence[NewName]) -> None:
        self._bulk_insert(
            "company_names",
            ("company_id", "name", "country", "kind", "key"),
            [(n.company_id, n.name, n.country, n.kind, n.key) for n in names],
        )

    # -- shipments --------------------------------------------------------------------------------
    def shipment_ids(self, ids: Iterable[str]) -> set[str]:
        return self._existing(col(ShipmentRow.shipment_id), ids)

    def _existing(self, column: Mapped[str], ids: Iterable[str]) -> set[str]:
        """Which of `ids` are stored in `column`: on PostgreSQL in one query with one array parameter,
        elsewhere in batches that fit the driver's limit on parameters."""
        batch = list(ids)
        if self.session.get_bind().dialect.name == "postgresql":
            query = select(column).where(column == func.any(postgresql.array(batch)))
            return set(self.session.execute(query).scalars())
        found: set[str] = set()
        for start in range(0, len(batch), _BATCH):
            chunk = batch[start : start + _BATCH]
            found.update(self.session.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    def add_shipments(self, rows: Sequence[StoredShipment], load_id: int) -> int:
        """Insert the rows whose shipment_id is not stored yet, in one bulk statement; how many were new."""
        return self._bulk_insert(
            "shipments",
            (*SHIPMENT_COLUMNS, "load_id"),
            [(*row, load_id) for row in rows],
            ignore_existing=True,
        )

    def _bulk_insert(
        self,
        table: str,
        columns: tuple[str, ...],
        rows: list[tuple[object, ...]],
        *,
        ignore_existing: bool = False,
    ) -> int:
        """Many rows in one round trip on the session's own connection (so in its transaction):
        PostgreSQL's COPY (through a staging table when rows that already exist are to be skipped),
        SQLite's executemany of one prepared INSERT, SQLAlchemy's executemany elsewhere. The ORM is
        bypassed on purpose: at millions of rows its per-row bookkeeping costs more than the database.
        Returns the number of rows inserted."""
        if not rows:
            return 0
        connection = self.session.connection()
        dialect = connection.dialect.name
        names = ", ".join(columns)
        raw: Any = connection.connection.dbapi_connection
        if dialect == "postgresql":
            with raw.cursor() as cursor:
                target = table
                if ignore_existing:
                    target = f"incoming_{table}"
                    cursor.execute(
                        f"CREATE TEMP TABLE IF NOT EXISTS {target} "
                        f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
                    )
                with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                if not ignore_existing:
                    return len(rows)
                cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {target} "  # noqa: S608 (fixed names)
                    "ON CONFLICT DO NOTHING"
                )
                inserted = int(cursor.rowcount)
                cursor.execute(f"TRUNCATE {target}")
                return inserted
        if dialect == "sqlite":
            verb = "INSERT OR IGNORE" if ignore_existing else "INSERT"
            marks = ", ".join("?" * len(columns))
            cursor = raw.cursor()
            try:
                cursor.executemany(
                    f"{verb} INTO {table} ({names}) VALUES ({marks})", [_sqlite_row(row) for row in rows]
                )
                return int(cursor.rowcount)
            finally:
                cursor.close()
        table_obj = {"companies": CompanyRow, "company_names": CompanyNameRow, "shipments": ShipmentRow}[
            table
        ]
        self.session.execute(insert(table_obj), [dict(zip(columns, row, strict=True)) for row in rows])
        return len(rows)

    def shipments(self) -> Iterator[Shipment]:
        query = select(
            col(ShipmentRow.shipment_id),
            col(ShipmentRow.shipper_id),
            col(ShipmentRow.consignee_id),
            col(ShipmentRow.hs_code),
            col(ShipmentRow.value_usd),
            col(ShipmentRow.date),
            col(ShipmentRow.origin_country),
        )
        for row in self.session.execute(query.execution_options(yield_per=10_000)):
            yield Shipment(row[0], row[1], row[2], row[3], row[4], row[5], row[6])

    def shipment_count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(ShipmentRow)).scalar_one())

    def company_count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(CompanyRow)).scalar_one())

    # -- loads ------------------------------------------------------------------------------------
    def start_load(self, kind: str, filename: str, sha256: str) -> int:
        row = NetworkLoadRow(
            kind=kind,
            filename=filename,
            sha256=sha256,
            loaded_at=dt.datetime.now(dt.UTC),
            network_version="",
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def finish_load(self, load_id: int, record: LoadRecord) -> None:
        row = self.session.get(NetworkLoadRow, load_id)
        assert row is not None
        row.rows_read = record.rows_read
        row.rows_added = record.rows_added
        row.rows_rejected = record.rows_rejected
        row.companies_added = record.companies_added
        row.network_version = record.network_version
        self.session.flush()

    # -- tenants and decisions --------------------------------------------------------------------
    def tenant_id(self, name: str, *, create: bool = False) -> int | None:
        """The tenant's id; with `create`, the tenant is added first when missing (safe under races)."""
        query = select(col(TenantRow.id)).where(col(TenantRow.name) == name)
        found = self.session.execute(query).scalar_one_or_none()
        if found is not None or not create:
            return found
        values = {"name": name, "created_at": dt.datetime.now(dt.UTC)}
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            self.session.execute(postgresql.insert(TenantRow).values(values).on_conflict_do_nothing())
        elif dialect == "sqlite":
            self.session.execute(sqlite.insert(TenantRow).values(values).on_conflict_do_nothing())
        else:
            self.session.execute(insert(TenantRow).values(values))
        return int(self.session.execute(query).scalar_one())

    def decisions(
        self, tenant: str, keys: Iterable[str] | None = None, *, include_superseded: bool = False
    ) -> list[Decision]:
        """One query: by key when the keys fit one IN list, else the tenant's rows filtered here."""
        query = (
            select(MatchDecisionRow)
            .join(TenantRow, col(TenantRow.id) == col(MatchDecisionRow.tenant_id))
            .where(col(TenantRow.name) == tenant)
            .order_by(col(MatchDecisionRow.decided_at), col(MatchDecisionRow.id))
        )
        if not include_superseded:
            query = query.where(col(MatchDecisionRow.superseded).is_(False))
        wanted: set[str] | None = None
        if keys is not None:
            wanted = set(keys)
            if not wanted:
                return []
            if len(wanted) <= _BATCH:
                query = query.where(col(MatchDecisionRow.key).in_(wanted))
        rows = self.session.execute(query).scalars()
        return [_decision(row, tenant) for row in rows if wanted is None or row.key in wanted]

    def add_decision(self, decision: Decision, supersedes: Sequence[int]) -> Decision:
        tenant_id = self.tenant_id(decision.tenant, create=True)
        assert tenant_id is not None
        if supersedes:
            self.session.execute(
                update(MatchDecisionRow)
                .where(col(MatchDecisionRow.id).in_(list(supersedes)))
                .where(col(MatchDecisionRow.tenant_id) == tenant_id)
                .values(superseded=True)
            )
        row = MatchDecisionRow(
            tenant_id=tenant_id,
            key=decision.key,
            supplier_name=decision.supplier_name,
            country=decision.country,
            action=decision.action,
            company_id=decision.company_id,
            decided_by=decision.decided_by,
            note=decision.note,
            decided_at=decision.decided_at,
            superseded=False,
        )
        self.session.add(row)
        self.session.flush()
        return replace(decision, id=row.id, superseded=False)


def _sqlite_row(row: tuple[object, ...]) -> tuple[object, ...]:
    """Dates as the ISO text SQLAlchemy's SQLite Date type stores (sqlite3's date adapter is deprecated)."""
    return tuple(value.isoformat() if isinstance(value, dt.date) else value for value in row)


def _decision(row: MatchDecisionRow, tenant: str) -> Decision:
    decided_at = row.decided_at
    if decided_at.tzinfo is None:  # SQLite keeps no zone; every stored time is UTC
        decided_at = decided_at.replace(tzinfo=dt.UTC)
    return Decision(
        tenant=tenant,
        key=row.key,
        supplier_name=row.supplier_name,
        country=row.country,
        action=parse_action(row.action),
        company_id=row.company_id,
        decided_by=row.decided_by,
        decided_at=decided_at,
        note=row.note,
        id=row.id,
        superseded=row.superseded,
    )
