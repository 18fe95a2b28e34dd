"""What every page shares: the navigation, keyboard use, labels a screen reader can use, and a layout
that fits a phone; the screenings page follows a screening to done without a reload."""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import ROOT
from tests.e2e.conftest import (
    PHONE,
    BrowserFactory,
    UiServer,
    login,
    no_horizontal_scroll,
    unlabelled_controls,
    wait_for,
)

PAGES = ["/ui/upload", "/ui/screenings", "/ui/review", "/ui/alerts", "/ui/analyze", "/ui/scenario"]


@pytest.fixture(scope="module")
def phone(ui_server: UiServer, new_browser: BrowserFactory) -> WebDriver:
    window = new_browser(PHONE)
    login(window, ui_server)
    wait_for(window, lambda b: "/ui/login" not in b.current_url, "the login")
    return window


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_labelled_and_fits_a_desktop_and_a_phone(
    path: str, ui_server: UiServer, browser: WebDriver, phone: WebDriver
) -> None:
    for window in (browser, phone):
        window.get(ui_server.url(path))
        assert window.find_element(By.TAG_NAME, "h1").text, f"{path} has no heading"
        assert window.title.endswith("· tiersight")
        assert unlabelled_controls(window) == [], path
        assert no_horizontal_scroll(window), f"{path} scrolls sideways at {window.get_window_size()}"
        current = window.find_element(By.CSS_SELECTOR, "nav a[aria-current='page']")
        assert current.get_attribute("href").endswith(path)


def test_the_keyboard_reaches_the_content_and_every_navigation_link(
    ui_server: UiServer, browser: WebDriver
) -> None:
    browser.get(ui_server.url("/ui/screenings"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to content"
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"

    browser.get(ui_server.url("/ui/screenings"))
    reached: dict[str, str] = {}  # link -> its outline style while it has the focus
    for _ in range(10):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        href, outline = browser.execute_script(
            "const e = document.activeElement;"
            "return [e.getAttribute('href') || '', getComputedStyle(e).outlineStyle];"
        )
        reached[href] = outline
    assert set(PAGES) <= set(reached), reached
    assert all(reached[path] not in ("none", "") for path in PAGES), reached  # the focus is visible


def test_the_screenings_page_follows_a_screening_to_done(ui_server: UiServer, browser: WebDriver) -> None:
    data = (ROOT / "examples" / "suppliers.csv").read_bytes()
    headers = {"Authorization": f"Bearer {ui_server.api_key}"}
    browser.get(ui_server.url("/ui/screenings"))
    answer = httpx.post(
        ui_server.url("/v1/screenings"), files={"file": ("suppliers.csv", data, "text/csv")}, headers=headers
    )
    assert answer.status_code == 202, answer.text
    screening_id = answer.json()["id"]
    browser.get(ui_server.url(f"/ui/screenings?submitted={screening_id}"))
    assert screening_id in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    row = f"tr[data-id='{screening_id}']"
    wait_for(
        browser,
        lambda b: b.find_element(By.CSS_SELECTOR, f"{row} [data-field=status]").text == "Done",
        "the row to turn Done without a reload",
        timeout=120,
    )
    assert browser.find_element(By.CSS_SELECTOR, f"{row} [data-field=progress]").text == "42 of 42 lines"
    link = browser.find_element(By.CSS_SELECTOR, f"{row} [data-field=report] a")
    assert link.get_attribute("href").endswith(f"/ui/screenings/{screening_id}")
    # the page's JSON for its script answers only the tenant's own ids
    cookie = browser.get_cookie("tiersight_session")
    assert cookie is not None
    status = httpx.get(
        ui_server.url("/ui/screenings/status.json"),
        params={"ids": [screening_id, "not-an-id"]},
        cookies={"tiersight_session": cookie["value"]},
    ).json()
    assert [s["id"] for s in status["screenings"]] == [screening_id]
