"""Server-rendered pages with the Django test client: each renders for its user, nobody sees
anyone else's data, forensics are staff-only, and the secrets never reach a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from scheduling.models import Phase, RunStatus, ScrapeRun, Trigger
from tests.factories import make_portal_account, make_run, make_user, make_work_order

pytestmark = pytest.mark.django_db

# 2:30 PM EST on Thursday, Jan 15, 2026.
NOW = datetime(2026, 1, 15, 19, 30, tzinfo=UTC)
STORED_USERNAME = "field.tech@example.com"
STORED_PASSWORD = "Portal-Pass-8c1f9e"


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice(travel) -> User:
    user = make_user(username="alice", timezone="America/New_York")
    make_portal_account(user, username=STORED_USERNAME, password=STORED_PASSWORD, now=NOW)
    return user


@pytest.fixture
def bob() -> User:
    return make_user(username="bob", timezone="Asia/Kolkata")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def html(response) -> str:
    return response.content.decode()


# --- login and navigation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "workorders:dashboard",
        "workorders:status-card",
        "workorders:work-order-list",
        "workorders:run-list",
        "accounts:settings",
        "credentials:edit",
    ],
)
def test_every_page_requires_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_nav_links_every_page_and_admin_only_for_staff(alice_client, alice):
    page = html(alice_client.get(reverse("workorders:dashboard")))
    for name in ("workorders:work-order-list", "workorders:run-list", "accounts:settings", "credentials:edit"):
        assert f'href="{reverse(name)}"' in page
    assert 'aria-current="page">Dashboard' in page
    assert reverse("admin:index") not in page
    alice.is_staff = True
    alice.save()
    assert reverse("admin:index") in html(alice_client.get(reverse("workorders:dashboard")))


# --- dashboard --------------------------------------------------------------------------------


def test_the_dashboard_shows_the_next_run_in_words_in_the_users_zone(alice_client):
    page = html(alice_client.get(reverse("workorders:dashboard")))
    assert 'data-state="active"' in page
    assert (
        '<time datetime="2026-01-15T15:00:00-05:00" data-relative data-zone="America/New_York">Today at 3:00 PM</time>'
        in page
    )
    assert ">EST</span>" in page
    assert '{"when": "2026-01-15T16:00:00-05:00", "zone": "EST"}' in page  # for the script to move on
    assert 'data-ws-path="/ws/progress/"' in page


def test_the_dashboard_says_tomorrow_after_the_last_active_hour(alice_client, alice):
    alice.active_from_hour, alice.active_until_hour = 7, 14
    alice.save()
    page = html(alice_client.get(reverse("workorders:dashboard")))
    assert ">Tomorrow at 7:00 AM</time>" in page


def test_the_dashboard_asks_for_credentials_when_there_are_none(client, travel):
    user = make_user()
    client.force_login(user)
    page = html(client.get(reverse("workorders:dashboard")))
    assert 'data-state="needs_credentials"' in page
    assert "Needs credentials" in page
    assert "No portal credentials are saved yet" in page
    assert f'href="{reverse("credentials:edit")}"' in page
    assert "<time" not in page


def test_the_dashboard_offers_resume_when_paused(alice_client, alice):
    alice.schedule_enabled = False
    alice.save()
    page = html(alice_client.get(reverse("workorders:dashboard")))
    assert 'data-state="paused"' in page
    assert "Your hourly sync is paused." in page
    assert reverse("accounts:schedule-resume") in page


def test_the_dashboard_explains_an_automatic_pause(alice_client, alice):
    alice.schedule_enabled = False
    alice.schedule_paused_reason = "auth_failed"
    alice.save()
    page = html(alice_client.get(reverse("workorders:dashboard")))
    assert 'data-state="auto_paused"' in page
    assert "Paused automatically" in page
    assert "rejected your password" in page


def test_the_dashboard_shows_a_running_runs_phase_and_progress(alice_client, alice):
    make_run(
        alice, status=RunStatus.RUNNING, phase=Phase.EXTRACTION, page=2, page_count=4, rows_found=37, started_at=NOW
    )
    page = html(alice_client.get(reverse("workorders:dashboard")))
    assert 'data-running="true"' in page
    assert "Reading work orders" in page
    assert "Page 2 of 4 · 37 rows found" in page
    assert 'role="progressbar"' in page
    assert 'aria-valuenow="55"' in page
    assert 'data-testid="sync-now" disabled' in page
    assert 'aria-live="polite"' in page


def test_the_dashboard_shows_the_last_runs_result(alice_client, alice):
    make_run(
        alice,
        status=RunStatus.SUCCEEDED,
        phase=Phase.DONE,
        started_at=NOW - timedelta(minutes=3),
        finished_at=NOW - timedelta(minutes=2, seconds=18),
        created_count=5,
        updated_count=2,
        unchanged_count=11,
        delisted_count=1,
        failed_count=0,
    )
    page = html(alice_client.get(reverse("workorders:dashboard")))
    assert 'data-running="false"' in page
    assert "Succeeded" in page
    assert "Jan 15, 2026, 2:27 PM EST after 42 s" in page
    for key, value in {"created": 5, "updated": 2, "unchanged": 11, "delisted": 1, "failed": 0}.items():
        assert f'data-count="{key}">{value}<' in page


def test_the_dashboard_shows_why_the_last_run_failed(alice_client, alice):
    make_run(
        alice,
        status=RunStatus.FAILED,
        started_at=NOW - timedelta(minutes=1),
        finished_at=NOW,
        error_code="portal_unavailable",
        error_message="The portal could not be reached.",
    )
    page = html(alice_client.get(reverse("workorders:dashboard")))
    assert 'data-last-status="failed"' in page
    assert "The portal could not be reached." in page


def test_the_status_card_fragment_renders_the_card_alone(alice_client):
    response = alice_client.get(reverse("workorders:status-card"))
    assert response.status_code == 200
    assert 'id="status-card"' in html(response)
    assert "<html" not in html(response)


def test_sync_now_queues_a_manual_run_and_says_so(alice_client, alice):
    response = alice_client.post(reverse("workorders:sync-now"), follow=True)
    run = ScrapeRun.objects.get(user=alice)
    assert (run.trigger, run.status) == (Trigger.MANUAL, RunStatus.QUEUED)
    assert "Sync started" in html(response)


def test_sync_now_answers_json_to_the_dashboard_script(alice_client, alice):
    response = alice_client.post(reverse("workorders:sync-now"), headers={"accept": "application/json"})
    assert response.status_code == 202
    assert response.json()["run"]["id"] == ScrapeRun.objects.get(user=alice).pk


def test_sync_now_is_refused_with_a_message_while_a_run_is_in_progress(alice_client, alice):
    make_run(alice, status=RunStatus.RUNNING, phase=Phase.LOGIN)
    response = alice_client.post(reverse("workorders:sync-now"), follow=True)
    assert "A sync is already in progress" in html(response)
    assert ScrapeRun.objects.filter(user=alice).count() == 1
    response = alice_client.post(reverse("workorders:sync-now"), headers={"accept": "application/json"})
    assert response.status_code == 409
    assert response.json()["code"] == "run_in_progress"


def test_sync_now_is_refused_without_usable_credentials(client, travel):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("workorders:sync-now"), follow=True)
    assert "No portal credentials are saved yet" in html(response)
    assert not ScrapeRun.objects.filter(user=user).exists()


def test_sync_now_only_accepts_post(alice_client):
    assert alice_client.get(reverse("workorders:sync-now")).status_code == 405


# --- work orders -------------------------------------------------------------------------------


def test_the_work_order_list_shows_only_the_users_own(alice_client, alice, bob):
    make_work_order(alice, number="A-100", title="Leaking roof")
    make_work_order(bob, number="B-200", title="Broken door")
    page = html(alice_client.get(reverse("workorders:work-order-list")))
    assert "A-100" in page and "Leaking roof" in page
    assert "B-200" not in page and "Broken door" not in page


def test_the_work_order_list_searches_number_title_and_site(alice_client, alice):
    make_work_order(alice, number="A-100", title="Leaking roof", site="Elm Plaza")
    make_work_order(alice, number="A-101", title="HVAC filter", site="Oak Mall")
    url = reverse("workorders:work-order-list")
    for term in ("a-100", "leaking", "elm"):
        page = html(alice_client.get(url, {"q": term}))
        assert "A-100" in page and "A-101" not in page, term


def test_the_work_order_list_filters_by_status_priority_site_and_listing(alice_client, alice):
    make_work_order(alice, number="A-1", status="Open", priority="High", site="Elm")
    make_work_order(alice, number="A-2", status="Closed", priority="Low", site="Oak")
    make_work_order(alice, number="A-3", status="Open", priority="Low", site="Oak", delisted_at=NOW)
    url = reverse("workorders:work-order-list")

    def numbers(**params) -> set[str]:
        page = html(alice_client.get(url, params))
        return {n for n in ("A-1", "A-2", "A-3") if f">{n}</a>" in page}

    assert numbers(status="Open") == {"A-1", "A-3"}
    assert numbers(priority="Low") == {"A-2", "A-3"}
    assert numbers(site="Oak", status="Open") == {"A-3"}
    assert numbers(listed="delisted") == {"A-3"}
    assert numbers(listed="listed") == {"A-1", "A-2"}
    # A value that is not one of the user's is ignored, never an error page.
    assert numbers(status="Nonexistent") == {"A-1", "A-2", "A-3"}


def test_the_work_order_list_sorts_and_paginates(alice_client, alice):
    for n in range(30):
        make_work_order(alice, number=f"N-{n:03d}")
    url = reverse("workorders:work-order-list")
    first = html(alice_client.get(url, {"sort": "number"}))
    assert ">N-000</a>" in first and ">N-024</a>" in first and ">N-025</a>" not in first
    assert first.index(">N-000<") < first.index(">N-001<")
    assert "Page 1 of 2 (30 work orders)" in first
    assert 'href="?sort=number&amp;page=2" rel="next">Next →</a>' in first and 'rel="prev"' not in first
    assert 'aria-sort="ascending"' in first
    assert 'href="?sort=-number">Number ▲</a>' in first  # the sorted column's header reverses it
    second = html(alice_client.get(url, {"sort": "number", "page": 2}))
    assert ">N-025</a>" in second and ">N-029</a>" in second and ">N-000</a>" not in second
    assert 'rel="prev">← Previous</a>' in second and 'rel="next"' not in second
    descending = html(alice_client.get(url, {"sort": "-number"}))
    assert ">N-029</a>" in descending and ">N-000</a>" not in descending


def test_the_work_order_list_marks_no_longer_listed_ones(alice_client, alice):
    make_work_order(alice, number="A-9", delisted_at=NOW)
    page = html(alice_client.get(reverse("workorders:work-order-list")))
    assert 'class="delisted"' in page
    assert "No longer listed</span>" in page


def test_a_work_order_detail_shows_the_users_own(alice_client, alice):
    wo = make_work_order(alice, number="A-7", title="Replace filter", delisted_at=NOW, scheduled_at=NOW)
    page = html(alice_client.get(reverse("workorders:work-order-detail", args=[wo.pk])))
    assert "Replace filter" in page
    assert "No longer listed on the portal since Jan 15, 2026, 2:30 PM EST" in page


def test_another_users_work_order_is_404(alice_client, bob):
    wo = make_work_order(bob)
    assert alice_client.get(reverse("workorders:work-order-detail", args=[wo.pk])).status_code == 404


# --- runs ---------------------------------------------------------------------------------------


def test_the_run_history_lists_only_the_users_runs_with_the_scheduled_hour_in_their_zone(alice_client, alice, bob):
    make_run(
        alice,
        trigger=Trigger.SCHEDULED,
        scheduled_for=datetime(2026, 1, 15, 19, tzinfo=UTC),
        status=RunStatus.FAILED,
        error_message="The portal rejected your login.",
        started_at=NOW,
        finished_at=NOW + timedelta(seconds=65),
    )
    make_run(bob, error_message="Bob's own problem")
    page = html(alice_client.get(reverse("workorders:run-list")))
    assert "Jan 15, 2026, 2:00 PM EST" in page
    assert "Scheduled" in page and "Failed" in page
    assert "1 min 5 s" in page
    assert "0 created · 0 updated · 0 unchanged · 0 no longer listed · 0 failed" in page
    assert "The portal rejected your login." in page
    assert "Bob&#x27;s own problem" not in page and "Bob's own problem" not in page


def test_the_run_history_pages_from_the_newest_runs_to_older_ones(alice_client, alice):
    runs = [make_run(alice, status=RunStatus.SUCCEEDED, queued_at=NOW - timedelta(hours=n)) for n in range(30)]
    url = reverse("workorders:run-list")
    first = html(alice_client.get(url))
    assert f"#{runs[0].pk}</a>" in first and f"#{runs[24].pk}</a>" in first and f"#{runs[25].pk}</a>" not in first
    assert "Page 1 of 2</span>" in first
    assert 'href="?page=2" rel="next">Older →</a>' in first and 'rel="prev"' not in first
    second = html(alice_client.get(url, {"page": 2}))
    assert f"#{runs[29].pk}</a>" in second and f"#{runs[0].pk}</a>" not in second
    assert 'href="?page=1" rel="prev">← Newer</a>' in second and 'rel="next"' not in second


def test_another_users_run_is_404(alice_client, bob):
    run = make_run(bob)
    assert alice_client.get(reverse("workorders:run-detail", args=[run.pk])).status_code == 404


@pytest.fixture
def failed_run(alice) -> ScrapeRun:
    return make_run(
        alice,
        status=RunStatus.FAILED,
        error_code="layout_changed",
        error_message="The portal's page changed.",
        error_url="http://portal.example/list",
        error_screenshot=b"\x89PNG\r\n\x1a\nfake",
        error_html="<html><body><script>alert('x')</script>Work orders</body></html>",
    )


def test_forensics_are_hidden_from_the_runs_owner_unless_staff(alice_client, failed_run):
    page = html(alice_client.get(reverse("workorders:run-detail", args=[failed_run.pk])))
    assert "The portal&#x27;s page changed." in page
    assert "Operator forensics" not in page
    assert "alert(" not in page
    assert reverse("workorders:run-screenshot", args=[failed_run.pk]) not in page
    assert alice_client.get(reverse("workorders:run-screenshot", args=[failed_run.pk])).status_code == 404
    assert alice_client.get(reverse("workorders:run-html", args=[failed_run.pk])).status_code == 404


def test_the_owners_run_page_does_not_load_the_forensics(alice_client, failed_run):
    response = alice_client.get(reverse("workorders:run-detail", args=[failed_run.pk]))
    assert {"error_screenshot", "error_html"} <= response.context["run"].get_deferred_fields()


def test_staff_see_forensics_of_any_run(client, failed_run):
    operator = make_user(is_staff=True)
    client.force_login(operator)
    page = html(client.get(reverse("workorders:run-detail", args=[failed_run.pk])))
    assert "Operator forensics" in page
    assert "layout_changed" in page
    assert "&lt;script&gt;alert(" in page  # shown as text, never as markup
    shot = client.get(reverse("workorders:run-screenshot", args=[failed_run.pk]))
    assert shot["Content-Type"] == "image/png"
    assert shot.content == b"\x89PNG\r\n\x1a\nfake"
    source = client.get(reverse("workorders:run-html", args=[failed_run.pk]))
    assert source["Content-Type"].startswith("text/plain")
    assert "sandbox" in source["Content-Security-Policy"]
    assert source.content.decode() == failed_run.error_html


def test_a_run_without_a_screenshot_has_no_screenshot_page(client, alice):
    operator = make_user(is_staff=True)
    client.force_login(operator)
    run = make_run(alice)
    assert client.get(reverse("workorders:run-screenshot", args=[run.pk])).status_code == 404


# --- settings ---------------------------------------------------------------------------------


def settings_post(**overrides) -> dict:
    data = {"timezone": "America/New_York", "schedule_enabled": "on", "active_from_hour": "", "active_until_hour": ""}
    data.update(overrides)
    return data


def test_the_settings_page_previews_the_next_five_runs_in_words(alice_client):
    page = html(alice_client.get(reverse("accounts:settings")))
    assert 'list="timezone-list"' in page
    assert '<option value="Asia/Kathmandu">' in page
    assert page.count('data-relative data-zone="America/New_York"') == 5
    assert ">Today at 3:00 PM</time>" in page and ">Today at 7:00 PM</time>" in page
    assert "data-suggest-browser-zone" not in page


def test_the_settings_page_offers_the_browsers_zone_to_a_utc_account(client, travel):
    client.force_login(make_user(timezone="UTC"))
    assert "data-suggest-browser-zone" in html(client.get(reverse("accounts:settings")))


def test_settings_reject_an_unknown_zone_with_a_form_error(alice_client, alice):
    response = alice_client.post(reverse("accounts:settings"), settings_post(timezone="Mars/Olympus_Mons"))
    assert response.status_code == 200
    assert "is not a time zone we know" in html(response)
    assert 'aria-invalid="true"' in html(response)
    alice.refresh_from_db()
    assert alice.timezone == "America/New_York"


def test_settings_save_the_zone_hours_and_days(alice_client, alice):
    data = settings_post(
        timezone="Asia/Kathmandu", active_from_hour="7", active_until_hour="18", active_weekdays=["mon", "fri"]
    )
    response = alice_client.post(reverse("accounts:settings"), data, follow=True)
    assert "Settings saved." in html(response)
    alice.refresh_from_db()
    assert (alice.timezone, alice.active_from_hour, alice.active_until_hour) == ("Asia/Kathmandu", 7, 18)
    assert alice.active_weekdays == "mon,fri"
    assert ">+0545</span>" in html(response)


def test_settings_preview_shows_the_edited_schedule_without_saving(alice_client, alice):
    data = settings_post(timezone="Asia/Kolkata", active_from_hour="9", active_until_hour="9", action="preview")
    page = html(alice_client.post(reverse("accounts:settings"), data))
    assert "Not saved" in page
    # 01:00 IST on Jan 16 now; 9 AM IST is later today there.
    assert ">Today at 9:00 AM</time>" in page and ">Tomorrow at 9:00 AM</time>" in page
    assert ">Jan 20 at 9:00 AM</time>" in page
    alice.refresh_from_db()
    assert alice.timezone == "America/New_York"


def test_settings_pause_and_resume(alice_client, alice):
    alice_client.post(reverse("accounts:schedule-pause"))
    alice.refresh_from_db()
    assert not alice.schedule_enabled
    response = alice_client.post(reverse("accounts:schedule-resume"), {"next": "dashboard"})
    assert response["Location"] == reverse("workorders:dashboard")
    alice.refresh_from_db()
    assert alice.schedule_enabled


# --- credentials ------------------------------------------------------------------------------


def test_the_credentials_page_never_shows_the_stored_username_or_password(alice_client):
    page = html(alice_client.get(reverse("credentials:edit")))
    assert "Replace your portal login" in page
    assert "Test connection" in page
    assert STORED_USERNAME not in page
    assert STORED_PASSWORD not in page
    assert 'type="password"' in page


def test_a_rejected_credentials_form_does_not_echo_the_password(alice_client):
    data = {"portal": "demo", "base_url": "", "username": "someone", "password": "Typed-Secret-77"}
    page = html(alice_client.post(reverse("credentials:edit"), data))
    assert "errorlist" in page
    assert "Typed-Secret-77" not in page
    assert STORED_PASSWORD not in page


def test_saving_credentials_replaces_them(alice_client, alice):
    data = {"portal": "demo", "base_url": "http://portal.example/", "username": "new", "password": "New-Secret-1"}
    response = alice_client.post(reverse("credentials:edit"), data, follow=True)
    assert "Portal login saved" in html(response)
    assert "New-Secret-1" not in html(response)
    from credentials.services import credentials_retrieve

    assert credentials_retrieve(user=alice).password == "New-Secret-1"


def test_the_credentials_page_says_when_the_password_cannot_be_read(alice_client, alice, settings):
    from cryptography.fernet import Fernet

    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    page = html(alice_client.get(reverse("credentials:edit")))
    assert "Your saved password can no longer be read — please enter it again." in page


@pytest.fixture
def fake_login(monkeypatch):
    from workorders import services

    outcomes = []

    def portal_test_login(*, user):
        return outcomes.pop(0)

    monkeypatch.setattr(services, "portal_test_login", portal_test_login)
    return outcomes


def test_a_passing_connection_test_resumes_an_automatic_pause(alice_client, alice, fake_login):
    from workorders.services import LoginCheck

    alice.schedule_enabled, alice.schedule_paused_reason = False, "auth_failed"
    alice.save()
    fake_login.append(LoginCheck(ok=True, code="ok", message="ok"))
    page = html(alice_client.post(reverse("credentials:test"), follow=True))
    assert "Connected: the portal accepted your login. Your hourly sync has resumed." in page
    alice.refresh_from_db()
    assert alice.schedule_enabled


def test_a_rejected_connection_test_says_so_in_words(alice_client, fake_login):
    from workorders.services import LoginCheck

    fake_login.append(LoginCheck(ok=False, code="auth_failed", message="raw"))
    page = html(alice_client.post(reverse("credentials:test"), follow=True))
    assert "The portal rejected this password." in page


def test_an_error_report_of_the_credentials_page_would_hide_the_posted_login(alice_client):
    from django.views.debug import SafeExceptionReporterFilter

    data = {"portal": "demo", "base_url": "http://portal.example/", "username": "who", "password": "New-Secret-1"}
    response = alice_client.post(reverse("credentials:edit"), data)

    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["base_url"] == "http://portal.example/"
    assert "who" not in shown.values() and "New-Secret-1" not in shown.values()
