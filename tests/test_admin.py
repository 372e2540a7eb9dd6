"""The operator admin: every page renders for a superuser; credentials are masked everywhere and
replaced only through credentials_store; run history is read-only with staff-only forensics."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from credentials.models import CredentialStatus, PortalAccount
from credentials.services import credentials_record_check, credentials_retrieve
from scheduling.models import RunStatus, SchedulerInstance, Trigger
from tests.factories import make_portal_account, make_run, make_user

PORTAL_USERNAME = "field.tech@acme-plumbing.example"
PORTAL_PASSWORD = "Zq7!unique-portal-secret-93"
NEW_USERNAME = "replacement.login@acme-plumbing.example"
NEW_PASSWORD = "Brand-new-secret-4471"
SECRETS = (PORTAL_USERNAME, PORTAL_PASSWORD, NEW_USERNAME, NEW_PASSWORD)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator(client):
    admin = make_user(username="operator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


@pytest.fixture
def account():
    user = make_user(username="alice", email="alice@example.com")
    return make_portal_account(user, username=PORTAL_USERNAME, password=PORTAL_PASSWORD)


def assert_no_secret(response) -> None:
    html = response.content.decode()
    for secret in SECRETS:
        assert secret not in html, f"{secret!r} appears on {response.request['PATH_INFO']}"


def portal_account_url(action: str, *args) -> str:
    return reverse(f"admin:credentials_portalaccount_{action}", args=args)


# --- credentials --------------------------------------------------------------------------------


def test_the_credentials_changelist_shows_a_masked_username_and_no_secret(client, operator, account):
    response = client.get(portal_account_url("changelist"))

    assert response.status_code == 200
    assert_no_secret(response)
    html = response.content.decode()
    assert "f•••@acme-plumbing.example" in html
    assert "gAAAAA" not in html


def test_the_credentials_change_form_shows_status_and_date_but_never_a_stored_value(client, operator, account):
    credentials_record_check(user=account.user, ok=False, message="Invalid login", now=timezone.now())

    response = client.get(portal_account_url("change", account.pk))

    assert response.status_code == 200
    assert_no_secret(response)
    html = response.content.decode()
    assert "gAAAAA" not in html
    assert "f•••@acme-plumbing.example" in html
    assert "Password set on" in html and account.password_set_at.strftime("%Y-%m-%d") in html
    assert "Rejected by the portal" in html and "Invalid login" in html
    assert 'name="password"' in html and 'type="password"' in html
    assert 'name="username"' in html and 'value="' + PORTAL_USERNAME not in html


def test_replacing_credentials_in_the_admin_goes_through_the_service(client, operator, account):
    credentials_record_check(user=account.user, ok=False, message="Invalid login", now=timezone.now())
    before = account.password_set_at

    response = client.post(
        portal_account_url("change", account.pk),
        {"portal": "demo", "base_url": account.base_url, "username": NEW_USERNAME, "password": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    credentials = credentials_retrieve(user=account.user)
    assert (credentials.username, credentials.password) == (NEW_USERNAME, NEW_PASSWORD)
    assert account.password_set_at > before
    assert account.status == CredentialStatus.UNCHECKED
    assert PortalAccount.objects.count() == 1


def test_an_error_report_of_the_credentials_form_would_hide_the_posted_login(client, operator, account):
    from django.views.debug import SafeExceptionReporterFilter

    response = client.post(
        portal_account_url("change", account.pk),
        {"portal": "demo", "base_url": account.base_url, "username": NEW_USERNAME, "password": NEW_PASSWORD},
    )

    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["base_url"] == account.base_url
    assert NEW_USERNAME not in shown.values() and NEW_PASSWORD not in shown.values()


def test_the_history_page_after_a_replacement_shows_no_secret(client, operator, account):
    client.post(
        portal_account_url("change", account.pk),
        {"portal": "demo", "base_url": account.base_url, "username": NEW_USERNAME, "password": NEW_PASSWORD},
    )
    entry = LogEntry.objects.get(object_id=str(account.pk))

    response = client.get(portal_account_url("history", account.pk))

    assert response.status_code == 200
    assert_no_secret(response)
    assert "password" in entry.get_change_message().lower()
    for secret in SECRETS:
        assert secret not in entry.change_message and secret not in entry.object_repr


def test_a_change_without_new_credentials_keeps_the_saved_ones(client, operator, account):
    response = client.post(
        portal_account_url("change", account.pk),
        {"portal": "demo", "base_url": "https://portal.other.example/", "username": "", "password": ""},
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.base_url == "https://portal.other.example/"
    assert credentials_retrieve(user=account.user).password == PORTAL_PASSWORD


def test_a_new_password_without_a_username_is_refused_and_not_echoed(client, operator, account):
    response = client.post(
        portal_account_url("change", account.pk),
        {"portal": "demo", "base_url": account.base_url, "username": "", "password": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Enter both the username and the password" in response.content.decode()
    assert_no_secret(response)
    assert credentials_retrieve(user=account.user).password == PORTAL_PASSWORD


def test_a_new_username_without_a_password_is_refused_and_the_username_not_echoed(client, operator, account):
    response = client.post(
        portal_account_url("change", account.pk),
        {"portal": "demo", "base_url": account.base_url, "username": NEW_USERNAME, "password": ""},
    )

    assert response.status_code == 200
    assert "Enter both the username and the password" in response.content.decode()
    assert_no_secret(response)
    assert credentials_retrieve(user=account.user).username == PORTAL_USERNAME


def test_adding_credentials_in_the_admin_encrypts_them(client, operator):
    user = make_user(username="bob")

    response = client.post(
        portal_account_url("add"),
        {
            "user": user.pk,
            "portal": "demo",
            "base_url": "https://p.example/",
            "username": NEW_USERNAME,
            "password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert credentials_retrieve(user=user).password == NEW_PASSWORD
    response = client.get(portal_account_url("change", user.portal_account.pk))
    assert_no_secret(response)


def test_the_add_form_requires_username_and_password(client, operator):
    user = make_user(username="carol")

    response = client.post(
        portal_account_url("add"), {"user": user.pk, "portal": "demo", "base_url": "https://p.example/"}
    )

    assert response.status_code == 200
    assert not PortalAccount.objects.filter(user=user).exists()


def test_an_undecryptable_username_is_shown_as_such(client, operator, account):
    PortalAccount.objects.filter(pk=account.pk).update(username_ciphertext="garbage")

    response = client.get(portal_account_url("changelist"))

    assert response.status_code == 200
    assert "cannot be decrypted" in response.content.decode()


# --- users --------------------------------------------------------------------------------------


def user_change_data(user, **overrides):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "timezone": "America/New_York",
        "schedule_enabled": "on",
        "schedule_paused_reason": "",
        "active_from_hour": "7",
        "active_until_hour": "18",
        "active_weekdays": ["mon", "tue", "wed", "thu", "fri"],
        # The read-only portal account inline's management form, as the page renders it.
        "portal_account-TOTAL_FORMS": "0",
        "portal_account-INITIAL_FORMS": "0",
        "portal_account-MIN_NUM_FORMS": "0",
        "portal_account-MAX_NUM_FORMS": "1",
    }
    data.update(overrides)
    return data


def test_the_user_admin_shows_and_saves_the_schedule(client, operator):
    user = make_user(username="dave")
    assert client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200

    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), user_change_data(user))

    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert (user.timezone, user.active_from_hour, user.active_until_hour) == ("America/New_York", 7, 18)
    assert user.active_weekdays == "mon,tue,wed,thu,fri"


def test_the_user_admin_ticks_the_saved_weekdays(client, operator):
    user = make_user(username="dora", active_weekdays="tue,sat")

    html = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()

    assert 'value="tue" id="id_active_weekdays_1" checked' in html
    assert 'value="sat" id="id_active_weekdays_5" checked' in html
    assert 'value="mon" id="id_active_weekdays_0" checked' not in html


def test_the_user_admin_rejects_an_unknown_zone_with_a_message(client, operator):
    user = make_user(username="erin")

    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]), user_change_data(user, timezone="Mars/Base")
    )

    assert response.status_code == 200
    assert "is not a time zone we know" in response.content.decode()
    user.refresh_from_db()
    assert user.timezone == "UTC"


def test_the_user_admin_lists_and_adds_users(client, operator):
    make_user(username="frank", active_from_hour=22, active_until_hour=6)

    changelist = client.get(reverse("admin:accounts_user_changelist"))
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a-Long-pass-9981",
            "password2": "a-Long-pass-9981",
        },
    )

    assert changelist.status_code == 200 and "22:00-06:00" in changelist.content.decode()
    assert response.status_code == 302, response.content.decode()[:3000]


# --- runs, work orders, scheduler ---------------------------------------------------------------


@pytest.fixture
def failed_run(account):
    now = datetime(2026, 3, 8, 14, 0, 5, tzinfo=UTC)
    return make_run(
        account.user,
        trigger=Trigger.SCHEDULED,
        scheduled_for=now.replace(second=0),
        status=RunStatus.FAILED,
        phase="navigation",
        started_at=now,
        finished_at=now + timedelta(seconds=12),
        error_code="layout_changed",
        error_message="The work order list looks different from what we expect.",
        error_url="https://portal.example.com/orders",
        error_screenshot=PNG,
        error_html='<form><input type="password" name="pw" value="leaked-value"><p>Orders &amp; more</p></form>',
    )


def test_the_run_history_lists_runs_with_filters(client, operator, failed_run):
    response = client.get(reverse("admin:scheduling_scraperun_changelist"), {"status__exact": "failed"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "layout_changed" in html and "12.0 s" in html


def test_a_failed_run_shows_its_forensics_to_staff(client, operator, failed_run):
    response = client.get(reverse("admin:scheduling_scraperun_change", args=[failed_run.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    screenshot_url = reverse("admin:scheduling_scraperun_screenshot", args=[failed_run.pk])
    assert f'<img src="{screenshot_url}"' in html
    assert "&lt;p&gt;Orders &amp;amp; more&lt;/p&gt;" in html  # escaped source, never rendered
    assert "leaked-value" not in html
    assert "https://portal.example.com/orders" in html
    assert 'name="_save"' not in html  # read-only


def test_the_screenshot_is_served_to_staff_only(client, operator, failed_run):
    url = reverse("admin:scheduling_scraperun_screenshot", args=[failed_run.pk])

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == PNG
    assert "no-store" in response["Cache-Control"]

    client.logout()
    client.force_login(failed_run.user)  # an ordinary user, not staff
    assert client.get(url).status_code == 302  # to the admin login


def test_a_run_without_a_screenshot_has_none_to_serve(client, operator, account):
    run = make_run(account.user)

    assert client.get(reverse("admin:scheduling_scraperun_screenshot", args=[run.pk])).status_code == 404
    assert client.get(reverse("admin:scheduling_scraperun_change", args=[run.pk])).status_code == 200


def test_runs_cannot_be_added_or_changed_in_the_admin(client, operator, failed_run):
    assert client.get(reverse("admin:scheduling_scraperun_add")).status_code == 403
    response = client.post(reverse("admin:scheduling_scraperun_change", args=[failed_run.pk]), {"status": "succeeded"})
    assert response.status_code == 403
    failed_run.refresh_from_db()
    assert failed_run.status == RunStatus.FAILED


def test_the_run_event_shown_to_users_has_no_forensics(failed_run):
    event = failed_run.as_event()

    assert not {"error_screenshot", "error_html", "error_url", "worker"} & set(event)


def test_deleting_a_user_in_the_admin_is_not_blocked_by_the_read_only_history(client, operator, failed_run):
    url = reverse("admin:accounts_user_delete", args=[failed_run.user_id])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not PortalAccount.objects.exists()


def test_work_orders_and_scheduler_heartbeats_render(client, operator, account):
    from tests.factories import make_work_order

    order = make_work_order(account.user, raw={"Number": "WO-1", "Title": "Leak <b>"})
    now = timezone.now()
    SchedulerInstance.objects.create(instance_id="abc", host="h", pid=1, started_at=now, last_beat_at=now)

    pages = [
        reverse("admin:workorders_workorder_changelist"),
        reverse("admin:workorders_workorder_change", args=[order.pk]),
        reverse("admin:scheduling_schedulerinstance_changelist"),
        reverse("admin:index"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert_no_secret(response)
    detail = client.get(pages[1]).content.decode()
    assert "&quot;Title&quot;: &quot;Leak &lt;b&gt;&quot;" in detail


def test_the_add_form_offers_only_users_without_portal_credentials(client, operator, account):
    newcomer = make_user(username="newcomer")

    html = client.get(portal_account_url("add")).content.decode()

    assert f'<option value="{newcomer.pk}">newcomer</option>' in html
    assert f'<option value="{account.user.pk}">' not in html


def test_staff_without_permission_to_view_runs_get_no_screenshot(client, failed_run):
    client.force_login(make_user(username="helpdesk", is_staff=True))

    assert client.get(reverse("admin:scheduling_scraperun_screenshot", args=[failed_run.pk])).status_code == 404
    assert client.get(reverse("admin:scheduling_scraperun_change", args=[failed_run.pk])).status_code == 403


def test_the_key_column_says_whether_a_row_needs_rotation(client, operator, account, settings):
    from credentials.crypto import key_fingerprint
    from tests.conftest import TEST_KEY_A, TEST_KEY_B

    fingerprint = key_fingerprint(TEST_KEY_A)
    url = portal_account_url("changelist")

    assert f"{fingerprint} (primary)" in client.get(url).content.decode()
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    assert f"{fingerprint} (older key: run rotate_credential_keys)" in client.get(url).content.decode()
    settings.CREDENTIAL_KEYS = [TEST_KEY_B]
    assert f"{fingerprint} (key not configured)" in client.get(url).content.decode()


def test_the_user_page_shows_the_portal_credentials_masked(client, operator, account):
    response = client.get(reverse("admin:accounts_user_change", args=[account.user.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "f•••@acme-plumbing.example" in html
    assert portal_account_url("change", account.pk) in html  # replaced on its own page
    assert_no_secret(response)
    assert 'name="portal_account-0-base_url"' not in html  # shown, not editable here


def inputs_named(html: str, prefix: str) -> dict[str, str]:
    """name → value of the <input>s whose name starts with ``prefix``, as a browser would post them."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class Inputs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attributes = dict(attrs)
            if tag == "input" and (attributes.get("name") or "").startswith(prefix):
                found[attributes["name"]] = attributes.get("value") or ""

    Inputs().feed(html)
    return found


def test_saving_a_user_with_portal_credentials_keeps_them(client, operator, account):
    user = account.user
    url = reverse("admin:accounts_user_change", args=[user.pk])
    inline = inputs_named(client.get(url).content.decode(), "portal_account-")
    assert inline["portal_account-INITIAL_FORMS"] == "1"

    response = client.post(url, user_change_data(user) | inline)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert credentials_retrieve(user=user).password == PORTAL_PASSWORD
    user.refresh_from_db()
    assert user.timezone == "America/New_York"
