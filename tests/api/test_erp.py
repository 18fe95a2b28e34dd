"""`POST /v1/erp/webhook`: Standard Webhooks signatures with the tenant's secret, replays by webhook-id."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.api.conftest import AS_OF, Service, Tenant, sqlite_only, wait_done

BODY = json.dumps(
    {
        "suppliers": [
            {"supplier_name": "Hanoi Pack Assembly", "supplier_country": "VN", "hs_code": "850760"}
        ],
        "as_of": AS_OF.isoformat(),
    }
).encode("utf-8")


def signed(
    secret: str, body: bytes = BODY, *, msg_id: str | None = None, at: dt.datetime | None = None
) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or dt.datetime.now(dt.UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "Content-Type": "application/json",
    }


def post(service: Service, headers: dict[str, str], body: bytes = BODY, **params: str) -> Any:
    return service.client.post("/v1/erp/webhook", content=body, headers=headers, params=params)


def test_a_signed_post_starts_one_screening_and_a_replay_returns_it(service: Service) -> None:
    headers = signed(service.acme.webhook_secret, msg_id="msg_2026_0001") | service.acme.headers
    first = post(service, headers)
    assert first.status_code == 202, first.text
    screening_id = first.json()["id"]
    assert first.headers["Location"] == f"/v1/screenings/{screening_id}"
    done = wait_done(service.client, screening_id, service.acme)
    assert (done["status"], done["source"]) == ("done", "erp")

    # The ERP system retries the same message later, signed afresh: same screening, nothing new.
    again = post(service, signed(service.acme.webhook_secret, msg_id="msg_2026_0001") | service.acme.headers)
    assert again.status_code == 202 and again.json() == {"id": screening_id, "status": "done"}
    assert service.count("screenings") == 1 and service.count("erp_receipts") == 1

    # Another message id is another screening.
    other = post(service, signed(service.acme.webhook_secret) | service.acme.headers)
    assert other.status_code == 202 and other.json()["id"] != screening_id
    assert service.count("screenings") == 2


@sqlite_only
def test_the_tenant_may_be_named_by_query_parameter_instead_of_a_key(service: Service) -> None:
    response = post(service, signed(service.globex.webhook_secret), tenant="globex")
    assert response.status_code == 202, response.text
    assert wait_done(service.client, response.json()["id"], service.globex)["source"] == "erp"
    # acme's secret does not sign for globex, and a key of acme cannot name globex
    assert post(service, signed(service.acme.webhook_secret), tenant="globex").status_code == 401
    mixed = post(service, signed(service.globex.webhook_secret) | service.acme.headers, tenant="globex")
    assert mixed.status_code == 401
    assert service.count("screenings") == 1


@sqlite_only
def test_missing_bad_or_stale_signatures_get_401_and_store_nothing(service: Service) -> None:
    acme: Tenant = service.acme
    now = dt.datetime.now(dt.UTC)
    tampered = signed(acme.webhook_secret)
    stale = signed(acme.webhook_secret, at=now - dt.timedelta(minutes=6))
    future = signed(acme.webhook_secret, at=now + dt.timedelta(minutes=6))
    wrong_key = signed(service.globex.webhook_secret)
    no_signature = {k: v for k, v in signed(acme.webhook_secret).items() if k != "webhook-signature"}
    cases: list[tuple[dict[str, str], bytes, str]] = [
        (tampered, BODY.replace(b"Hanoi", b"Hanoy"), "No matching signature"),
        (stale, BODY, "too old"),
        (future, BODY, "too new"),
        (wrong_key, BODY, "No matching signature"),
        (no_signature, BODY, "headers are required"),
        (signed(acme.webhook_secret) | {"webhook-timestamp": "yesterday"}, BODY, "does not verify"),
        ({"Content-Type": "application/json"}, BODY, "headers are required"),
    ]
    for headers, body, message in cases:
        response = post(service, headers | acme.headers, body)
        assert response.status_code == 401, response.text
        assert message in response.json()["detail"]
    # no tenant named at all, an unknown tenant, a bad key
    assert post(service, signed(acme.webhook_secret)).status_code == 401
    tenants = service.count("tenants")
    assert post(service, signed(acme.webhook_secret), tenant="initech").status_code == 401
    assert service.count("tenants") == tenants  # the unknown tenant was not created
    bad_key = {"Authorization": "Bearer ts_not_a_key_at_all_000"}
    assert post(service, signed(acme.webhook_secret) | bad_key).status_code == 401
    assert service.count("screenings") == service.count("erp_receipts") == 0


@sqlite_only
def test_a_signature_among_several_during_key_rotation_verifies(service: Service) -> None:
    headers = signed(service.acme.webhook_secret)
    old = signed(service.globex.webhook_secret, msg_id=headers["webhook-id"])
    headers["webhook-signature"] = f"{old['webhook-signature']} {headers['webhook-signature']}"
    assert post(service, headers | service.acme.headers).status_code == 202


@sqlite_only
def test_a_signed_body_that_is_no_supplier_list_gets_its_reason(service: Service) -> None:
    for body, status, message in (
        (b"{oops", 400, "not valid JSON"),
        (b'{"rows": []}', 422, '"suppliers" array'),
        (b'{"suppliers": [{"hs_code": "850760"}]}', 422, "supplier_name"),
    ):
        response = post(service, signed(service.acme.webhook_secret, body) | service.acme.headers, body)
        assert response.status_code == status, response.text
        assert message in response.json()["detail"]
    assert service.count("screenings") == service.count("erp_receipts") == 0


def test_the_same_message_posted_concurrently_starts_one_screening(service: Service) -> None:
    headers = signed(service.acme.webhook_secret, msg_id="msg_concurrent") | service.acme.headers
    barrier = threading.Barrier(4)
    results: list[tuple[int, str]] = []

    def send() -> None:
        barrier.wait()
        response = post(service, headers)
        results.append((response.status_code, response.json().get("id", response.text)))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and {code for code, _ in results} == {202}
    assert len({screening_id for _, screening_id in results}) == 1
    assert service.count("screenings") == service.count("erp_receipts") == 1
