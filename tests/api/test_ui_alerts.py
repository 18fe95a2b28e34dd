"""The alerts page's delivery log without a browser: the newest deliveries first, and a long log read a
page at a time through "Older deliveries" (the browser side is tests/e2e/test_alerts.py)."""

from __future__ import annotations

import re

import pytest

from api.ui import alerts
from tests.api.conftest import Service, sqlite_only, ui_login
from tests.api.test_redeliver import HOOK, deliver, log, screen, subscribe


def shown(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="delivery-(\d+)"', html)]


@sqlite_only
def test_a_long_delivery_log_is_read_a_page_at_a_time(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alerts, "DELIVERIES_SHOWN", 2)  # a page of two instead of fifty
    sub_id = subscribe(service, service.acme, url=HOOK, events=["screening.completed", "flag.raised"])
    for _ in range(2):
        screen(service, service.acme)
    deliver(service, status=500)
    whole = [d["id"] for d in log(service, service.acme, sub_id)]
    assert len(whole) >= 5
    ui_login(service, "/ui/alerts")

    page = service.client.get("/ui/alerts").text
    assert shown(page) == whole[:2]
    assert f"Delivery log: {len(whole)} deliveries (the newest 2)" in page
    seen, pages = list(shown(page)), 1
    while older := re.search(r'href="(/ui/alerts\?sub=[^"]+&amp;before=(\d+))#sub-[^"]+" rel="next"', page):
        assert int(older.group(2)) == seen[-1]
        page = service.client.get(older.group(1).replace("&amp;", "&")).text
        assert "Newest deliveries" in page and f"(older ones: {len(shown(page))})" in page
        seen += shown(page)
        pages += 1
        assert pages <= len(whole)
    assert seen == whole and pages == -(-len(whole) // 2)
