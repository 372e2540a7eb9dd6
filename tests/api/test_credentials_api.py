"""The credentials endpoint is write-only: neither the password nor the username ever comes back."""

import json

import pytest
from django.utils import timezone

import workorders.services
from credentials.models import CredentialStatus
from credentials.services import credentials_retrieve
from scheduling.models import RunStatus
from tests.factories import make_run, make_work_order
from workorders.services import LoginCheck

pytestmark = pytest.mark.django_db

PASSWORD = "Zq7-unique-portal-password-!x"
USERNAME = "tech.unique.login@portal.example"
STORE = {"portal": "demo", "base_url": "http://127.0.0.1:8000/demo-portal/", "username": USERNAME, "password": PASSWORD}


def body(response) -> str:
    return response.content.decode()


def test_a_store_and_read_cycle_never_returns_the_password_or_the_username(client_a, user_a):
    responses = [
        client_a.put("/api/credentials/", STORE, format="json"),
        client_a.post("/api/credentials/", STORE, format="json"),
        client_a.get("/api/credentials/"),
        client_a.post("/api/sync-now/"),
        client_a.post("/api/sync-now/"),  # 409 run_in_progress
        client_a.get("/api/runs/"),
        client_a.get("/api/schedule/"),
        client_a.patch("/api/schedule/", {"timezone": "Europe/Paris"}, format="json"),
        client_a.get("/api/schedule/next-runs/"),
        client_a.get("/api/work-orders/"),
        # Refusals must not echo what was sent either.
        client_a.put("/api/credentials/", {**STORE, "base_url": "not a url"}, format="json"),
        client_a.put("/api/credentials/", {**STORE, "portal": "nope"}, format="json"),
        client_a.put("/api/credentials/", {**STORE, "password": PASSWORD * 40}, format="json"),
        client_a.put("/api/credentials/", {**STORE, "username": "   "}, format="json"),
        client_a.put("/api/credentials/", b"{" + PASSWORD.encode(), content_type="application/json"),
        client_a.get("/api/schema/"),
    ]
    run_id = responses[3].json()["id"]
    make_work_order(user_a)
    responses += [client_a.get(f"/api/runs/{run_id}/"), client_a.get("/api/work-orders/")]
    statuses = [r.status_code for r in responses]
    assert statuses[:4] == [200, 200, 200, 202]
    assert statuses[4] == 409
    assert statuses[10:15] == [400, 400, 400, 400, 400]
    for response in responses:
        text = body(response)
        assert PASSWORD not in text
        assert USERNAME not in text
        assert "Zq7" not in text  # not even a prefix (no masking scheme that keeps characters)
    # And what was stored is what was sent.
    assert credentials_retrieve(user=user_a).password == PASSWORD


def test_the_read_tells_portal_date_and_status_only(client_a, user_a):
    client_a.put("/api/credentials/", STORE, format="json")
    data = client_a.get("/api/credentials/").json()
    assert set(data) == {"portal", "base_url", "password_set_at", "status", "status_message", "checked_at", "check"}
    assert data["portal"] == "demo"
    assert data["status"] == CredentialStatus.UNCHECKED
    assert data["check"] == {"ok": True, "code": "ok", "message": "Your portal credentials are saved and readable."}
    set_at = user_a.portal_account.password_set_at
    assert data["password_set_at"] == timezone.localtime(set_at, timezone.UTC).isoformat().replace("+00:00", "Z")


def test_a_missing_login_is_a_404_with_a_message(client_a):
    response = client_a.get("/api/credentials/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No portal login is saved yet."}


def test_invalid_credentials_input_gets_field_errors(client_a):
    response = client_a.put("/api/credentials/", {"portal": "nope", "base_url": "x"}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"portal", "base_url", "username", "password"}
    assert errors["username"] == ["This field is required."]


def test_a_blank_username_is_refused_by_the_service_as_a_field_error(client_a):
    response = client_a.put("/api/credentials/", {**STORE, "username": "   "}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()


def test_a_password_keeps_its_spaces(client_a, user_a):
    client_a.put("/api/credentials/", {**STORE, "password": "  spaced out  "}, format="json")
    assert credentials_retrieve(user=user_a).password == "  spaced out  "


def test_replacing_credentials_resets_the_status_to_unchecked(client_a, user_a, account_a):
    account_a.status = CredentialStatus.AUTH_FAILED
    account_a.save()
    data = client_a.put("/api/credentials/", STORE, format="json").json()
    assert data["status"] == CredentialStatus.UNCHECKED
    assert data["check"]["ok"] is True


def test_a_failed_run_message_does_not_carry_secrets_into_the_runs_api(client_a, user_a):
    # Guard for the API, not the scraper: whatever a run stored is returned as is, minus forensics.
    run = make_run(user_a, status=RunStatus.FAILED, error_html="<input value=secret>", error_url="http://x/")
    data = client_a.get(f"/api/runs/{run.pk}/").json()
    assert "forensics" not in data
    assert "secret" not in json.dumps(data)


@pytest.fixture
def portal_login(monkeypatch):
    """The live login (a browser against the portal, tested with the scraper) replaced by its verdict."""
    calls = []

    def install(ok: bool, code: str, message: str):
        def fake(*, user):
            calls.append(user)
            return LoginCheck(ok=ok, code=code, message=message)

        monkeypatch.setattr(workorders.services, "portal_test_login", fake)
        return calls

    return install


def test_a_passing_connection_test_resumes_a_schedule_that_paused_itself(client_a, user_a, account_a, portal_login):
    user_a.schedule_enabled, user_a.schedule_paused_reason = False, "auth_failed"
    user_a.save()
    calls = portal_login(True, "ok", "The portal accepted your login.")
    response = client_a.post("/api/credentials/test/")
    assert response.json() == {
        "ok": True,
        "code": "ok",
        "message": "The portal accepted your login.",
        "schedule_resumed": True,
    }
    assert calls == [user_a]
    user_a.refresh_from_db()
    assert user_a.schedule_enabled


def test_a_rejected_connection_test_is_reported_and_resumes_nothing(client_a, user_a, account_a, portal_login):
    user_a.schedule_enabled, user_a.schedule_paused_reason = False, "auth_failed"
    user_a.save()
    portal_login(False, "auth_failed", "The portal rejected this password.")
    response = client_a.post("/api/credentials/test/")
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert (response.json()["code"], response.json()["schedule_resumed"]) == ("auth_failed", False)
    user_a.refresh_from_db()
    assert not user_a.schedule_enabled


def test_a_passing_test_leaves_a_pause_the_user_chose(client_a, user_a, account_a, portal_login):
    user_a.schedule_enabled = False
    user_a.save()
    portal_login(True, "ok", "ok")
    assert client_a.post("/api/credentials/test/").json()["schedule_resumed"] is False


def test_an_error_report_of_the_credentials_endpoint_would_hide_the_posted_login(client_a):
    from django.views.debug import SafeExceptionReporterFilter

    response = client_a.post("/api/credentials/", STORE, format="multipart")

    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["base_url"] == STORE["base_url"]
    assert USERNAME not in shown.values() and PASSWORD not in shown.values()
