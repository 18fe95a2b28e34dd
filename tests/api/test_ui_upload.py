"""The web UI's upload form without a browser: a corrected mapping reaches the stored screening, and the
form takes a token from the same bucket as `POST /v1/screenings` (the UI is no way around the limit).

The browser side (preview, correcting the mapping, progress) is tests/e2e/test_upload.py."""

from __future__ import annotations

import hashlib

import httpx

from tests.api.conftest import AS_OF, Service, ServiceFactory, sqlite_only, ui_login, wait_done
from tests.api.test_columns import GERMAN, MAPPING


def post_upload(service: Service, csrf: str, page: str) -> httpx.Response:
    answer: httpx.Response = service.client.post(
        "/ui/upload",
        files={"file": ("lieferanten.csv", GERMAN, "text/csv")},
        data={
            "csrf_token": csrf,
            "as_of": AS_OF.isoformat(),
            "header": list(MAPPING),
            "field": list(MAPPING.values()),
            "mapped_for": hashlib.sha256(GERMAN).hexdigest(),
            "page": page,
        },
        follow_redirects=False,
    )
    return answer


@sqlite_only
def test_the_upload_form_submits_the_corrected_mapping(service: Service) -> None:
    csrf = ui_login(service, "/ui/upload")
    answer = post_upload(service, csrf, "page-1")
    assert answer.status_code == 303, answer.text
    screening_id = answer.headers["Location"].split("submitted=")[1]
    status = wait_done(service.client, screening_id, service.acme)
    assert status["status"] == "done" and status["columns"] == MAPPING
    assert status["progress"] == {"lines_done": 2, "lines_total": 2}
    again = post_upload(service, csrf, "page-1")  # the same page posted twice finds the first screening
    assert again.headers["Location"] == answer.headers["Location"]


@sqlite_only
def test_the_upload_form_is_rate_limited_with_the_key(make_service: ServiceFactory) -> None:
    service = make_service(rate_limit_per_minute=6, rate_limit_burst=2)
    csrf = ui_login(service, "/ui/upload")
    codes = [post_upload(service, csrf, f"page-{n}").status_code for n in range(2)]
    refused = post_upload(service, csrf, "page-3")
    assert codes == [303, 303] and refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert "too many submissions with this API key" in refused.text
    assert 'name="header"' in refused.text or "lieferanten.csv" in refused.text  # the form, not lost
    assert service.upload(service.acme).status_code == 429  # one bucket for the key, UI and API alike
    assert service.count("screenings") == 2
