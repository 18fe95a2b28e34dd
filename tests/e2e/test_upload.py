"""The upload page: a supplier list whose name and country headers the automatic matching does not know
is previewed, its mapping corrected with the selects, its bad rows listed, the annotated file
downloaded, and the list submitted and followed to done on the screenings page; the same without the
page's script (plain form posts, the file kept in the page); drag and drop; labels and phone layout."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.conftest import ROOT
from tests.e2e.conftest import (
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

MAPPING = {"Lieferant": "supplier_name", "Land": "supplier_country"}
USABLE = 7  # of the nine rows: line 2 has no supplier name, line 8 the HS code 85O760


@pytest.fixture(scope="module")
def german_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nine rows of the example list with the name and country headers in German."""
    lines = (ROOT / "examples" / "suppliers.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].replace("supplier_name,supplier_country,", "Lieferant,Land,", 1)
    path = tmp_path_factory.mktemp("upload") / "lieferanten.csv"
    path.write_text("\n".join([header, *lines[1:10]]) + "\n", encoding="utf-8")
    return path


def _field(browser: WebDriver, header: str) -> str:
    value = browser.find_element(By.CSS_SELECTOR, f"select[data-header='{header}']").get_attribute("value")
    return value or ""


def _choose(browser: WebDriver, header: str, field: str) -> None:
    Select(browser.find_element(By.CSS_SELECTOR, f"select[data-header='{header}']")).select_by_value(field)


def _preview_header_says(browser: WebDriver, header: str, label: str) -> bool:
    """The rows table (re-rendered by the server) shows `header` read as the field labelled `label`
    (read in one script call: the table may be replaced meanwhile)."""
    texts: list[str] = browser.execute_script(
        "return [...document.querySelectorAll('#preview-rows thead th')].map((th) => th.textContent)"
    )
    return any(text.startswith(header) and label in text for text in texts)


def _bad_rows(browser: WebDriver) -> list[list[str]]:
    return [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in browser.find_elements(By.CSS_SELECTOR, "#bad-rows tbody tr")
    ]


def _in_page_post(browser: WebDriver, path: str) -> list[Any]:
    """Post the upload form as it stands (its file input's file, mapping and CSRF token) from the page."""
    result: list[Any] = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const form = document.getElementById("upload-form");
        fetch(arguments[0], {method: "POST", body: new FormData(form), credentials: "same-origin"})
          .then(async (r) => done([r.status, r.headers.get("content-disposition") || "", await r.text()]))
          .catch((e) => done(["error", String(e), ""]));
        """,
        path,
    )
    return result


def test_a_list_with_unknown_headers_is_mapped_previewed_annotated_and_screened(
    ui_server: UiServer, browser: WebDriver, german_list: Path
) -> None:
    browser.get(ui_server.url("/ui/upload"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Upload a supplier list"
    assert unlabelled_controls(browser) == []
    file_input = browser.find_element(By.ID, "file")
    assert file_input.get_attribute("accept").startswith(".csv")  # type: ignore[union-attr]
    file_input.send_keys(str(german_list))  # the script previews at once

    wait_visible(browser, "#preview-rows")
    # The automatic matching knows neither header: both are shown not used, and the list cannot be screened.
    assert _field(browser, "Lieferant") == "ignore" and _field(browser, "Land") == "ignore"
    assert _field(browser, "hs_code") == "hs_code"
    assert "No column is read as the supplier name" in browser.find_element(By.ID, "mapping-problem").text
    assert browser.find_elements(By.ID, "submit-screening") == []
    rows = browser.find_elements(By.CSS_SELECTOR, "#preview-rows tbody tr")
    assert len(rows) == 9 and rows[1].find_element(By.TAG_NAME, "th").text == "3"
    assert "Changzhou Dinghui Motors" in rows[1].text

    _choose(browser, "Lieferant", "supplier_name")
    wait_visible(browser, "#submit-screening")  # the preview followed the mapping
    _choose(browser, "Land", "supplier_country")
    wait_for(
        browser,
        lambda b: _preview_header_says(b, "Land", "Country"),
        "the preview to read Land as the country",
    )
    assert _field(browser, "Lieferant") == "supplier_name" and _field(browser, "Land") == "supplier_country"
    assert browser.find_elements(By.ID, "mapping-problem") == []
    assert browser.find_element(By.ID, "lines-ok").text == str(USABLE)

    bad = _bad_rows(browser)
    assert ["2", "supplier_name (Lieferant)", "supplier name is empty; the row is not screened"] in bad
    assert any(row[0] == "8" and row[1] == "hs_code" and "85O760" in row[2] for row in bad)
    assert unlabelled_controls(browser) == [] and no_horizontal_scroll(browser)
    shot(browser, "upload-preview")

    # The annotated file: the form's own fields (file, mapping, CSRF token) posted from the page.
    button = browser.find_element(By.ID, "download-annotated")
    assert button.get_attribute("formaction").endswith("/ui/upload/annotated")  # type: ignore[union-attr]
    status, disposition, text = _in_page_post(browser, "/ui/upload/annotated")
    assert status == 200 and "lieferanten-annotated.csv" in disposition
    annotated = list(csv.reader(io.StringIO(text)))
    assert annotated[0][:2] == ["Lieferant", "Land"] and annotated[0][-1] == "tiersight_errors"
    assert annotated[1][-1] == "supplier_name: supplier name is empty; the row is not screened"
    assert annotated[2][0] == "Changzhou Dinghui Motors" and annotated[2][-1] == ""
    assert annotated[7][-1].startswith("hs_code: HS code '85O760'")

    browser.find_element(By.ID, "submit-screening").click()
    wait_for(browser, lambda b: "/ui/screenings?submitted=" in b.current_url, "the screenings page")
    screening_id = browser.current_url.rsplit("=", 1)[1]
    assert screening_id in browser.find_element(By.CSS_SELECTOR, ".notice").text
    row = f"tr[data-id='{screening_id}']"
    assert "lieferanten.csv" in browser.find_element(By.CSS_SELECTOR, row).text
    wait_for(
        browser,
        lambda b: b.find_element(By.CSS_SELECTOR, f"{row} [data-field=status]").text == "Done",
        "the screening to be done, followed live",
        timeout=120,
    )
    progress = browser.find_element(By.CSS_SELECTOR, f"{row} [data-field=progress]").text
    assert progress == f"{USABLE} of {USABLE} lines"
    with httpx.Client(
        base_url=ui_server.base_url, headers={"Authorization": f"Bearer {ui_server.api_key}"}
    ) as api:
        status_document = api.get(f"/v1/screenings/{screening_id}").json()
    assert status_document["columns"]["Lieferant"] == "supplier_name"
    assert status_document["columns"]["Land"] == "supplier_country"
    assert status_document["progress"] == {"lines_done": USABLE, "lines_total": USABLE}


def _form_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no field {name}"
    return found.group(1)


def test_without_the_script_the_page_keeps_the_file_and_submits_the_corrected_mapping(
    ui_server: UiServer, browser: WebDriver, german_list: Path
) -> None:
    """The plain form posts a browser without JavaScript makes, with the browser's session cookie."""
    browser.get(ui_server.url("/ui/upload"))
    cookie = browser.get_cookie("tiersight_session")
    assert cookie is not None
    data = german_list.read_bytes()
    with httpx.Client(base_url=ui_server.base_url, cookies={"tiersight_session": cookie["value"]}) as client:
        page = client.get("/ui/upload").text
        token, page_token = _form_value(page, "csrf_token"), _form_value(page, "page")
        first = client.post(
            "/ui/upload/preview",
            data={"csrf_token": token, "page": page_token, "as_of": "", "max_tier": "3"},
            files={"file": ("lieferanten.csv", data, "text/csv")},
        )
        assert first.status_code == 200 and "No column is read as the supplier name" in first.text
        kept = {name: _form_value(first.text, name) for name in ("file_b64", "filename", "mapped_for")}
        assert kept["filename"] == "lieferanten.csv" and 'value="3"' in first.text  # the options stay too
        headers = re.findall(r'<input type="hidden" name="header" value="([^"]*)">', first.text)
        assert headers[:2] == ["Lieferant", "Land"] and len(headers) == 8
        fields = [MAPPING.get(h, h) for h in headers]  # the other headers are the fields' own names
        form = {
            "csrf_token": token,
            "page": page_token,
            "max_tier": "3",
            **kept,
            "header": headers,
            "field": fields,
        }
        empty_file = {"file": ("", b"", "application/octet-stream")}  # the file input left empty

        again = client.post("/ui/upload/preview", data=form, files=empty_file)
        assert again.status_code == 200 and "mapping-problem" not in again.text
        assert "supplier_name (Lieferant)" in again.text and 'id="submit-screening"' in again.text

        refused = client.post(
            "/ui/upload",
            data={**form, "field": ["supplier_name", "supplier_name", *fields[2:]]},
            files=empty_file,
        )
        assert refused.status_code == 422
        assert "both &#39;Lieferant&#39; and &#39;Land&#39; the field supplier_name" in refused.text
        assert 'name="file_b64"' in refused.text  # the file is still kept: nothing to choose again

        submitted = client.post("/ui/upload", data=form, files=empty_file, follow_redirects=False)
        assert submitted.status_code == 303
        location = submitted.headers["location"]
        assert location.startswith("/ui/screenings?submitted=")
        twice = client.post("/ui/upload", data=form, files=empty_file, follow_redirects=False)
        assert twice.headers["location"] == location  # the same form posted again: one screening

        forged = client.post("/ui/upload", data={**form, "csrf_token": "guessed"}, files=empty_file)
        assert forged.status_code == 403
    screening_id = location.rsplit("=", 1)[1]
    with httpx.Client(
        base_url=ui_server.base_url, headers={"Authorization": f"Bearer {ui_server.api_key}"}
    ) as api:
        status_document = api.get(f"/v1/screenings/{screening_id}").json()
    assert status_document["max_tier"] == 3 and status_document["source"] == "upload"
    assert status_document["columns"]["Lieferant"] == "supplier_name"


def test_a_dropped_file_is_previewed_and_the_page_fits_a_phone(
    ui_server: UiServer, new_browser: BrowserFactory, german_list: Path
) -> None:
    phone = new_browser(PHONE)
    login(phone, ui_server)
    wait_for(phone, lambda b: "/ui/login" not in b.current_url, "the login")
    phone.get(ui_server.url("/ui/upload"))
    assert unlabelled_controls(phone) == [] and no_horizontal_scroll(phone)
    phone.execute_script(
        """
        const transfer = new DataTransfer();
        transfer.items.add(new File([arguments[0]], "dropped.csv", {type: "text/csv"}));
        const zone = document.getElementById("dropzone");
        const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
        zone.dispatchEvent(new DragEvent("dragover", init));
        zone.dispatchEvent(new DragEvent("drop", init));
        """,
        german_list.read_text(encoding="utf-8"),
    )
    wait_visible(phone, "#preview-rows")
    assert "Preview of dropped.csv" in phone.find_element(By.ID, "preview-title").text
    assert phone.execute_script("return document.getElementById('file').files[0].name") == "dropped.csv"
    _choose(phone, "Lieferant", "supplier_name")
    wait_visible(phone, "#submit-screening")
    assert unlabelled_controls(phone) == []
    assert no_horizontal_scroll(phone)
    shot(phone, "upload-preview-phone")
