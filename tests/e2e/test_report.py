"""The report page of a screening: the summary against the report JSON, the Sankey, a flagged line's tier
tree opened hop by hop up to the Chinese origin, the downloads, phone width, and the 404 page."""

from __future__ import annotations

import re
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from screening.report import MEDIA_TYPES
from tests.conftest import ROOT
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    BrowserFactory,
    UiServer,
    login,
    no_horizontal_scroll,
    shot,
    unlabelled_controls,
    wait_for,
    wait_visible,
)

DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
HS = re.compile(r"\bHS \d{6,10}\b")


def report_json(server: UiServer, screening_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    answer = httpx.get(server.url(f"/v1/screenings/{screening_id}/report"), headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def session_client(browser: WebDriver, server: UiServer) -> httpx.Client:
    """An HTTP client carrying the browser's session cookie (and nothing else)."""
    cookie = browser.get_cookie("tiersight_session")
    assert cookie is not None
    return httpx.Client(base_url=server.base_url, cookies={"tiersight_session": cookie["value"]}, timeout=30)


def open_report(browser: WebDriver, server: UiServer, screening_id: str) -> None:
    browser.get(server.url(f"/ui/screenings/{screening_id}"))
    wait_visible(browser, "#summary-title")


def open_tier_tree(browser: WebDriver) -> WebElement:
    """Open the first flagged line, then every hop of its tier tree, by clicking their summaries."""
    card = browser.find_element(By.CSS_SELECTOR, "details.line-card")
    card.find_element(By.CSS_SELECTOR, ":scope > summary").click()
    wait_for(browser, lambda b: card.get_attribute("open") is not None, "the flagged line to open")
    for _ in range(50):
        closed = [
            hop
            for hop in card.find_elements(By.CSS_SELECTOR, "details.hop:not([open])")
            if hop.find_element(By.CSS_SELECTOR, ":scope > summary").is_displayed()
        ]
        if not closed:
            break
        summary = closed[0].find_element(By.CSS_SELECTOR, ":scope > summary")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
        summary.click()
        hop = closed[0]

        def opened(_: WebDriver, hop: WebElement = hop) -> bool:
            return hop.get_attribute("open") is not None

        wait_for(browser, opened, "a hop to open")
    return card


def test_the_report_shows_the_summary_the_sankey_and_a_tier_tree_up_to_the_chinese_origin(
    browser: WebDriver, ui_server: UiServer, example_screening: str
) -> None:
    browser.set_window_size(*DESKTOP)
    data = report_json(ui_server, example_screening)
    summary = data["summary"]
    open_report(browser, ui_server, example_screening)

    def tile(key: str) -> int:
        return int(browser.find_element(By.CSS_SELECTOR, f"[data-count={key}] strong").text)

    assert tile("lines") == summary["lines"] == 42
    assert tile("matched") == summary["matched"]
    assert tile("ambiguous") == summary["ambiguous"]
    assert tile("unmatched") == summary["unmatched"]
    assert tile("flagged") == summary["flagged_lines"] > 0
    assert tile("errors") == len(data["errors"]) == 2
    for name, count in summary["flags_by_severity"].items():
        assert browser.find_element(By.CSS_SELECTOR, f"[data-severity={name}]").text == str(count)

    sankey = browser.find_element(By.CSS_SELECTOR, "svg#sankey")
    assert sankey.is_displayed() and sankey.get_attribute("role") == "img"
    title = browser.execute_script("return document.querySelector('svg#sankey > title').textContent")
    assert title == "Value by origin and tier"
    desc = browser.execute_script("return document.querySelector('svg#sankey > desc').textContent")
    assert "China" in desc and "traced in all" in desc
    labels = [t.text for t in sankey.find_elements(By.CSS_SELECTOR, "text.node tspan.name")]
    assert "China" in labels and "tier 2" in labels and "flagged lines" in labels
    flagged_heading = browser.find_element(By.ID, "flagged").text
    assert flagged_heading == f"Flagged lines ({summary['flagged_lines']})"

    card = open_tier_tree(browser)
    number = int(card.get_attribute("data-line") or 0)
    line = next(item for item in data["lines"] if item["line"] == number)
    shown_rules = {
        row.get_attribute("data-rule") for row in card.find_elements(By.CSS_SELECTOR, "tr[data-rule]")
    }
    assert shown_rules == {flag["rule_id"] for flag in line["flags"]}
    severities = [flag["severity"] for flag in line["flags"]]
    assert "high" in severities  # the most severe line comes first

    hops = card.find_elements(By.CSS_SELECTOR, "details.hop[data-origin=CN]")
    assert hops, "no hop of Chinese origin in the first flagged line's tier tree"
    hop = hops[0]
    head = hop.find_element(By.CSS_SELECTOR, ":scope > summary").text
    assert "origin CN" in head and HS.search(head) and DATE.search(head), head
    body = hop.find_element(By.CSS_SELECTOR, ":scope > .hop-body").text
    assert "→" in body and "shipment" in body.lower(), body
    # the hop is one of the evidence paths the report JSON holds for the line
    path_steps = {
        (step.get("origin"), step.get("hs_code"), step.get("date"))
        for flag in line["flags"]
        for step in flag["path"]
    }
    found = (hop.get_attribute("data-origin"), hop.get_attribute("data-hs"), hop.get_attribute("data-date"))
    assert found in path_steps
    root = card.find_element(By.CSS_SELECTOR, "details.hop[data-tier='1']")
    assert line["match"]["name"] in root.find_element(By.CSS_SELECTOR, ":scope > summary").text

    assert unlabelled_controls(browser) == []
    assert no_horizontal_scroll(browser)
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    shot(browser, "report")
    browser.set_window_size(*DESKTOP)


def test_every_download_comes_with_its_content_type(
    browser: WebDriver, ui_server: UiServer, example_screening: str
) -> None:
    open_report(browser, ui_server, example_screening)
    links = {
        str(link.get_attribute("data-format")): str(link.get_attribute("href"))
        for link in browser.find_elements(By.CSS_SELECTOR, ".downloads a[data-format]")
    }
    assert set(links) == {"json", "csv", "html", "xlsx"}
    api_json = httpx.get(
        ui_server.url(f"/v1/screenings/{example_screening}/report"),
        headers={"Authorization": f"Bearer {ui_server.api_key}"},
        timeout=30,
    ).content
    with session_client(browser, ui_server) as client:
        for fmt, href in links.items():
            assert href == ui_server.url(f"/ui/screenings/{example_screening}/report.{fmt}")
            answer = client.get(href)
            assert answer.status_code == 200, (fmt, answer.text[:300])
            assert answer.headers["content-type"] == MEDIA_TYPES[fmt], fmt
            assert answer.content, fmt
        assert client.get(links["json"]).content == api_json  # the JSON API's answer, byte for byte
        assert client.get(links["xlsx"]).content[:2] == b"PK"
        assert "attachment" in client.get(links["csv"]).headers["content-disposition"]
        unknown = client.get(f"/ui/screenings/{example_screening}/report.pdf")
        assert unknown.status_code == 422 and "text/html" in unknown.headers["content-type"]
    anonymous = httpx.get(links["csv"], follow_redirects=False, timeout=30)
    assert anonymous.status_code == 303 and "/ui/login" in anonymous.headers["location"]


def test_lines_without_flags_can_be_filtered_by_status(
    browser: WebDriver, ui_server: UiServer, example_screening: str
) -> None:
    data = report_json(ui_server, example_screening)
    unflagged = [line for line in data["lines"] if not line["flags"]]
    open_report(browser, ui_server, example_screening)
    rows = browser.find_elements(By.CSS_SELECTOR, "#other-lines-table tbody tr")
    assert len(rows) == len(unflagged)
    browser.find_element(By.CSS_SELECTOR, "#lines-filter option[value=ambiguous]").click()
    browser.find_element(By.CSS_SELECTOR, "form.filter button[type=submit]").click()
    wait_for(browser, lambda b: "lines=ambiguous" in b.current_url, "the filter to reload the page")
    statuses = [
        row.get_attribute("data-status")
        for row in browser.find_elements(By.CSS_SELECTOR, "#other-lines-table tbody tr")
    ]
    expected = [line for line in unflagged if line["match"]["status"] == "ambiguous"]
    assert statuses == ["ambiguous"] * len(expected)


def test_the_report_fits_a_phone(
    ui_server: UiServer, new_browser: BrowserFactory, example_screening: str
) -> None:
    phone = new_browser(PHONE)
    login(phone, ui_server)
    wait_for(phone, lambda b: "/ui/login" not in b.current_url, "the login")
    open_report(phone, ui_server, example_screening)
    assert no_horizontal_scroll(phone)
    open_tier_tree(phone)
    phone.find_element(By.CSS_SELECTOR, "details.chart-data > summary").click()
    assert unlabelled_controls(phone) == []
    assert no_horizontal_scroll(phone)
    assert phone.find_element(By.CSS_SELECTOR, "svg#sankey").size["width"] <= PHONE[0]


def test_an_unknown_or_another_tenants_screening_is_the_404_page(
    browser: WebDriver, ui_server: UiServer, example_screening: str
) -> None:
    made_up = "0" * 32
    browser.get(ui_server.url(f"/ui/screenings/{made_up}"))
    wait_visible(browser, "main h1")
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == "Error 404"
    assert "not found" in browser.find_element(By.CSS_SELECTOR, "main .error").text
    with session_client(browser, ui_server) as client:
        page = client.get(f"/ui/screenings/{made_up}")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        download = client.get(f"/ui/screenings/{made_up}/report.csv")
        assert download.status_code == 404 and "text/html" in download.headers["content-type"]
        assert client.get(f"/ui/screenings/{example_screening}").status_code == 200


def test_a_report_not_ready_shows_its_progress_and_then_the_report(
    browser: WebDriver, ui_server: UiServer
) -> None:
    """Three lists submitted at once to two in-process workers: the third is queued or running when its
    page opens, and the page follows it to the report without a reload by hand."""
    data = (ROOT / "examples" / "suppliers.csv").read_bytes()
    headers = {"Authorization": f"Bearer {ui_server.api_key}"}
    ids = []
    for _ in range(3):
        answer = httpx.post(
            ui_server.url("/v1/screenings"),
            files={"file": ("suppliers.csv", data, "text/csv")},
            headers=headers,
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    browser.get(ui_server.url(f"/ui/screenings/{ids[-1]}"))
    pending = browser.find_element(By.ID, "pending")
    assert pending.get_attribute("data-status") in ("queued", "running")
    assert "Its report appears here when it is done" in pending.text
    assert unlabelled_controls(browser) == []
    wait_for(browser, lambda b: b.find_elements(By.ID, "summary-title"), "the report, once done", timeout=120)
    assert browser.find_elements(By.ID, "pending") == []
    assert browser.current_url.endswith(f"/ui/screenings/{ids[-1]}")
