"""Logging in with an API key: the session cookie, CSRF on every form, logging out."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By

from tests.e2e.conftest import PHONE, BrowserFactory, UiServer, login, unlabelled_controls, wait_for


def test_a_wrong_key_is_refused_and_a_right_one_opens_the_page_asked_for(
    ui_server: UiServer, new_browser: BrowserFactory
) -> None:
    browser = new_browser()
    browser.get(ui_server.url("/ui/screenings?submitted=x"))
    wait_for(browser, lambda b: "/ui/login" in b.current_url, "a page without a session to send to the login")
    assert unlabelled_controls(browser) == []
    login(browser, ui_server, api_key="ts_notakey_" + "x" * 30, open_page=False)
    error = browser.find_element(By.ID, "login-error")
    assert "not valid" in error.text
    assert browser.find_element(By.ID, "api_key").get_attribute("aria-invalid") == "true"

    login(browser, ui_server, open_page=False)  # the form keeps the page asked for first
    wait_for(browser, lambda b: b.current_url.endswith("/ui/screenings?submitted=x"), "the page asked for")
    cookie = browser.get_cookie("tiersight_session")
    assert cookie is not None and cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert ui_server.api_key not in cookie["value"]  # the cookie holds the key's prefix, never the key
    assert browser.find_element(By.CSS_SELECTOR, ".tenant").text == "demo"

    browser.find_element(By.CSS_SELECTOR, "form.logout button").click()
    wait_for(browser, lambda b: "/ui/login" in b.current_url, "logging out to end on the login page")
    browser.get(ui_server.url("/ui/screenings"))
    wait_for(browser, lambda b: "/ui/login" in b.current_url, "the old session to be gone")


def test_a_post_without_the_sessions_csrf_token_is_refused(
    ui_server: UiServer, new_browser: BrowserFactory
) -> None:
    browser = new_browser()
    login(browser, ui_server)
    wait_for(browser, lambda b: "/ui/login" not in b.current_url, "the login")
    cookie = browser.get_cookie("tiersight_session")
    assert cookie is not None
    with httpx.Client(base_url=ui_server.base_url, cookies={"tiersight_session": cookie["value"]}) as client:
        forged = client.post("/ui/logout", data={"csrf_token": "guessed"})
        assert forged.status_code == 403 and "did not come from this site" in forged.text
        assert "text/html" in forged.headers["content-type"]
        missing = client.post("/ui/logout")
        assert missing.status_code == 403
    browser.get(ui_server.url("/ui/screenings"))
    assert "/ui/login" not in browser.current_url  # the refused posts did not log the session out


def test_the_login_page_fits_a_phone(ui_server: UiServer, new_browser: BrowserFactory) -> None:
    browser = new_browser(PHONE)
    browser.get(ui_server.url("/ui/login"))
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )
    field = browser.find_element(By.ID, "api_key")
    assert field.size["width"] > 200
