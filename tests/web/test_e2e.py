"""End to end in headless Chromium: the demo user logs in, sees the next run in words, presses
"Sync now", watches the phases change live on the status card (websocket, no reload), and finds
the work orders on the work orders page. The app runs as ``manage.py runembedded`` (daphne +
scheduler + scrape worker) with the bundled demo portal made slow so the run can be watched.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from demoportal.models import PortalUser
from scheduling.display import format_next_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dashboard-mid-run.png"
PHASE_LABELS = {"Logging in", "Opening work orders", "Reading work orders", "Saving"}

# Records every text the phase label shows, from now on, in the page itself: a polling test could
# miss a short phase, a MutationObserver cannot. It lives in ``window``, so a reload would erase it.
OBSERVE_PHASES = """
window.__phasesSeen = [];
window.__sameDocument = true;
const record = () => {
  const label = document.getElementById("phase-label");
  if (label && label.textContent && window.__phasesSeen.at(-1) !== label.textContent) {
    window.__phasesSeen.push(label.textContent);
  }
};
new MutationObserver(record).observe(document.getElementById("status-card-host"),
  {subtree: true, childList: true, characterData: true});
record();
"""


def waiting(browser, seconds: float) -> WebDriverWait:
    # The card is re-rendered from the server when a run ends, so an element found a moment ago
    # may be gone: look again rather than fail.
    return WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,))


def log_in(browser, url: str, username: str, password: str) -> None:
    browser.get(f"{url}/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    waiting(browser, 20).until(ec.presence_of_element_located((By.ID, "status-card")))


@pytest.fixture
def demo(transactional_db, live_app, settings):
    """The demo user and the demo portal, as ``make run`` sets them up, with a slow portal."""
    settings.DEMO_PORTAL_BASE_URL = live_app.portal_url
    call_command("demo_setup", stdout=open(os.devnull, "w"))  # noqa: SIM115
    # Every portal page answers 0.6 s late and lists 10 per page (6 pages for 60 work orders), so
    # each phase lasts long enough to be seen and photographed.
    PortalUser.objects.filter(username="tech@demo-portal.test").update(delay_seconds=0.6, page_size=10)
    return live_app


def test_the_demo_user_watches_a_sync_live_and_finds_the_work_orders(demo, fresh_browser):
    browser = fresh_browser
    log_in(browser, demo.url, "demo", "demo-password")

    # The next run, in words, in the demo user's zone, with the instant in <time datetime>.
    time_el = browser.find_element(By.CSS_SELECTOR, "[data-testid=next-run] time")
    when = datetime.fromisoformat(time_el.get_attribute("datetime"))
    assert time_el.get_attribute("data-zone") == "America/New_York"
    assert re.fullmatch(r"(Today|Tomorrow) at \d{1,2}:00 (AM|PM)", time_el.text), time_el.text
    from zoneinfo import ZoneInfo

    assert time_el.text == format_next_run(when, now=timezone.now(), tz=ZoneInfo("America/New_York"))
    zone = browser.find_element(By.CSS_SELECTOR, "[data-testid=next-run] .zone").text
    assert zone in {"EST", "EDT"}

    wait = waiting(browser, 30)
    wait.until(ec.text_to_be_present_in_element((By.ID, "live-indicator"), "on"))
    browser.execute_script(OBSERVE_PHASES)

    browser.find_element(By.ID, "sync-now").click()

    # The card follows the run: the progress bar appears and reaches the extraction phase.
    wait.until(ec.visibility_of_element_located((By.ID, "run-progress")))
    waiting(browser, 60).until(
        ec.text_to_be_present_in_element((By.ID, "phase-label"), "Reading work orders"),
        message=f"no extraction phase; server log:\n{demo.log_tail()}",
    )
    waiting(browser, 30).until(lambda b: "Page" in b.find_element(By.ID, "progress-detail").text)
    bar = browser.find_element(By.ID, "progress-bar")
    assert 0 < int(bar.get_attribute("aria-valuenow")) < 100
    save_screenshot(browser)

    # The run ends: the card shows the result without a reload.
    waiting(browser, 120).until(
        lambda b: (
            b.find_element(By.ID, "status-card").get_attribute("data-running") == "false"
            and b.find_elements(By.CSS_SELECTOR, "[data-count=created]")
        ),
        message=f"the run did not finish; server log:\n{demo.log_tail()}",
    )
    assert browser.execute_script("return window.__sameDocument === true"), "the page reloaded"
    seen = browser.execute_script("return window.__phasesSeen")
    assert len(set(seen) & PHASE_LABELS) >= 2, seen
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=created]").text == "60"
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=failed]").text == "0"
    assert "Succeeded" in browser.find_element(By.ID, "last-run").text
    assert "60 work orders listed" in browser.find_element(By.CSS_SELECTOR, "[data-testid=work-order-count]").text
    announced = browser.find_element(By.ID, "live-status").get_attribute("textContent")
    assert announced.startswith("Sync finished: 60 created"), announced

    # The work orders are there.
    browser.find_element(By.CSS_SELECTOR, "[data-testid=work-order-count]").click()
    table = waiting(browser, 20).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=work-order-table]"))
    )
    assert len(table.find_elements(By.CSS_SELECTOR, "tbody tr")) == 25
    assert "Page 1 of 3 (60 work orders)" in browser.find_element(By.CSS_SELECTOR, ".pagination").text


def save_screenshot(browser) -> None:
    """Always into var/; into docs/ (committed) when missing or when WOS_UPDATE_SCREENSHOTS=1, so a
    test run does not dirty the working tree."""
    scratch = Path(__file__).resolve().parents[2] / "var" / "screenshots" / SCREENSHOT.name
    scratch.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(scratch))
    if os.environ.get("WOS_UPDATE_SCREENSHOTS") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scratch, SCREENSHOT)
