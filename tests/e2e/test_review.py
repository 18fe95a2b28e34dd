"""The review queue in a browser: an ambiguous line beside its candidates (scores and explanations), one
line decided on its own, two more at once, each decision re-screening the list, and the decided lines
leaving the queue. The decisions are kept for the tenant by supplier, so the test uses a tenant of its
own: the other page tests keep screening the example list as the matcher alone sees it."""

from __future__ import annotations

import time
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    BrowserFactory,
    UiServer,
    login,
    no_horizontal_scroll,
    shot,
    submit_example,
    unlabelled_controls,
    wait_for,
    wait_visible,
)

TENANT = "compliance"
GREENTECH, RHEINWERK, BALTIC = 13, 17, 39  # lines of examples/suppliers.csv (the header is line 1)
GREENTECH_VN, RHEINWERK_DE = "C000072", "C000092"


def api(server: UiServer, path: str) -> Any:
    answer = httpx.get(server.url(path), headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_screening_done(server: UiServer, screening_id: str) -> None:
    deadline = time.monotonic() + 180
    while (status := api(server, f"/v1/screenings/{screening_id}")["status"]) != "done":
        assert status != "failed" and time.monotonic() < deadline, f"re-screen {screening_id} is {status}"
        time.sleep(0.25)


def group(browser: WebDriver, screening_id: str) -> WebElement:
    return browser.find_element(By.ID, f"screening-{screening_id}")


def waiting_lines(browser: WebDriver, screening_id: str) -> list[int]:
    found = group(browser, screening_id).find_elements(By.CSS_SELECTOR, "ol.waiting > li.review-line")
    return [int(str(li.get_attribute("data-line"))) for li in found]


def select(line: WebElement) -> None:
    box = line.find_element(By.CSS_SELECTOR, "input[data-select]")
    if not box.is_selected():  # the page's script ticks a line's box when one of its decisions is chosen
        box.click()


def test_review_queue_shows_candidates_and_takes_decisions_one_by_one_and_in_bulk(
    ui_server: UiServer, new_browser: BrowserFactory
) -> None:
    server = ui_server.for_tenant(TENANT)
    first = submit_example(server)
    browser = new_browser(DESKTOP)
    login(browser, server)
    wait_for(browser, lambda b: "/ui/login" not in b.current_url, "the login")

    browser.get(server.url("/ui/review"))
    wait_visible(browser, f"#screening-{first}")
    assert waiting_lines(browser, first) == [4, GREENTECH, RHEINWERK, BALTIC, 43]

    # The ambiguous line: the supplier as written, and its candidates beside it with score and why.
    line = browser.find_element(By.ID, f"line-{first}-{GREENTECH}")
    supplier = line.find_element(By.CSS_SELECTOR, ".supplier")
    assert "GREENTECH BATTERY" in supplier.text and "ambiguous" in supplier.text
    assert "too close to call" in supplier.text
    cards = line.find_elements(By.CSS_SELECTOR, ".candidate[data-company]")
    assert [c.get_attribute("data-company") for c in cards[:2]] == [GREENTECH_VN, "C000074"]
    vietnam = cards[0].text
    assert "Greentech Battery Vietnam" in vietnam and "VN" in vietnam and GREENTECH_VN in vietnam
    assert "alias 'Greentech Battery' matched" in vietnam  # the explanation of the score
    scores = [c.find_element(By.CSS_SELECTOR, ".score strong").text for c in cards]
    assert scores[:3] == ["1.00", "1.00", "0.21"]  # FinDreams, the weak third
    left, right = supplier.rect, line.find_element(By.CSS_SELECTOR, ".candidates").rect
    assert right["x"] >= left["x"] + left["width"] - 1 and abs(right["y"] - left["y"]) < 30  # side by side
    assert cards[1].rect["x"] == cards[0].rect["x"] and cards[1].rect["y"] > cards[0].rect["y"]  # aligned
    assert unlabelled_controls(browser) == []
    assert no_horizontal_scroll(browser)
    shot(browser, "review")
    browser.set_window_size(*DESKTOP)

    # "Apply to selected" with nothing selected is refused on the page, and nothing is recorded.
    group(browser, first).find_element(By.CSS_SELECTOR, "button[value=selected]").click()
    wait_visible(browser, "#review-error")
    assert "select at least one line" in browser.find_element(By.ID, "review-error").text
    assert api(server, f"/v1/screenings/{first}/review")["rescreened_by"] is None

    # One by one: confirm the Vietnamese Greentech for line 13, with a note.
    line = browser.find_element(By.ID, f"line-{first}-{GREENTECH}")
    line.find_element(By.CSS_SELECTOR, f"input[value='confirm:{GREENTECH_VN}']").click()
    line.find_element(By.CSS_SELECTOR, f"#note-{first}-{GREENTECH}").send_keys("VAT number matches")
    line.find_element(By.CSS_SELECTOR, f"button[value='line:{GREENTECH}']").click()
    wait_visible(browser, "#review-notice")
    notice = browser.find_element(By.ID, "review-notice")
    second = str(notice.get_attribute("data-rescreen"))
    assert f"1 decision recorded on screening {first}" in notice.text and f"Re-screen {second}" in notice.text
    assert notice.find_element(By.CSS_SELECTOR, "a").get_attribute("href") == server.url(
        f"/ui/screenings?submitted={second}"
    )
    wait_for(
        browser, lambda b: "done" in b.find_element(By.ID, "review-notice").text, "the notice: re-screen done"
    )
    wait_screening_done(server, second)

    browser.get(server.url("/ui/review"))
    wait_visible(browser, f"#screening-{second}")
    assert browser.find_elements(By.ID, f"screening-{first}") == []  # decided on at its newest only
    assert waiting_lines(browser, second) == [4, RHEINWERK, BALTIC, 43]
    decided = group(browser, second).find_element(By.CSS_SELECTOR, "details.decided")
    decided.find_element(By.TAG_NAME, "summary").click()
    assert "Confirmed Greentech Battery Vietnam" in decided.text and "VAT number matches" in decided.text

    # In bulk: line 17 is the German Rheinwerk, line 39 a new company; one re-screen for both.
    rheinwerk = browser.find_element(By.ID, f"line-{second}-{RHEINWERK}")
    rheinwerk.find_element(By.CSS_SELECTOR, f"input[value='confirm:{RHEINWERK_DE}']").click()
    baltic = browser.find_element(By.ID, f"line-{second}-{BALTIC}")
    baltic.find_element(By.CSS_SELECTOR, "input[value=new_company]").click()
    for chosen in (rheinwerk, baltic):
        select(chosen)
    assert "2 lines selected" in group(browser, second).find_element(By.CSS_SELECTOR, ".bulk").text
    group(browser, second).find_element(By.CSS_SELECTOR, "button[value=selected]").click()
    wait_visible(browser, "#review-notice")
    notice = browser.find_element(By.ID, "review-notice")
    third = str(notice.get_attribute("data-rescreen"))
    assert f"2 decisions recorded on screening {second}" in notice.text and third not in (first, second)
    wait_screening_done(server, third)

    report = {line["line"]: line["match"] for line in api(server, f"/v1/screenings/{third}/report")["lines"]}
    assert (report[GREENTECH]["status"], report[GREENTECH]["company_id"]) == ("matched", GREENTECH_VN)
    assert report[GREENTECH]["decision"].endswith("(VAT number matches)")
    assert (report[RHEINWERK]["status"], report[RHEINWERK]["company_id"]) == ("matched", RHEINWERK_DE)
    assert report[BALTIC]["status"] == "unmatched"
    assert report[BALTIC]["decision"].startswith("declared a new company")

    browser.get(server.url("/ui/review"))
    wait_visible(browser, f"#screening-{third}")
    assert waiting_lines(browser, third) == [4, 43]  # the decided lines left the queue
    assert browser.find_elements(By.ID, f"screening-{second}") == []
    in_force = browser.find_element(By.ID, "decisions").text
    for name in ("GREENTECH BATTERY", "RHEINWERK ANTRIEBSTECHNIK", "Baltic Amber Electronics UAB"):
        assert name in in_force
    assert unlabelled_controls(browser) == [] and no_horizontal_scroll(browser)

    # The page for one screening: an older one of the lineage sends the reviewer to the newest.
    browser.get(server.url(f"/ui/review/{first}"))
    assert f"re-screened as {third}" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_elements(By.CSS_SELECTOR, "button[value=selected]") == []

    phone = new_browser(PHONE)
    login(phone, server)
    wait_for(phone, lambda b: "/ui/login" not in b.current_url, "the login on the phone")
    phone.get(server.url("/ui/review"))
    wait_visible(phone, f"#screening-{third}")
    assert unlabelled_controls(phone) == []
    assert no_horizontal_scroll(phone)
    line = phone.find_element(By.ID, f"line-{third}-43")
    supplier, candidates = (
        line.find_element(By.CSS_SELECTOR, ".supplier"),
        line.find_element(By.CSS_SELECTOR, ".candidates"),
    )
    assert candidates.rect["y"] > supplier.rect["y"]  # stacked on a phone
