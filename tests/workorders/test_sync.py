"""Full syncs through real headless Chromium against the demo portal on the live server."""

from __future__ import annotations

import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credentials.models import CredentialStatus, PortalAccount
from demoportal.models import Layout, PortalWorkOrder
from demoportal.services import portal_work_orders_mutate
from scheduling.models import Phase, RunStatus
from tests.factories import make_user
from tests.workorders.conftest import PORTAL_PASSWORD, running_run
from workorders.models import WorkOrder
from workorders.services import portal_test_login, work_orders_sync

pytestmark = pytest.mark.browser


def snapshot(user) -> list[tuple]:
    return list(
        WorkOrder.objects.filter(user=user)
        .order_by("external_id")
        .values_list("external_id", "fingerprint", "status", "delisted_at", "last_seen_at")
    )


def seed_existing(setup) -> list[tuple]:
    """Work orders from an earlier sync (stale values, plus one the portal no longer lists)."""
    account = PortalAccount.objects.get(user=setup.user)
    earlier = timezone.now() - timedelta(days=1)
    refs = [*setup.portal.work_orders.values_list("ref", flat=True)[:3], "WO-1"]
    WorkOrder.objects.bulk_create(
        WorkOrder(
            user=setup.user,
            portal_account=account,
            external_id=ref,
            number=ref,
            status="Stale",
            fingerprint="old",
            first_seen_at=earlier,
            last_seen_at=earlier,
        )
        for ref in refs
    )
    return snapshot(setup.user)


def test_a_full_sync_creates_work_orders_with_the_portal_values(demo_portal, browsers):
    setup = demo_portal(count=8, page_size=3)

    run = work_orders_sync(run=running_run(setup.user))

    assert (run.status, run.phase, run.error_code) == (RunStatus.SUCCEEDED, Phase.DONE, "")
    assert (run.found_count, run.created_count, run.updated_count, run.unchanged_count) == (8, 8, 0, 0)
    assert (run.page, run.page_count, run.rows_found) == (3, 3, 8)
    assert run.finished_at is not None
    portal_orders = {o.ref: o for o in setup.portal.work_orders.all()}
    saved = {w.external_id: w for w in WorkOrder.objects.filter(user=setup.user)}
    assert set(saved) == set(portal_orders)
    for ref, source in portal_orders.items():
        work_order = saved[ref]
        assert work_order.number == ref
        assert work_order.title == source.summary
        assert work_order.description == source.description
        assert (work_order.status, work_order.priority, work_order.trade) == (
            source.status,
            source.priority,
            source.trade,
        )
        assert work_order.site == source.location
        assert work_order.scheduled_at == source.scheduled_at
        assert work_order.due_at == source.due_at
        assert work_order.nte_amount == source.nte
        assert work_order.portal_updated_at == source.updated_at
        assert work_order.raw["WO #"] == ref
        assert len(work_order.fingerprint) == 64
        assert work_order.delisted_at is None
    assert any("\n" in w.description for w in saved.values())
    assert PortalAccount.objects.get(user=setup.user).status == CredentialStatus.OK
    assert browsers.profiles and browsers.leftovers() == []


def test_the_classic_portal_definition_reads_the_same_work_orders(demo_portal, shared_browser):
    setup = demo_portal(count=5, page_size=2, portal="classic")

    run = work_orders_sync(run=running_run(setup.user), session=shared_browser)

    assert (run.status, run.found_count, run.page_count) == (RunStatus.SUCCEEDED, 5, 3)
    for source in setup.portal.work_orders.all():
        work_order = WorkOrder.objects.get(user=setup.user, external_id=source.ref)
        assert (work_order.title, work_order.site) == (source.summary, source.location)
        assert work_order.status == source.status
        assert work_order.scheduled_at == source.scheduled_at
        assert work_order.nte_amount == source.nte
        if source.due_at:  # the classic portal shows the due date without a time
            assert work_order.due_at.date() <= source.due_at.date()


def test_a_second_sync_counts_created_updated_unchanged_and_no_longer_listed(demo_portal, shared_browser):
    setup = demo_portal(count=9, page_size=4)
    first = work_orders_sync(run=running_run(setup.user), session=shared_browser)
    assert first.created_count == 9
    change = portal_work_orders_mutate(account=setup.portal, now=timezone.now(), new=2, updated=3, removed=1)

    second = work_orders_sync(run=running_run(setup.user), session=shared_browser)

    assert second.status == RunStatus.SUCCEEDED
    counts = (second.found_count, second.created_count, second.updated_count, second.unchanged_count)
    assert counts == (10, 2, 3, 5)
    assert second.delisted_count == 1
    removed = WorkOrder.objects.get(user=setup.user, external_id=change.removed[0])
    assert removed.delisted_at is not None  # kept, marked as no longer listed
    assert WorkOrder.objects.filter(user=setup.user).count() == 11
    for ref in change.updated:
        portal_status = setup.portal.work_orders.get(ref=ref).status
        assert WorkOrder.objects.get(user=setup.user, external_id=ref).status == portal_status

    PortalWorkOrder.objects.create(
        account=setup.portal,
        ref=change.removed[0],
        summary="Back again",
        status="Open",
        priority="P3",
        location="Store #1",
        trade="HVAC",
        updated_at=timezone.now(),
    )
    third = work_orders_sync(run=running_run(setup.user), session=shared_browser)

    assert (third.created_count, third.updated_count, third.unchanged_count, third.delisted_count) == (0, 1, 10, 0)
    removed.refresh_from_db()
    assert removed.delisted_at is None
    assert removed.title == "Back again"


FAULTS = [
    pytest.param({"reject_login": True}, "auth_failed", Phase.LOGIN, id="login-rejected"),
    pytest.param({"error_500_on_page": 2}, "portal_unavailable", Phase.EXTRACTION, id="http-500-on-page-2"),
    pytest.param({"error_500_on_page": 0}, "portal_unavailable", Phase.LOGIN, id="http-500-after-login"),
    pytest.param({"expire_session_after_page": 1}, "session_expired", Phase.EXTRACTION, id="session-expires"),
    pytest.param({"layout": Layout.RENAMED_COLUMN}, "layout_changed", Phase.EXTRACTION, id="renamed-column"),
    pytest.param({"layout": Layout.MOVED_TABLE}, "layout_changed", Phase.EXTRACTION, id="moved-table"),
    pytest.param({"delay_seconds": 2.5}, "portal_unavailable", Phase.LOGIN, id="slow-pages"),
]


@pytest.mark.parametrize(("faults", "code", "phase"), FAULTS)
def test_each_fault_fails_with_its_code_and_changes_no_work_order(demo_portal, browsers, settings, faults, code, phase):
    settings.BROWSER_PAGE_LOAD_TIMEOUT = 2
    setup = demo_portal(count=7, page_size=3, **faults)
    before = seed_existing(setup)

    run = work_orders_sync(run=running_run(setup.user))

    assert (run.status, run.error_code, run.phase) == (RunStatus.FAILED, code, phase)
    assert run.error_message and "Traceback" not in run.error_message
    assert run.finished_at is not None
    assert snapshot(setup.user) == before
    assert browsers.profiles and browsers.leftovers() == []
    assert run.error_url.startswith(setup.base_url)
    assert bytes(run.error_screenshot).startswith(b"\x89PNG")
    assert PORTAL_PASSWORD not in run.error_html


def test_a_rejected_login_marks_the_credentials_and_quotes_the_portal(demo_portal):
    setup = demo_portal(reject_login=True)

    run = work_orders_sync(run=running_run(setup.user))

    assert run.error_code == "auth_failed"
    assert "Invalid username or password." in run.error_message
    account = PortalAccount.objects.get(user=setup.user)
    assert account.status == CredentialStatus.AUTH_FAILED
    assert account.status_message == run.error_message


def test_forensics_never_keep_the_password_a_portal_echoes_back(demo_portal):
    setup = demo_portal(portal="classic", reject_login=True)

    run = work_orders_sync(run=running_run(setup.user))

    assert run.error_code == "auth_failed"
    assert "signon.asp" in run.error_url
    assert 'name="passwd"' in run.error_html  # the login form is there ...
    assert PORTAL_PASSWORD not in run.error_html  # ... without the value the portal wrote back
    assert bytes(run.error_screenshot).startswith(b"\x89PNG")


def test_an_empty_listing_succeeds_and_marks_everything_no_longer_listed(demo_portal, shared_browser):
    setup = demo_portal(count=4, empty_list=True)
    seed_existing(setup)

    run = work_orders_sync(run=running_run(setup.user), session=shared_browser)

    assert (run.status, run.found_count, run.delisted_count) == (RunStatus.SUCCEEDED, 0, 4)
    assert WorkOrder.objects.filter(user=setup.user).count() == 4
    assert not WorkOrder.objects.filter(user=setup.user, delisted_at__isnull=True).exists()


def test_unusable_credentials_fail_before_any_browser_starts(transactional_db, browsers):
    user = make_user()

    run = work_orders_sync(run=running_run(user))

    assert (run.status, run.error_code) == (RunStatus.FAILED, "credentials_invalid")
    assert "No portal credentials" in run.error_message
    assert browsers.profiles == []


def test_test_connection_with_unusable_credentials_fails_before_any_browser_starts(transactional_db, browsers):
    check = portal_test_login(user=make_user())

    assert (check.ok, check.code) == (False, "credentials_invalid")
    assert "No portal credentials" in check.message
    assert browsers.profiles == []


@pytest.mark.parametrize("setting", ["CHROMEDRIVER_PATH", "CHROMIUM_BINARY"])
def test_a_missing_browser_is_reported_naming_the_setting(demo_portal, settings, browsers, setting):
    setup = demo_portal()
    before = seed_existing(setup)
    setattr(settings, setting, "/nonexistent/browser")

    run = work_orders_sync(run=running_run(setup.user))

    assert (run.status, run.error_code) == (RunStatus.FAILED, "browser_unavailable")
    assert f"{setting}=/nonexistent/browser" in run.error_message
    assert "Traceback" not in run.error_message
    assert snapshot(setup.user) == before


def test_an_unreachable_portal_is_portal_unavailable(transactional_db, browsers):
    from tests.factories import make_portal_account

    user = make_user()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_portal_account(user, base_url=f"http://127.0.0.1:{port}/demo-portal/")

    run = work_orders_sync(run=running_run(user))

    assert (run.status, run.error_code) == (RunStatus.FAILED, "portal_unavailable")
    assert "ERR_CONNECTION_REFUSED" in run.error_message
    assert browsers.leftovers() == []


def test_the_saved_amounts_and_times_are_parsed_not_copied(demo_portal, shared_browser):
    setup = demo_portal(count=6, page_size=10)
    work_orders_sync(run=running_run(setup.user), session=shared_browser)

    with_amount = WorkOrder.objects.filter(user=setup.user, nte_amount__isnull=False).first()
    assert isinstance(with_amount.nte_amount, Decimal)
    assert with_amount.raw["NTE"].startswith("$")
    assert with_amount.portal_updated_at.tzinfo is not None


def test_an_unexpected_error_is_recorded_once_and_changes_nothing(demo_portal, browsers, monkeypatch, caplog):
    from workorders.portals.scraper import PortalScraper

    setup = demo_portal(count=4)
    before = seed_existing(setup)

    def broken(self):
        raise RuntimeError("a bug in the scraper")

    monkeypatch.setattr(PortalScraper, "open_list", broken)

    run = work_orders_sync(run=running_run(setup.user))

    assert (run.status, run.error_code, run.phase) == (RunStatus.FAILED, "unexpected", Phase.NAVIGATION)
    assert "a bug in the scraper" not in run.error_message
    assert [r.levelname for r in caplog.records if r.exc_info] == ["ERROR"]
    assert snapshot(setup.user) == before
    assert browsers.leftovers() == []
