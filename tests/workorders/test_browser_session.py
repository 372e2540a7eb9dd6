"""One browser across users, recycling, and the remote WebDriver path."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from credentials.models import CredentialStatus, PortalAccount
from scheduling.models import RunStatus
from tests.workorders.conftest import running_run
from workorders.models import WorkOrder
from workorders.portals.browser import BrowserSession, process_tree, processes_matching
from workorders.services import portal_test_login, work_orders_sync

pytestmark = pytest.mark.browser


def test_one_browser_serves_consecutive_users_each_starting_logged_out(demo_portal):
    alice, bob = demo_portal(count=3), demo_portal(count=4)
    with BrowserSession() as session:
        first = work_orders_sync(run=running_run(alice.user), session=session)
        profile = session.user_data_dir
        second = work_orders_sync(run=running_run(bob.user), session=session)

        assert (first.status, second.status) == (RunStatus.SUCCEEDED, RunStatus.SUCCEEDED)
        assert session.starts == 1
        assert set(WorkOrder.objects.filter(user=bob.user).values_list("external_id", flat=True)) == set(
            bob.portal.work_orders.values_list("ref", flat=True)
        )
    assert processes_matching(profile) == []


def test_a_browser_still_signed_in_is_recycled_before_the_next_user(demo_portal, monkeypatch):
    alice, bob = demo_portal(count=2), demo_portal(count=2)
    with BrowserSession() as session:
        work_orders_sync(run=running_run(alice.user), session=session)
        # Without the origin clean-up the portal still knows Alice when Bob's login page opens.
        monkeypatch.setattr(session, "_clear_origin", lambda origin: None)

        run = work_orders_sync(run=running_run(bob.user), session=session)

        assert run.status == RunStatus.SUCCEEDED
        assert session.starts == 2
        assert WorkOrder.objects.filter(user=bob.user).count() == 2
        assert set(WorkOrder.objects.filter(user=bob.user).values_list("external_id", flat=True)) == set(
            bob.portal.work_orders.values_list("ref", flat=True)
        )


def test_the_browser_is_recycled_after_an_error_and_after_n_users(demo_portal, settings):
    settings.BROWSER_RECYCLE_AFTER = 2
    users = [demo_portal(count=1) for _ in range(3)]
    broken = demo_portal(count=1, reject_login=True)
    with BrowserSession() as session:
        for setup in users:
            work_orders_sync(run=running_run(setup.user), session=session)
        assert session.starts == 2  # the third user got a fresh browser
        failed = work_orders_sync(run=running_run(broken.user), session=session)
        assert failed.error_code == "auth_failed"
        assert not session.is_started  # quit right after the error
        work_orders_sync(run=running_run(users[0].user), session=session)
        assert session.starts == 3


def test_test_login_reports_and_records_the_portal_verdict(demo_portal):
    good, bad = demo_portal(count=1), demo_portal(count=1, reject_login=True)

    assert portal_test_login(user=good.user).ok
    assert PortalAccount.objects.get(user=good.user).status == CredentialStatus.OK
    check = portal_test_login(user=bad.user)
    assert (check.ok, check.code) == (False, "auth_failed")
    assert PortalAccount.objects.get(user=bad.user).status == CredentialStatus.AUTH_FAILED
    assert WorkOrder.objects.count() == 0


@pytest.fixture
def standalone_chromedriver():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["/usr/bin/chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{url}/status", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_remote_webdriver_path_syncs_through_a_standalone_chromedriver(
    demo_portal, settings, standalone_chromedriver, browsers
):
    url, driver_pid = standalone_chromedriver
    settings.SELENIUM_REMOTE_URL = url
    setup = demo_portal(count=5, page_size=2)

    run = work_orders_sync(run=running_run(setup.user))

    assert (run.status, run.found_count, run.page_count) == (RunStatus.SUCCEEDED, 5, 3)
    assert browsers.profiles == []  # no local browser was started
    # The browser the driver started for us is gone; only the driver itself remains.
    assert [p.pid for p in process_tree(driver_pid)] == [driver_pid]


def test_the_remote_webdriver_path_cleans_up_after_a_failure(demo_portal, settings, standalone_chromedriver):
    url, driver_pid = standalone_chromedriver
    settings.SELENIUM_REMOTE_URL = url
    setup = demo_portal(count=5, page_size=2, expire_session_after_page=1)

    run = work_orders_sync(run=running_run(setup.user))

    assert run.error_code == "session_expired"
    assert [p.pid for p in process_tree(driver_pid)] == [driver_pid]


def test_an_unreachable_remote_webdriver_is_browser_unavailable(demo_portal, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SELENIUM_REMOTE_URL = f"http://127.0.0.1:{port}"
    setup = demo_portal(count=1)

    run = work_orders_sync(run=running_run(setup.user))

    assert run.error_code == "browser_unavailable"
    assert f"SELENIUM_REMOTE_URL=http://127.0.0.1:{port}" in run.error_message


def test_an_unreachable_remote_webdriver_never_shows_or_logs_the_grid_password(demo_portal, settings, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SELENIUM_REMOTE_URL = f"http://grid-user:grid-Secret-9@127.0.0.1:{port}/wd/hub"
    setup = demo_portal(count=1)

    run = work_orders_sync(run=running_run(setup.user))

    assert run.error_code == "browser_unavailable"
    assert f"SELENIUM_REMOTE_URL=http://127.0.0.1:{port}/wd/hub" in run.error_message
    assert "grid-Secret-9" not in run.error_message
    assert caplog.records, "the failure must be logged"
    assert "grid-Secret-9" not in caplog.text


def test_a_browser_that_dies_mid_sync_is_reported_and_leaves_nothing_behind(demo_portal, browsers):
    from workorders import services

    setup = demo_portal(count=6, page_size=2)
    real_on_page = services.run_progress_publish

    def kill_browser_after_page_one(run, *, force=False):
        if run.page == 1 and not force:
            session = services_sessions[0]
            os.kill(session.driver_pid, signal.SIGKILL)  # chromedriver gone, as after a crash
        return real_on_page(run, force=force)

    services_sessions = []
    original_init = services.BrowserSession.__init__

    def remember(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        services_sessions.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services.BrowserSession, "__init__", remember)
        patch.setattr(services, "run_progress_publish", kill_browser_after_page_one)
        run = work_orders_sync(run=running_run(setup.user))

    assert (run.status, run.error_code) == (RunStatus.FAILED, "browser_unavailable")
    assert WorkOrder.objects.filter(user=setup.user).count() == 0
    assert browsers.leftovers() == []


ORPHAN_SCRIPT = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from workorders.portals.browser import BrowserSession
session = BrowserSession()
session.start()
print(session.user_data_dir, flush=True)
sys.stdin.read()  # wait to be killed
"""


def test_browsers_of_a_killed_process_are_reaped():
    from pathlib import Path

    from django.conf import settings as django_settings

    from workorders.portals.browser import browser_reap_orphans

    owner = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT],
        cwd=django_settings.BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        profile = owner.stdout.readline().strip()
        assert processes_matching(profile)  # the browser runs
        owner.kill()  # kill -9: no cleanup runs in the owner
        owner.wait(timeout=10)
        assert processes_matching(profile)  # ... so its browser outlives it

        killed = browser_reap_orphans(owners={owner.pid})

        assert killed >= 2  # chromedriver and Chromium
        for _ in range(50):
            if not processes_matching(profile):
                break
            time.sleep(0.05)
        assert processes_matching(profile) == []
        assert not Path(profile).exists()
    finally:
        if owner.poll() is None:
            owner.kill()


def test_reaping_leaves_browsers_of_live_processes_alone():
    from workorders.portals.browser import browser_reap_orphans

    with BrowserSession() as session:
        session.start()

        assert browser_reap_orphans(owners={os.getpid()}) == 0
        assert processes_matching(session.user_data_dir)
