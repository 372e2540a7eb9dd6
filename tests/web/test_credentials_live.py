"""The credentials page's "Test connection" for real: the login phase in Chromium against the
bundled demo portal served by runembedded, its result in words, and the resume after an auto-pause."""

from __future__ import annotations

import pytest
from django.urls import reverse

from credentials.models import CredentialStatus, PortalAccount
from demoportal.services import portal_account_ensure
from tests.factories import make_portal_account, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PORTAL_USERNAME = "tester@portal.test"
PORTAL_PASSWORD = "Right-Portal-Pass-5"


@pytest.fixture
def portal(transactional_db, live_app):
    portal_account_ensure(username=PORTAL_USERNAME, password=PORTAL_PASSWORD)
    return live_app


def test_a_passing_test_connection_says_connected_and_resumes_an_automatic_pause(client, portal):
    user = make_user(schedule_enabled=False, schedule_paused_reason="auth_failed")
    make_portal_account(user, base_url=portal.portal_url, username=PORTAL_USERNAME, password=PORTAL_PASSWORD)
    client.force_login(user)
    page = client.post(reverse("credentials:test"), follow=True).content.decode()
    assert "Connected: the portal accepted your login. Your hourly sync has resumed." in page
    assert PORTAL_PASSWORD not in page and PORTAL_USERNAME not in page
    user.refresh_from_db()
    assert user.schedule_enabled
    assert PortalAccount.objects.get(user=user).status == CredentialStatus.OK


def test_a_wrong_password_is_reported_in_words(client, portal):
    user = make_user()
    make_portal_account(user, base_url=portal.portal_url, username=PORTAL_USERNAME, password="Wrong-Pass-1")
    client.force_login(user)
    page = client.post(reverse("credentials:test"), follow=True).content.decode()
    assert "The portal rejected this password." in page
    assert "Wrong-Pass-1" not in page
    assert PortalAccount.objects.get(user=user).status == CredentialStatus.AUTH_FAILED
