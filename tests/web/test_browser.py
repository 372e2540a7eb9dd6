"""The pages' scripts in headless Chromium (which lives in Asia/Kathmandu, unlike the users):
the JS time formatter matches the server's, a page left open past midnight says "Today", the
dashboard reconnects and catches up, and the settings page offers the browser's zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from accounts.models import User
from scheduling.display import format_next_run
from scheduling.models import Phase, RunStatus
from tests.factories import make_portal_account, make_run, make_user
from tests.web.conftest import BROWSER_ZONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham"]
# Instants around midnights and DST changes of those zones (2026).
NOWS = [
    datetime(2026, 3, 8, 4, 30, tzinfo=UTC),  # New York: the night it springs forward
    datetime(2026, 11, 1, 4, 30, tzinfo=UTC),  # New York: the night of the repeated 1 AM
    datetime(2026, 4, 4, 13, 10, tzinfo=UTC),  # Lord Howe: 30-minute fall back that night
    datetime(2026, 10, 3, 14, 45, tzinfo=UTC),  # Lord Howe: 30-minute spring forward that night
    datetime(2026, 4, 4, 12, 30, tzinfo=UTC),  # Chatham: DST ends that night (+1345 → +1245)
    datetime(2026, 6, 1, 18, 14, tzinfo=UTC),  # Kathmandu 23:59, Kolkata 23:44
    datetime(2026, 12, 31, 23, 59, tzinfo=UTC),  # UTC new year's eve
]


def waiting(browser, seconds: float = 20) -> WebDriverWait:
    return WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,))


def log_in(browser, url: str, user: User) -> None:
    browser.get(f"{url}/accounts/login/")
    browser.find_element(By.ID, "id_username").send_keys(user.username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    waiting(browser).until(ec.presence_of_element_located((By.ID, "status-card")))


@pytest.fixture
def app(transactional_db, live_app):
    return live_app


def test_the_browser_lives_in_another_zone_than_the_users(app, fresh_browser):
    fresh_browser.get(f"{app.url}/accounts/login/")
    offset = fresh_browser.execute_script("return new Date('2026-01-01T00:00:00Z').getTimezoneOffset()")
    assert offset == -345  # +05:45; Chromium names the zone by its old name, "Asia/Katmandu"


def test_the_browser_formats_next_runs_exactly_like_the_server(app, fresh_browser):
    cases = [
        (when, now, zone)
        for zone in ZONES
        for now in NOWS
        for when in (now + timedelta(minutes=15 * k) for k in range(0, 4 * 52, 3))
    ]
    expected = [format_next_run(when, now=now, tz=ZoneInfo(zone)) for when, now, zone in cases]
    fresh_browser.get(f"{app.url}/accounts/login/")
    got = fresh_browser.execute_script(
        "return arguments[0].map(c => WOS.formatNextRun(new Date(c[0]), new Date(c[1]), c[2]));",
        [[when.isoformat(), now.isoformat(), zone] for when, now, zone in cases],
    )
    mismatches = [(c, e, g) for c, e, g in zip(cases, expected, got, strict=True) if e != g]
    assert not mismatches, mismatches[:10]
    assert {"Today", "Tomorrow", "Jun", "Mar", "Nov", "Apr", "Oct", "Jan"} <= {text.split()[0] for text in expected}


@pytest.fixture
def tomorrow_user() -> User:
    """A New York user whose only active hour has passed today, so the next run is tomorrow."""
    zone = ZoneInfo("America/New_York")
    hour = timezone.now().astimezone(zone).hour
    user = make_user(timezone="America/New_York", active_from_hour=hour, active_until_hour=hour)
    make_portal_account(user)
    return user


def test_a_page_left_open_past_midnight_says_today(app, fresh_browser, tomorrow_user):
    log_in(fresh_browser, app.url, tomorrow_user)
    time_el = fresh_browser.find_element(By.CSS_SELECTOR, "[data-testid=next-run] time")
    before = time_el.text
    assert before.startswith("Tomorrow at ")
    when = datetime.fromisoformat(time_el.get_attribute("datetime"))
    zone = ZoneInfo("America/New_York")
    local_midnight = datetime.combine(when.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
    after_midnight = local_midnight + timedelta(minutes=1)
    fresh_browser.execute_script(
        "WOS.renderRelativeTimes(document, new Date(arguments[0]))", after_midnight.astimezone(UTC).isoformat()
    )
    assert time_el.text == "Today at " + before.removeprefix("Tomorrow at ")
    # Once that run's time has passed, the card moves on to the next one (a day later).
    upcoming = json.loads(fresh_browser.find_element(By.ID, "upcoming-runs-data").get_attribute("textContent"))
    after_run = when + timedelta(minutes=1)
    fresh_browser.execute_script("WOS.dashboard.advanceNextRun(new Date(arguments[0]))", after_run.isoformat())
    assert time_el.get_attribute("datetime") == upcoming[1]["when"]
    assert time_el.text == format_next_run(datetime.fromisoformat(upcoming[1]["when"]), now=after_run, tz=zone)
    assert time_el.text.startswith("Tomorrow at ")


def test_the_dashboard_reconnects_and_shows_what_happened_meanwhile(app, fresh_browser):
    user = make_user(timezone="Asia/Kolkata")
    make_portal_account(user)
    log_in(fresh_browser, app.url, user)
    indicator = (By.ID, "live-indicator")
    waiting(fresh_browser).until(ec.text_to_be_present_in_element(indicator, "on"))
    fresh_browser.execute_script("window.__sameDocument = true; WOS.dashboard.dropConnection()")
    waiting(fresh_browser).until(ec.text_to_be_present_in_element(indicator, "reconnecting"))
    # While disconnected, a run finishes: the reconnect's state message brings it in.
    now = timezone.now()
    make_run(
        user,
        status=RunStatus.SUCCEEDED,
        phase=Phase.DONE,
        started_at=now - timedelta(seconds=30),
        finished_at=now,
        created_count=4,
        unchanged_count=9,
    )
    waiting(fresh_browser, 30).until(ec.text_to_be_present_in_element(indicator, "on"))
    waiting(fresh_browser).until(
        lambda b: (
            b.find_elements(By.CSS_SELECTOR, "[data-count=created]")
            and b.find_element(By.CSS_SELECTOR, "[data-count=created]").text == "4"
        )
    )
    assert fresh_browser.find_element(By.CSS_SELECTOR, "[data-count=unchanged]").text == "9"
    assert fresh_browser.execute_script("return window.__sameDocument === true"), "the page reloaded"


def test_the_settings_page_offers_the_browsers_zone_on_first_visit(app, fresh_browser):
    user = make_user(timezone="UTC")
    make_portal_account(user)
    log_in(fresh_browser, app.url, user)
    fresh_browser.get(f"{app.url}/accounts/settings/")
    field = fresh_browser.find_element(By.ID, "id_timezone")
    # Chromium reports "Asia/Katmandu"; the page offers the current IANA name.
    assert field.get_attribute("value") == BROWSER_ZONE
    assert BROWSER_ZONE in fresh_browser.find_element(By.ID, "timezone-suggestion").text
    user.refresh_from_db()
    assert user.timezone == "UTC"  # offered, not saved
    fresh_browser.find_element(By.CSS_SELECTOR, "button[value=save]").click()
    waiting(fresh_browser).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Settings saved."))
    user.refresh_from_db()
    assert user.timezone == BROWSER_ZONE
    assert "+0545" in fresh_browser.find_element(By.CSS_SELECTOR, "[data-testid=upcoming-runs]").text


def test_the_settings_page_keeps_a_zone_the_user_chose(app, fresh_browser):
    user = make_user(timezone="Pacific/Chatham")
    make_portal_account(user)
    log_in(fresh_browser, app.url, user)
    fresh_browser.get(f"{app.url}/accounts/settings/")
    assert fresh_browser.find_element(By.ID, "id_timezone").get_attribute("value") == "Pacific/Chatham"
    assert fresh_browser.find_element(By.ID, "timezone-suggestion").text == ""


def test_a_refused_sync_now_says_why_on_the_card(app, fresh_browser):
    user = make_user(timezone="America/New_York")  # no portal login saved
    log_in(fresh_browser, app.url, user)
    assert fresh_browser.find_element(By.CSS_SELECTOR, "[data-testid=schedule-state]").text == "Needs credentials"
    fresh_browser.execute_script("window.__sameDocument = true")
    fresh_browser.find_element(By.ID, "sync-now").click()
    waiting(fresh_browser).until(
        ec.text_to_be_present_in_element((By.ID, "sync-error"), "No portal credentials are saved yet")
    )
    assert fresh_browser.find_element(By.ID, "sync-now").is_enabled()
    assert fresh_browser.execute_script("return window.__sameDocument === true")
