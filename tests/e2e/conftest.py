"""Browser tests of the web UI: a real `tiersight serve` (embedded mode, SQLite) over the demo network,
driven by a real headless Chromium through selenium and the system's chromedriver.

Without Chromium the tests skip with the reason, except under `CI=true`, where `.ci/run` installs it
and a missing browser fails the run. `TIERSIGHT_SCREENSHOT_DIR` (as `make screenshots` sets it) makes
`shot()` keep PNGs of the pages for the README."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import IN_CI, ROOT

TENANT = "demo"
DESKTOP = (1280, 900)
PHONE = (390, 844)
WAIT_S = 30.0


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        reason = "no Chromium and chromedriver on PATH (Debian packages chromium and chromium-driver)"
        if IN_CI:
            pytest.fail(f"{reason}; .ci/run installs them under CI=true")
        pytest.skip(reason)
    return chromium, driver


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli_env() -> dict[str, str]:
    """This environment without any TIERSIGHT_ setting, so the CLI runs on what the tests pass it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERSIGHT_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"tiersight {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class UiServer:
    base_url: str
    api_key: str
    db_url: str
    folder: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def for_tenant(self, tenant: str) -> UiServer:
        """The same server seen with a new API key of `tenant` (created as `tiersight apikey create` does);
        a test that changes a tenant's state uses its own tenant, so other tests see the demo's."""
        created = _cli(["apikey", "create", "--tenant", tenant, "--db", self.db_url], _cli_env(), self.folder)
        return replace(self, api_key=created.strip())


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """`tiersight demo` (the demo network and its screening in SQLite), a key of tenant `demo`, and
    `tiersight serve` on a free port with screenings run in-process."""
    _browser_paths()
    folder = tmp_path_factory.mktemp("ui")
    env = _cli_env()
    demo = json.loads(_cli(["demo", "--out", str(folder), "--json"], env, folder))
    db_url = f"sqlite:///{folder / 'demo.db'}"
    assert demo, "the demo printed nothing"
    api_key = _cli(["apikey", "create", "--tenant", TENANT, "--db", db_url], env, folder).strip()
    port = _free_port()
    env.update(
        TIERSIGHT_DATABASE_URL=db_url,
        TIERSIGHT_INDEX_DIR=str(folder / "index"),
        TIERSIGHT_WEBHOOK_ALLOW_LOOPBACK="true",
        TIERSIGHT_ALERT_EVERY="1",
        TIERSIGHT_SESSION_SECRET="e2e-session-secret-not-for-production",
        TIERSIGHT_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(base_url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise AssertionError(
                "tiersight serve did not start:\n" + (folder / "serve.log").read_text()[-3000:]
            )
        time.sleep(0.2)
    try:
        yield UiServer(base_url=base_url, api_key=api_key, db_url=db_url, folder=folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def submit_example(server: UiServer, filename: str = "suppliers.csv") -> str:
    """Screen `examples/<filename>` through the JSON API with the tenant's key; its id once done."""
    data = (ROOT / "examples" / filename).read_bytes()
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        answer = client.post("/v1/screenings", files={"file": (filename, data, "text/csv")})
        assert answer.status_code == 202, answer.text
        screening_id: str = answer.json()["id"]
        deadline = time.monotonic() + 180
        while (status := client.get(f"/v1/screenings/{screening_id}").json()["status"]) not in (
            "done",
            "failed",
        ):
            assert time.monotonic() < deadline, f"screening {screening_id} still {status}"
            time.sleep(0.2)
        assert status == "done", client.get(f"/v1/screenings/{screening_id}").text
    return screening_id


@pytest.fixture(scope="session")
def example_screening(ui_server: UiServer) -> str:
    """The example supplier list screened once (42 lines: matched, ambiguous, unmatched, flagged, two
    row errors), shared read-only by the page tests; a test that decides on lines submits its own."""
    return submit_example(ui_server)


BrowserFactory = Callable[..., WebDriver]


@pytest.fixture(scope="session")
def new_browser() -> Iterator[BrowserFactory]:
    """Start headless Chromium windows (desktop size unless told); all are closed at the end."""
    chromium, driver_path = _browser_paths()
    started: list[WebDriver] = []

    def start(size: tuple[int, int] = DESKTOP) -> WebDriver:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--window-size={size[0]},{size[1]}",
        ):  # fmt: skip
            options.add_argument(flag)
        browser = webdriver.Chrome(service=ChromeService(executable_path=driver_path), options=options)
        browser.set_window_size(*size)
        started.append(browser)
        return browser

    yield start
    for browser in started:
        browser.quit()


def login(
    browser: WebDriver, server: UiServer, api_key: str | None = None, *, open_page: bool = True
) -> None:
    """Fill in the login form (opened first unless `open_page` is false: the form on screen is used) and
    send it; returns once the answer is on screen."""
    if open_page:
        browser.get(server.url("/ui/login"))
    field = browser.find_element(By.ID, "api_key")
    field.clear()
    field.send_keys(api_key or server.api_key)
    page = current_page(browser)
    browser.find_element(By.CSS_SELECTOR, "form[action='/ui/login'] button[type=submit]").click()
    left(browser, page)  # the next page (or the form again, refused) is the one on screen


@pytest.fixture(scope="session")
def browser(ui_server: UiServer, new_browser: BrowserFactory) -> WebDriver:
    """One logged-in desktop window shared by the page tests (each test opens the page it needs)."""
    window = new_browser()
    login(window, ui_server)
    wait_for(window, lambda b: "/ui/login" not in b.current_url, "the login to leave the login page")
    return window


def wait_for(
    browser: WebDriver, condition: Callable[[WebDriver], object], what: str, timeout: float = WAIT_S
) -> None:
    try:
        WebDriverWait(browser, timeout).until(condition)
    except TimeoutException:
        text = browser.find_element(By.TAG_NAME, "body").text[:1500]
        raise AssertionError(f"not within {timeout:g} s: {what}; at {browser.current_url}:\n{text}") from None


def current_page(browser: WebDriver) -> WebElement:
    """The document now shown, to wait for `left` after a click that posts a form."""
    return browser.find_element(By.TAG_NAME, "html")


def _detached(exc: WebDriverException) -> bool:
    """Chromium's way of saying an element's document was replaced, besides StaleElementReference."""
    return isinstance(exc, StaleElementReferenceException) or "does not belong to the document" in str(exc)


def left(browser: WebDriver, page: WebElement, timeout: float = WAIT_S) -> None:
    """Wait until the browser has replaced `page` with the next document: an element of the next page may
    be on the old one too (a notice), and finding it there races the navigation."""

    def replaced(_browser: WebDriver) -> bool:
        try:
            page.is_enabled()
        except WebDriverException as exc:
            if _detached(exc):
                return True
            raise
        return False

    WebDriverWait(browser, timeout).until(replaced, message=f"not within {timeout:g} s: the next page")


def wait_visible(browser: WebDriver, css: str, timeout: float = WAIT_S) -> None:
    """Wait for an element to be shown; one found as its page is being replaced is looked for again."""
    visible = expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))

    def shown(driver: WebDriver) -> object:
        try:
            return visible(driver)
        except WebDriverException as exc:
            if _detached(exc):
                return False
            raise

    WebDriverWait(browser, timeout).until(shown, message=f"not within {timeout:g} s: {css} visible")


def shot(browser: WebDriver, name: str) -> Path | None:
    """A PNG of the whole page into TIERSIGHT_SCREENSHOT_DIR when it is set (`make screenshots`)."""
    folder = os.environ.get("TIERSIGHT_SCREENSHOT_DIR")
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    size = browser.get_window_size()
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.set_window_size(size["width"], min(max(height, 600), 4000))
    browser.execute_script("window.scrollTo(0, 0)")  # the whole page from its top, up to 4,000 px
    try:
        browser.save_screenshot(str(path))
    finally:
        browser.set_window_size(size["width"], size["height"])  # the browser is shared by later tests
    return path


def no_horizontal_scroll(browser: WebDriver) -> bool:
    """The page fits the window's width (wide tables scroll inside their own box)."""
    return bool(
        browser.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
        )
    )


def unlabelled_controls(browser: WebDriver) -> list[str]:
    """Form controls a screen reader could not name: no <label for>, no wrapping label, no aria-label."""
    found: list[str] = browser.execute_script(
        """
        const out = [];
        for (const el of document.querySelectorAll('input, select, textarea, button')) {
          if (el.type === 'hidden') continue;
          const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') ||
            el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim()) ||
            el.getAttribute('title');
          if (!named) out.push(el.outerHTML.slice(0, 120));
        }
        return out;
        """
    )
    return found
