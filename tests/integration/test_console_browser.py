"""The web console (``/ui``) in a real headless Chromium, against a real worker and broker.

One browser session does what a user does: open the console, create a FileStreamSource connector
through the form built from the plugin's config definition (a first validation shows the missing
required setting next to its field, the second one passes), watch the connector and its task
turn RUNNING in the table, press Pause and watch PAUSED, which the REST API confirms. Then the
bad cases: no summary endpoint (numbers show "—", actions still work), a connector deleted
behind the page's back, and the worker going away (a "worker unreachable" banner). The page
must not throw a JavaScript error along the way. A screenshot is kept as the run's artifact (in
pytest's tmp path and at ``.cache/artifacts/console.png``).

Chromium and its WebDriver come from Debian (``make browser``); without them this test fails,
it does not skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import TopicFactory

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACT = Path(__file__).resolve().parents[2] / ".cache" / "artifacts" / "console.png"
SOURCE_PLUGIN = "org.apache.kafka.connect.file.FileStreamSourceConnector"
TIMEOUT = 20.0

NO_SUMMARY = """
const realFetch = window.fetch;
window.fetch = (url, init) =>
  String(url).includes("/metrics/summary")
    ? Promise.resolve(new Response('{"error_code":404,"message":"HTTP 404 Not Found"}',
        {status: 404, headers: {"Content-Type": "application/json"}}))
    : realFetch(url, init);
"""
"""Makes this page's ``GET /metrics/summary`` answer 404, as a worker without the endpoint does."""

_RETRYABLE = (
    NoSuchElementException,  # not drawn yet
    StaleElementReferenceException,  # the table is redrawn every refresh
    ElementClickInterceptedException,
    ElementNotInteractableException,
)


@pytest.fixture
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[EmbeddedWorker]:
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "worker") as w:
        yield w


@pytest.fixture
def api(worker: EmbeddedWorker) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=worker.rest_url, timeout=30) as client:
        yield client


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Chromium driven through Debian's chromedriver (no download, no internet)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the console browser test needs Chromium and chromedriver ({', '.join(missing)} "
            "missing): run `make browser` (installs Debian's chromium and chromium-driver)",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # the tests run as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1600,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def text_of(driver: WebDriver, selector: str) -> str | None:
    """The text of the first element matching ``selector``, read in one script call (no stale
    element between finding and reading), or None when there is none."""
    text: str | None = driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
        selector,
    )
    return text


def wait_text(driver: WebDriver, selector: str, expected: Callable[[str], bool], what: str) -> str:
    def check() -> str | None:
        text = text_of(driver, selector)
        return text if text is not None and expected(text) else None

    return wait_for(
        check, TIMEOUT, 0.1, lambda: f"{what}: {selector} shows {text_of(driver, selector)!r}"
    )


def click(driver: WebDriver, selector: str) -> None:
    """Click like a user, retrying while the element is being redrawn."""

    def attempt() -> bool:
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
        except _RETRYABLE:
            return False
        return True

    wait_for(attempt, TIMEOUT, 0.1, f"could not click {selector}")


def fill(driver: WebDriver, key: str, value: str) -> None:
    field = driver.find_element(By.CSS_SELECTOR, f'#connector-form [name="{key}"]')
    field.clear()
    field.send_keys(value)


def status_of(api: httpx.Client, name: str) -> dict[str, Any]:
    r = api.get(f"/connectors/{name}/status")
    return r.json() if r.status_code == 200 else {}


def js_errors(driver: WebDriver) -> list[str]:
    """Severe browser console entries other than failed resource loads (the summary endpoint may
    answer 404, which Chromium logs, and which the console handles)."""
    entries = driver.get_log("browser")
    return [
        e["message"]
        for e in entries
        if e.get("level") == "SEVERE" and "Failed to load resource" not in e.get("message", "")
    ]


def test_console_creates_and_pauses_a_connector(
    worker: EmbeddedWorker,
    api: httpx.Client,
    browser: WebDriver,
    kafka_topic: TopicFactory,
    tmp_path: Path,
) -> None:
    topic = kafka_topic("console")
    source_file = tmp_path / "in.txt"
    source_file.write_text("one\ntwo\nthree\n")
    name = "console-source"

    browser.get(worker.rest_url.rstrip("/") + "/ui")
    wait_text(browser, "#counts", lambda t: "0 connectors" in t, "the empty list loads")

    # The form: plugin first, then its settings from GET /connector-plugins/{plugin}/config.
    click(browser, "#new-connector")
    wait_for(
        lambda: browser.find_elements(
            By.CSS_SELECTOR, f'#plugin-select option[value="{SOURCE_PLUGIN}"]'
        ),
        TIMEOUT,
        0.1,
        "the plugin list loads",
    )
    Select(browser.find_element(By.ID, "plugin-select")).select_by_value(SOURCE_PLUGIN)
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, '#connector-form [name="topic"]'),
        TIMEOUT,
        0.1,
        "the plugin's settings load",
    )
    doc = text_of(browser, '.field[data-key="topic"] .doc') or ""
    assert "topic" in doc.lower(), f"the topic field shows its documentation, not {doc!r}"
    fill(browser, "name", name)
    fill(browser, "file", str(source_file))

    # Validate without the required topic: the error sits next to the field.
    click(browser, "#validate-btn")
    error = wait_text(
        browser,
        '.field-errors[data-for="topic"]',
        lambda t: "topic" in t,
        "the missing topic is reported",
    )
    assert "Missing required configuration" in error
    assert text_of(browser, '.field-errors[data-for="name"]') == ""
    assert text_of(browser, '.field-errors[data-for="file"]') == ""

    fill(browser, "topic", topic)
    click(browser, "#validate-btn")
    wait_text(browser, "#form-status", lambda t: "no errors" in t, "the second validation passes")
    assert text_of(browser, '.field-errors[data-for="topic"]') == ""
    click(browser, "#submit-btn")
    wait_for(
        lambda: browser.execute_script("return !document.getElementById('form-dialog').open;"),
        TIMEOUT,
        0.1,
        lambda: f"the form closes after submitting: {text_of(browser, '#form-errors')!r}",
    )
    assert api.get(f"/connectors/{name}/config").json() == {
        "connector.class": SOURCE_PLUGIN,
        "name": name,
        "file": str(source_file),
        "topic": topic,
    }

    # The table shows the connector and its task RUNNING, with their worker.
    row = f'tr[data-connector="{name}"]'
    task_row = f'tr[data-task="{name}/0"]'
    wait_text(browser, f"{row} .badge", lambda t: t == "RUNNING", "the connector runs")
    wait_text(browser, f"{task_row} .badge", lambda t: t == "RUNNING", "its task runs")
    worker_id = api.get(f"/connectors/{name}/status").json()["connector"]["worker_id"]
    assert text_of(browser, f"{row} .col-worker") == worker_id
    if api.get("/metrics/summary").status_code == 404:
        assert text_of(browser, f"{row} .col-rate") == "—", "no numbers without the summary"

    # Pause from the detail pane (the new connector is selected after creating it).
    wait_text(browser, "#detail .detail-head .conn-name", lambda t: t == name, "the detail pane")
    click(browser, '#detail button[data-action="pause"]')
    wait_text(browser, f"{row} .badge", lambda t: t == "PAUSED", "the connector pauses")
    wait_text(browser, f"{task_row} .badge", lambda t: t == "PAUSED", "its task pauses")

    def paused() -> dict[str, Any] | None:
        s = status_of(api, name)
        states = [s["connector"]["state"], *(t["state"] for t in s["tasks"])] if s else []
        return s if states == ["PAUSED", "PAUSED"] else None

    status = wait_for(paused, TIMEOUT, message=lambda: f"REST status: {status_of(api, name)}")
    assert status["connector"]["worker_id"] == worker_id

    shot = tmp_path / "console.png"
    assert browser.save_screenshot(str(shot))
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTIFACT)
    print(f"\nscreenshot: {ARTIFACT}")

    # A worker without GET /metrics/summary answers 404 there: numbers show "—", states and
    # actions still work. This browser stands in for such a worker (the real one serves it).
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_SUMMARY})
    browser.refresh()
    wait_text(browser, f"{row} .badge", lambda t: t == "PAUSED", "states without numbers")
    wait_text(browser, f"{row} .col-rate", lambda t: t == "—", "no numbers without the summary")
    assert "numbers unavailable" in (text_of(browser, "#cluster-chips") or "")
    click(browser, row)
    click(browser, '#detail button[data-action="resume"]')
    wait_text(browser, f"{row} .badge", lambda t: t == "RUNNING", "resume works without numbers")

    # The connector vanishes (deleted elsewhere): the pane says so, the row goes.
    assert api.delete(f"/connectors/{name}").status_code == 204
    wait_text(browser, "#detail .gone", lambda t: "no longer exists" in t, "the vanished notice")
    assert text_of(browser, row) is None

    # The worker goes away: a banner says so and the page keeps retrying.
    worker.stop()
    wait_text(browser, "#banner", lambda t: "Worker unreachable" in t, "the unreachable banner")
    assert browser.find_element(By.ID, "banner").is_displayed()

    assert browser.find_elements(By.CSS_SELECTOR, ".message.error") == [], text_of(
        browser, ".message.error"
    )
    assert js_errors(browser) == []
