"""The alerts page in a browser: a webhook subscription to a real receiver on loopback and an email one,
the delivery log filling in as the embedded server sends the events of a screening, and "Redeliver"
sending one event again with the same webhook-id. A tenant of its own keeps the log to this test."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    BrowserFactory,
    UiServer,
    current_page,
    left,
    login,
    no_horizontal_scroll,
    submit_example,
    unlabelled_controls,
    wait_for,
    wait_visible,
)

TENANT = "alerts-desk"


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 200 and keeps each post's headers and body."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], dict[str, object]]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with outer.lock:
                    outer.posts.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/hooks/tiersight"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def ids(self) -> list[str]:
        with self.lock:
            return [headers["webhook-id"] for headers, _ in self.posts]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def add_subscription(
    browser: WebDriver, kind: str, target: str, events: set[str] | None, severity: str
) -> None:
    form = browser.find_element(By.ID, "add-subscription")
    form.find_element(By.ID, f"kind-{kind}").click()
    field = form.find_element(By.ID, "target")
    field.clear()
    field.send_keys(target)
    for box in form.find_elements(By.CSS_SELECTOR, "input[name=events]"):
        wanted = events is None or box.get_attribute("value") in events
        if box.is_enabled() and box.is_selected() != wanted:
            box.click()
    Select(form.find_element(By.ID, "min_severity")).select_by_value(severity)
    page = current_page(browser)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    left(browser, page)
    wait_visible(browser, "#alerts-notice")


def completed_row(browser: WebDriver, sub_id: str) -> dict[str, str]:
    """The screening.completed delivery of the subscription's log: id, status, attempts, text."""
    found: dict[str, str] = browser.execute_script(
        """
        for (const tr of document.querySelectorAll(`#sub-${arguments[0]} tr[data-delivery]`)) {
          if (tr.cells[0].textContent.includes('Screening completed'))
            return {id: tr.dataset.delivery, status: tr.dataset.status, attempts: tr.dataset.attempts,
                    text: tr.textContent};
        }
        return {};
        """,
        sub_id,
    )
    return found


def test_subscriptions_their_delivery_log_and_redeliver(
    ui_server: UiServer, new_browser: BrowserFactory, receiver: Receiver
) -> None:
    server = ui_server.for_tenant(TENANT)
    browser = new_browser(DESKTOP)
    login(browser, server)
    wait_for(browser, lambda b: "/ui/login" not in b.current_url, "the login")
    browser.get(server.url("/ui/alerts"))
    assert unlabelled_controls(browser) == [] and no_horizontal_scroll(browser)

    # A refused form says why and keeps what was typed.
    form = browser.find_element(By.ID, "add-subscription")
    form.find_element(By.ID, "target").send_keys("not a url")
    browser.execute_script("document.getElementById('target').type = 'text'")  # past the browser's own check
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_visible(browser, "#alerts-error")
    assert "url must be an http or https URL" in browser.find_element(By.ID, "alerts-error").text
    assert browser.find_element(By.ID, "target").get_attribute("value") == "not a url"

    # A flag event per flagged line and rule (two hundred for the example list): completions only here.
    add_subscription(browser, "webhook", receiver.url, {"screening.completed", "flag.cleared"}, "medium")
    add_subscription(browser, "email", "compliance@example.com", {"flag.raised", "flag.cleared"}, "high")
    subs = {
        str(card.get_attribute("data-sub")): card.text
        for card in browser.find_elements(By.CSS_SELECTOR, "article.sub[data-sub]")
    }
    assert len(subs) == 2
    hook = next(sub for sub, text in subs.items() if receiver.url in text)
    mail = next(sub for sub, text in subs.items() if "compliance@example.com" in text)
    assert "screening.completed, flag.cleared" in subs[hook] and "medium" in subs[hook]
    assert "screening.completed" not in subs[mail] and "high" in subs[mail] and "Email" in subs[mail]

    screening = submit_example(server)

    def delivered(b: WebDriver) -> bool:
        b.get(server.url("/ui/alerts"))
        row = completed_row(b, hook)
        return row.get("status") == "delivered" and "HTTP 200" in row.get("text", "")

    wait_for(browser, delivered, "the completion webhook delivered, as the page's log shows")
    first = completed_row(browser, hook)
    assert first["attempts"] == "1"
    ((headers, document),) = [p for p in receiver.posts if p[1]["type"] == "screening.completed"]
    assert document["data"]["screening_id"] == screening  # type: ignore[index]
    event_id = headers["webhook-id"]
    assert event_id in first["text"] and headers["webhook-signature"].startswith("v1,")
    assert unlabelled_controls(browser) == [] and no_horizontal_scroll(browser)

    # Redeliver: the same event again; the page's log follows it without a reload.
    page = current_page(browser)
    browser.find_element(By.CSS_SELECTOR, f"#delivery-{first['id']} form button").click()
    left(browser, page)
    wait_visible(browser, "#alerts-notice")
    assert "due again" in browser.find_element(By.ID, "alerts-notice").text
    wait_for(
        browser,
        lambda b: (
            completed_row(b, hook).get("attempts") == "2"
            and completed_row(b, hook).get("status") == "delivered"
        ),
        "a second attempt listed in the log",
    )
    assert receiver.ids().count(event_id) == 2
    attempts = browser.find_elements(By.CSS_SELECTOR, f"#delivery-{first['id']} li[data-attempt]")
    assert [("HTTP 200" in a.text) for a in attempts] == [True, True]
    log = httpx.get(
        server.url(f"/v1/subscriptions/{hook}/deliveries"),
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=30,
    ).json()
    again = next(d for d in log if d["event_id"] == event_id)
    assert (again["status"], len(again["attempts"])) == ("delivered", 2)

    # Deleting the email subscription (after the page asks to confirm) leaves the webhook one.
    page = current_page(browser)
    browser.find_element(By.CSS_SELECTOR, f"#sub-{mail} form[action$='/delete'] button").click()
    browser.switch_to.alert.accept()
    left(browser, page)
    wait_visible(browser, "#alerts-notice")
    assert "deleted" in browser.find_element(By.ID, "alerts-notice").text
    assert browser.find_elements(By.ID, f"sub-{mail}") == [] and browser.find_elements(By.ID, f"sub-{hook}")

    phone = new_browser(PHONE)
    login(phone, server)
    wait_for(phone, lambda b: "/ui/login" not in b.current_url, "the login on the phone")
    phone.get(server.url("/ui/alerts"))
    wait_visible(phone, f"#sub-{hook}")
    assert unlabelled_controls(phone) == []
    assert no_horizontal_scroll(phone)
