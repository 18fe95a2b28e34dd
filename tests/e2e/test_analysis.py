"""The analyze and what-if pages over the demo network: the seed's battery analysis with the numbers the
CLI prints, a bad HS code refused next to its field, the magnet scenario with its companies hit, an
evidence path opened hop by hop and the alternatives; labels and phone width on both pages."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.conftest import ROOT
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    BrowserFactory,
    UiServer,
    _cli,
    login,
    no_horizontal_scroll,
    shot,
    unlabelled_controls,
    wait_for,
    wait_visible,
)

ANALYZE = "/ui/analyze?product=850760&destination=US&tiers=2"
SCENARIO = "/ui/scenario?origin=CN&hs=850511&destination=US&max_tier=4"


def cli_json(server: UiServer, *args: str) -> Any:
    """What `tiersight <args> --json --db <the server's database>` prints, run as the conftest runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    env["PYTHONPATH"] = str(ROOT)
    return json.loads(_cli([*args, "--json", "--db", server.db_url], env, server.folder))


def session_client(browser: WebDriver, server: UiServer) -> httpx.Client:
    """An HTTP client with the browser's session cookie (for status codes and downloads)."""
    cookie = browser.get_cookie("tiersight_session")
    assert cookie is not None
    return httpx.Client(base_url=server.base_url, cookies={"tiersight_session": cookie["value"]}, timeout=60)


def fill(browser: WebDriver, field: str, value: str) -> None:
    element = browser.find_element(By.ID, field)
    element.clear()
    element.send_keys(value)


def money(value: float) -> str:
    return f"{value:,.2f}"


def test_the_analyze_page_shows_the_clis_analysis_with_its_charts(
    ui_server: UiServer, browser: WebDriver
) -> None:
    browser.get(ui_server.url("/ui/analyze"))
    assert unlabelled_controls(browser) == []
    fill(browser, "product", "850760")
    fill(browser, "destination", "US")
    Select(browser.find_element(By.ID, "tiers")).select_by_value("2")
    browser.find_element(By.CSS_SELECTOR, "form.query button[type=submit]").click()
    wait_visible(browser, "section[aria-labelledby=flow] svg.chart")

    query = parse_qs(urlparse(browser.current_url).query)  # a GET form: the result is a link
    assert query["product"] == ["850760"] and query["destination"] == ["US"] and query["tiers"] == ["2"]
    flow = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=flow]")
    sankey = flow.find_element(By.CSS_SELECTOR, "svg[aria-labelledby='sankey-title sankey-desc']")
    assert len(sankey.find_elements(By.CSS_SELECTOR, "path.link")) > 0
    assert "tier 2" in sankey.find_element(By.ID, "sankey-desc").get_attribute("textContent")

    expected = cli_json(ui_server, "analyze", "--product", "850760", "--destination", "US", "--tiers", "2")
    shown = {}
    for row in flow.find_elements(By.CSS_SELECTOR, "table tbody tr"):
        region = row.find_element(By.CSS_SELECTOR, "th[scope=row]").text
        value, shipments, _share = (cell.text for cell in row.find_elements(By.CSS_SELECTOR, "td"))
        shown[region] = (value, shipments)
    assert shown == {
        item["region"]: (money(item["value_usd"]), f"{item['shipments']:,}") for item in expected["by_region"]
    }
    assert len(shown) >= 3  # China, elsewhere in Asia, the EU at least
    for section in ("regions", "inputs", "suppliers", "concentration"):
        assert browser.find_elements(By.CSS_SELECTOR, f"section[aria-labelledby={section}] table")
    supplier = expected["top_suppliers"][0]
    assert (
        supplier["company_id"] in browser.find_element(By.ID, "suppliers").find_element(By.XPATH, "..").text
    )
    shot(browser, "analyze")

    with session_client(browser, ui_server) as client:
        link = browser.find_element(By.CSS_SELECTOR, ".downloads a[href*='analysis.json']").get_attribute(
            "href"
        )
        assert link is not None
        download = client.get(link)
        assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
        assert download.json() == expected  # the JSON download is the CLI's --json
        csv_link = browser.find_element(By.CSS_SELECTOR, ".downloads a[href*='analysis.csv']").get_attribute(
            "href"
        )
        assert csv_link is not None and client.get(csv_link).text.startswith("section,tier,origin")
        html_link = browser.find_element(
            By.CSS_SELECTOR, ".downloads a[href*='analysis.html']"
        ).get_attribute("href")
        assert html_link is not None and client.get(html_link).text.startswith("<!DOCTYPE html>")
    with httpx.Client(base_url=ui_server.base_url) as anonymous:  # downloads need a session too
        assert anonymous.get(link, follow_redirects=False).status_code == 303


def test_a_bad_hs_code_is_refused_next_to_its_field(ui_server: UiServer, browser: WebDriver) -> None:
    browser.get(ui_server.url("/ui/analyze"))
    fill(browser, "product", "85x")
    browser.find_element(By.CSS_SELECTOR, "form.query button[type=submit]").click()
    wait_visible(browser, "#product-error")
    field = browser.find_element(By.ID, "product")
    assert field.get_attribute("aria-invalid") == "true"
    assert "product-error" in (field.get_attribute("aria-describedby") or "").split()
    assert "85x" in browser.find_element(By.ID, "product-error").text
    assert field.get_attribute("value") == "85x"  # the form comes back as typed
    assert not browser.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=flow]")
    assert unlabelled_controls(browser) == []
    with session_client(browser, ui_server) as client:
        page = client.get("/ui/analyze?product=85x&destination=Narnia&tiers=2")
        assert page.status_code == 422 and "text/html" in page.headers["content-type"]
        assert 'id="destination-error"' in page.text and 'id="product-error"' in page.text


def test_the_what_if_page_lists_the_companies_hit_with_their_evidence_and_alternatives(
    ui_server: UiServer, browser: WebDriver
) -> None:
    browser.get(ui_server.url("/ui/scenario"))
    assert unlabelled_controls(browser) == []
    fill(browser, "origin", "CN")
    fill(browser, "hs", "850511")
    fill(browser, "destination", "US")
    browser.find_element(By.CSS_SELECTOR, "form.query button[type=submit]").click()
    wait_visible(browser, "#companies-hit")

    rows = browser.find_elements(By.CSS_SELECTOR, "#companies-hit tbody tr.company")
    assert rows
    first = rows[0]
    assert first.find_element(By.CSS_SELECTOR, "th[scope=row]").text
    assert int(first.find_element(By.CSS_SELECTOR, "td[data-field=tier]").text) >= 1
    assert float(first.find_element(By.CSS_SELECTOR, "td[data-field=value]").text.replace(",", "")) > 0
    assert browser.find_elements(By.CSS_SELECTOR, "#hit ~ figure svg.chart rect")

    evidence = browser.find_element(By.CSS_SELECTOR, "#companies-hit details.evidence")
    hop = evidence.find_element(By.CSS_SELECTOR, "details.hop summary")
    assert not hop.is_displayed()
    evidence.find_element(By.TAG_NAME, "summary").click()
    wait_for(browser, lambda _b: hop.is_displayed(), "the evidence path to open")
    assert evidence.get_attribute("open") is not None
    assert hop.text.startswith("Tier 1:")
    assert evidence.find_elements(
        By.CSS_SELECTOR, "details.hop .restricted"
    )  # it ends at the restricted goods

    alternatives = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=alternatives]")
    assert alternatives.find_elements(By.CSS_SELECTOR, "table.alternatives tbody tr")

    expected = cli_json(ui_server, "scenario", "--origin", "CN", "--hs", "850511", "--destination", "US")
    assert (
        browser.find_element(By.ID, "restricted-value").text
        == f"{money(expected['restricted']['value_usd'])} USD"
    )
    top = expected["companies"][0]
    assert top["company_id"] in first.text and first.find_element(
        By.CSS_SELECTOR, "td[data-field=value]"
    ).text == money(top["value_at_risk_usd"])
    shot(browser, "scenario")


def test_the_what_if_page_refuses_an_unknown_origin_next_to_its_field(
    ui_server: UiServer, browser: WebDriver
) -> None:
    browser.get(ui_server.url("/ui/scenario?origin=Atlantis&hs=850511"))
    wait_visible(browser, "#origin-error")
    assert browser.find_element(By.ID, "origin").get_attribute("aria-invalid") == "true"
    assert "origin-error" in (browser.find_element(By.ID, "origin").get_attribute("aria-describedby") or "")
    with session_client(browser, ui_server) as client:
        assert client.get("/ui/scenario?origin=Atlantis").status_code == 422


def test_both_pages_are_labelled_and_fit_a_phone_and_a_desktop(
    ui_server: UiServer, new_browser: BrowserFactory
) -> None:
    for size in (DESKTOP, PHONE):
        window = new_browser(size)
        login(window, ui_server)
        wait_for(window, lambda b: "/ui/login" not in b.current_url, "the login")
        for path, ready in ((ANALYZE, "section[aria-labelledby=flow] svg"), (SCENARIO, "#companies-hit")):
            window.get(ui_server.url(path))
            wait_visible(window, ready)
            assert unlabelled_controls(window) == [], (size, path)
            assert no_horizontal_scroll(window), (size, path)
        window.find_element(By.CSS_SELECTOR, "#companies-hit details.evidence summary").click()
        assert no_horizontal_scroll(window), (size, "an open evidence path")
