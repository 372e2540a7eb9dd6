"""The scheduler process running H2's real scraper (Chromium) against the demo portal."""

from __future__ import annotations

import pytest
from django.utils import timezone

from credentials.services import credentials_store
from demoportal.services import portal_account_ensure, portal_work_orders_seed
from scheduling.models import RunStatus, ScrapeRun, Trigger
from scheduling.services import run_sync_now, schedule_resume_after_login_check, schedule_state
from tests.factories import make_portal_account, make_user
from tests.scheduling.conftest import wait_active, wait_for
from tests.scheduling.test_scheduler_process import job_row
from workorders.models import WorkOrder
from workorders.services import portal_test_login

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "Demo-portal pass 7"


def test_the_scheduler_scrapes_for_real_and_pauses_a_rejected_password_until_it_passes_a_login_check(
    start_scheduler, live_server
):
    base_url = f"{live_server.url}/demo-portal/"
    good_portal = portal_account_ensure(username="good@portal.test", password=PASSWORD, page_size=4)
    portal_work_orders_seed(account=good_portal, count=6, now=timezone.now())
    portal_account_ensure(username="stale@portal.test", password=PASSWORD)
    good = make_user()
    make_portal_account(good, base_url=base_url, username="good@portal.test", password=PASSWORD)
    stale = make_user()
    make_portal_account(stale, base_url=base_url, username="stale@portal.test", password="last year's password")

    # Fires every 4 s; the good user also gets a "Sync now" through the same pool.
    scheduler = start_scheduler(real_sync=True, SCHEDULER_TEST_SECOND_FIELD="*/4", SE_OFFLINE="true")
    wait_active(scheduler)
    manual = run_sync_now(user=good, now=timezone.now())

    wait_for(
        lambda: ScrapeRun.objects.filter(pk=manual.pk, status=RunStatus.SUCCEEDED).exists(),
        timeout=90,
        what=f"the real manual sync to succeed\n{scheduler.log()[-3000:]}",
    )
    assert WorkOrder.objects.filter(user=good).count() == 6
    wait_for(
        lambda: ScrapeRun.objects.filter(user=good, trigger=Trigger.SCHEDULED, status=RunStatus.SUCCEEDED).exists(),
        timeout=60,
        what="a real scheduled sync",
    )

    def auto_paused():
        stale.refresh_from_db()
        return stale.schedule_paused_reason == "auth_failed"

    wait_for(auto_paused, timeout=90, what=f"the auto-pause\n{scheduler.log()[-3000:]}")
    assert ScrapeRun.objects.filter(user=stale, error_code="auth_failed").exists()
    assert schedule_state(user=stale, now=timezone.now()).state == "auto_paused"
    wait_for(lambda: job_row(stale.pk) is None, what="the paused user's job to go")

    credentials_store(
        user=stale,
        portal="demo",
        base_url=base_url,
        username="stale@portal.test",
        password=PASSWORD,
        now=timezone.now(),
    )
    check = portal_test_login(user=stale)
    assert check.ok, check.message
    assert schedule_resume_after_login_check(user=stale, now=timezone.now()) is True
    wait_for(lambda: job_row(stale.pk) is not None, what="the resumed user's job")
