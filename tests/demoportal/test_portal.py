"""The demo vendor portal as a browser would see it (Django test client)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from credentials.services import credentials_retrieve, validate_credentials
from demoportal.models import Layout, PortalUser
from demoportal.services import portal_work_orders_mutate
from tests.demoportal.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_landing_page_requires_a_portal_login(client, portal_user):
    response = client.get("/demo-portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/demo-portal/login/")


def test_a_wrong_password_shows_the_portal_error_text(client, portal_user):
    response = client.post("/demo-portal/login/", {"username": portal_user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"Invalid username or password." in response.content
    assert "demoportal_session" not in response.cookies


def test_the_login_uses_the_portals_own_cookie_not_a_django_session(client, portal_user):
    response = client.post("/demo-portal/login/", {"username": portal_user.username, "password": PASSWORD})
    assert response.cookies["demoportal_session"].value
    assert "sessionid" not in response.cookies
    page = client.get("/demo-portal/")
    assert b"data-portal-user" in page.content
    assert b'data-menu="work-orders"' in page.content


def test_the_login_form_is_csrf_protected(portal_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/demo-portal/login/", {"username": portal_user.username, "password": PASSWORD})
    assert response.status_code == 403


def test_an_account_locks_after_repeated_failures(client, portal_user):
    portal_user.lockout_after = 2
    portal_user.save()
    for _ in range(2):
        client.post("/demo-portal/login/", {"username": portal_user.username, "password": "nope"})

    response = client.post("/demo-portal/login/", {"username": portal_user.username, "password": PASSWORD})

    assert b"locked" in response.content
    assert "demoportal_session" not in response.cookies


def test_the_list_paginates_with_the_account_page_size(signed_in):
    first = signed_in.get("/demo-portal/work-orders/")
    last = signed_in.get("/demo-portal/work-orders/?page=3")

    assert first.content.count(b"<tr>") == 1 + 5
    assert b"Page 1 of 3" in first.content
    assert b'rel="next" href="?page=2"' in first.content
    assert b'href="?page=3">3</a>' in first.content
    assert last.content.count(b"<tr>") == 1 + 2
    assert b'rel="next"' not in last.content
    assert signed_in.get("/demo-portal/work-orders/?per_page=20").content.count(b"<tr>") == 1 + 12


def test_each_work_order_has_a_detail_page(signed_in, portal_user):
    order = portal_user.work_orders.first()
    response = signed_in.get(f"/demo-portal/work-orders/{order.ref}/")
    assert response.status_code == 200
    assert order.summary.encode() in response.content


def test_fault_switches_break_the_list(signed_in, portal_user):
    portal_user.error_500_on_page = 2
    portal_user.save()
    assert signed_in.get("/demo-portal/work-orders/?page=2").status_code == 500

    portal_user.clear_faults()
    portal_user.layout = Layout.RENAMED_COLUMN
    portal_user.save()
    assert b"<th>State</th>" in signed_in.get("/demo-portal/work-orders/").content

    portal_user.layout = Layout.MOVED_TABLE
    portal_user.save()
    assert b'id="work-orders"' not in signed_in.get("/demo-portal/work-orders/").content

    portal_user.layout = Layout.STANDARD
    portal_user.empty_list = True
    portal_user.save()
    assert b"empty-state" in signed_in.get("/demo-portal/work-orders/").content


def test_the_session_expires_after_the_configured_page(signed_in, portal_user):
    portal_user.expire_session_after_page = 1
    portal_user.save()

    assert signed_in.get("/demo-portal/work-orders/?page=1").status_code == 200
    response = signed_in.get("/demo-portal/work-orders/?page=2")

    assert response.status_code == 302
    assert "expired=1" in response["Location"]
    assert signed_in.get("/demo-portal/").status_code == 302  # signed out


def test_a_rejecting_portal_refuses_even_the_right_password(client, portal_user):
    portal_user.reject_login = True
    portal_user.save()
    response = client.post("/demo-portal/login/", {"username": portal_user.username, "password": PASSWORD})
    assert b"Invalid username or password." in response.content


def test_faults_can_be_switched_on_for_every_account_by_setting(signed_in, settings):
    settings.DEMO_PORTAL_FAULTS = {"empty_list": "true"}
    assert b"empty-state" in signed_in.get("/demo-portal/work-orders/").content


def test_the_classic_portal_serves_the_same_work_orders_with_other_markup(client, portal_user):
    response = client.post("/demo-portal/classic/signon.asp", {"login_id": portal_user.username, "passwd": PASSWORD})
    assert response.status_code == 302
    page = client.get("/demo-portal/classic/tickets.asp?view=open")
    assert b'class="grid"' in page.content
    assert b"Page 1 / 3" in page.content
    assert portal_user.work_orders.order_by("-updated_at", "ref").first().ref.encode() in page.content


def test_the_seed_data_is_varied_and_realistic(portal_user):
    orders = list(portal_user.work_orders.all())
    assert len({o.status for o in orders}) >= 3
    assert len({o.trade for o in orders}) >= 3
    assert any(o.nte is None for o in orders) or any(o.scheduled_at is None for o in orders)
    assert any(not o.location.isascii() or not o.summary.isascii() or not o.description.isascii() for o in orders)


def test_mutations_add_change_and_remove_work_orders(portal_user):
    before = {o.ref: o.status for o in portal_user.work_orders.all()}

    change = portal_work_orders_mutate(account=portal_user, now=timezone.now(), new=2, updated=3, removed=1)

    after = {o.ref: o.status for o in portal_user.work_orders.all()}
    assert len(after) == 12 + 2 - 1
    assert set(change.created) == set(after) - set(before)
    assert change.removed[0] not in after
    assert all(after[ref] != before[ref] for ref in change.updated)


def test_demo_setup_is_idempotent(settings):
    call_command("demo_setup")
    call_command("demo_setup")

    user = User.objects.get(username="demo")
    assert user.check_password("demo-password")
    assert user.timezone == "America/New_York"
    assert validate_credentials(user).ok
    credentials = credentials_retrieve(user=user)
    assert credentials.base_url == settings.DEMO_PORTAL_BASE_URL
    portal = PortalUser.objects.get(username=credentials.username)
    assert portal.check_password(credentials.password)
    assert portal.work_orders.count() > 0
    assert PortalUser.objects.count() == 1


def test_demo_seed_reseeds_mutates_and_switches_faults():
    call_command("demo_seed", "bench@portal.test", "--password", "pw-123456", "--count", "30", "--page-size", "10")
    call_command("demo_seed", "bench@portal.test", "--new", "4", "--removed", "2", "--fault", "layout=moved_table")

    account = PortalUser.objects.get(username="bench@portal.test")
    assert account.work_orders.count() == 32
    assert (account.page_size, account.layout) == (10, "moved_table")
    call_command("demo_seed", "bench@portal.test", "--clear-faults")
    account.refresh_from_db()
    assert account.layout == "standard"
