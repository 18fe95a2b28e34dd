"""The API-key cache: a key is looked up once per TTL, a wrong key is refused even while its prefix is
cached, a revoked key stops working once its entry expires, a new key works at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Engine, text

from api.keys import KeyCache
from screening import jobs, services
from screening.storage.service_repository import scope_factory
from tests.api.conftest import ServiceFactory, new_tenant


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def revoke(engine: Engine, api_key: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE api_keys SET revoked_at = :at WHERE prefix = :prefix"),
            {"at": dt.datetime.now(dt.UTC), "prefix": api_key[: jobs.PREFIX_LENGTH]},
        )


def counting(scope: services.Scope, opened: list[int]) -> services.Scope:
    """The same database scope, counting how many units of work were opened."""

    @contextmanager
    def counted() -> Iterator[services.Stores]:
        opened.append(1)
        with scope() as stores:
            yield stores

    def factory() -> AbstractContextManager[services.Stores]:
        return counted()

    return factory


def test_cached_key_is_checked_by_digest_and_revocation_takes_effect_after_ttl(network: Engine) -> None:
    acme = new_tenant(network, "acme")
    opened: list[int] = []
    clock = Clock()
    keys = KeyCache(counting(scope_factory(network), opened), ttl=30.0, clock=clock)

    found = keys.tenant_of(acme.api_key)
    assert found is not None and found.tenant == "acme"
    assert keys.cached(acme.api_key)
    for _ in range(5):
        assert keys.tenant_of(acme.api_key) is not None
    assert len(opened) == 1  # one lookup for six requests

    # the same prefix with another secret part: refused without a database lookup
    forged = acme.api_key[: jobs.PREFIX_LENGTH] + "x" * (len(acme.api_key) - jobs.PREFIX_LENGTH)
    assert keys.tenant_of(forged) is None
    assert keys.tenant_of(acme.api_key[: jobs.PREFIX_LENGTH]) is None  # the prefix alone is no key
    assert len(opened) == 1

    revoke(network, acme.api_key)
    clock.now += 29.0
    assert keys.tenant_of(acme.api_key) is not None  # still trusted within the TTL, as documented
    clock.now += 2.0
    assert not keys.cached(acme.api_key)
    assert keys.tenant_of(acme.api_key) is None
    assert not keys.cached(acme.api_key)  # a refused key is not kept
    assert len(opened) == 2


def test_unknown_keys_are_not_cached_so_a_new_key_works_at_once(network: Engine) -> None:
    opened: list[int] = []
    keys = KeyCache(counting(scope_factory(network), opened), ttl=30.0, clock=Clock())
    later = jobs.new_api_key("acme")
    assert keys.tenant_of(later.api_key) is None
    assert keys.tenant_of(later.api_key) is None
    assert len(opened) == 2  # each miss looked again
    new_tenant_key = new_tenant(network, "acme")  # another key of the tenant, created now
    assert keys.tenant_of(new_tenant_key.api_key) is not None


def test_ttl_zero_looks_up_every_request(network: Engine) -> None:
    acme = new_tenant(network, "acme")
    opened: list[int] = []
    keys = KeyCache(counting(scope_factory(network), opened), ttl=0.0, clock=Clock())
    for _ in range(3):
        assert keys.tenant_of(acme.api_key) is not None
    assert len(opened) == 3 and not keys.cached(acme.api_key)


def test_revoked_key_is_refused_by_the_api_without_a_cache(make_service: ServiceFactory) -> None:
    service = make_service(key_cache_seconds=0)
    assert service.client.get("/v1/screenings", headers=service.acme.headers).status_code == 200
    revoke(service.engine, service.acme.api_key)
    response = service.client.get("/v1/screenings", headers=service.acme.headers)
    assert response.status_code == 401, response.text
    assert service.client.get("/v1/screenings", headers=service.globex.headers).status_code == 200
