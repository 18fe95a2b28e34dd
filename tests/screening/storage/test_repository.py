"""The SQL decision store: tenants, superseding, and the one-query read, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from screening.decisions import Decision, DecisionAction
from screening.model import Company
from screening.storage.db import session_scope
from screening.storage.repository import SqlNetworkStore
from screening.storage.tables import TenantRow

NOON = dt.datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def decision(
    tenant: str, key: str, action: DecisionAction = "new_company", company_id: str | None = None
) -> Decision:
    return Decision(
        tenant=tenant,
        key=key,
        supplier_name=key.split("|")[0].title(),
        country="CN",
        action=action,
        company_id=company_id,
        decided_by="alice",
        decided_at=NOON,
        note="seen the certificate",
    )


def tenants(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(TenantRow)).scalar_one())


def test_a_decision_round_trips_with_its_tenant_created_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        store.add_companies([Company("C1", "Orbit Magnetics", "CN")], "registry")
        first = store.add_decision(decision("acme", "orbit|CN", "confirm", "C1"), [])
        store.add_decision(decision("acme", "other|CN"), [])
        assert tenants(session) == 1
    with session_scope(engine) as session:
        (stored,) = SqlNetworkStore(session).decisions("acme", ["orbit|CN"])
    assert stored == first and stored.id is not None
    assert stored.decided_at == NOON and stored.decided_at.tzinfo is not None


def test_reading_an_unknown_tenant_finds_nothing_and_creates_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        assert store.decisions("nobody") == []
        assert store.tenant_id("nobody") is None
        assert tenants(session) == 0
        assert store.tenant_id("nobody", create=True) == store.tenant_id("nobody", create=True)
        assert tenants(session) == 1


def test_superseded_rows_are_kept_but_not_read_by_default(engine: Engine) -> None:
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        old = store.add_decision(decision("acme", "orbit|CN"), [])
        assert old.id is not None
        new = store.add_decision(decision("acme", "orbit|CN"), [old.id])
        assert [d.id for d in store.decisions("acme")] == [new.id]
        assert [(d.id, d.superseded) for d in store.decisions("acme", include_superseded=True)] == [
            (old.id, True),
            (new.id, False),
        ]


def test_superseding_never_touches_another_tenants_rows(engine: Engine) -> None:
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        theirs = store.add_decision(decision("other", "orbit|CN"), [])
        assert theirs.id is not None
        store.add_decision(decision("acme", "orbit|CN"), [theirs.id])
        assert [d.superseded for d in store.decisions("other", include_superseded=True)] == [False]


def test_more_keys_than_one_in_list_holds_still_find_exactly_theirs(engine: Engine) -> None:
    with session_scope(engine) as session:
        store = SqlNetworkStore(session)
        for key in ("a|CN", "b|CN", "c|CN"):
            store.add_decision(decision("acme", key), [])
        asked = ["a|CN", "c|CN", *(f"filler {i}|CN" for i in range(2_000))]
        assert sorted(d.key for d in store.decisions("acme", asked)) == ["a|CN", "c|CN"]
        assert store.decisions("acme", []) == []
