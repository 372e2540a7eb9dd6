"""Every endpoint answers only about the requesting user: another user's things are a 404 or
simply absent, and writes land on the requester only."""

import pytest
from rest_framework.test import APIClient

from scheduling.models import RunStatus, ScrapeRun
from tests.factories import make_run, make_work_order

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/work-orders/"),
    ("get", "/api/work-orders/1/"),
    ("get", "/api/runs/"),
    ("get", "/api/runs/1/"),
    ("post", "/api/sync-now/"),
    ("get", "/api/schedule/"),
    ("patch", "/api/schedule/"),
    ("get", "/api/schedule/next-runs/"),
    ("get", "/api/credentials/"),
    ("put", "/api/credentials/"),
    ("post", "/api/credentials/"),
    ("delete", "/api/credentials/"),
    ("post", "/api/credentials/test/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_endpoint_refuses_anonymous_requests(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_it_never_shows_another_users_work_order(client_a, user_b, account_b):
    theirs = make_work_order(user_b, title="Bob's boiler")
    assert client_a.get(f"/api/work-orders/{theirs.pk}/").status_code == 404
    listing = client_a.get("/api/work-orders/", {"search": "boiler"}).json()
    assert listing["count"] == 0


def test_the_work_order_list_holds_only_the_users_own(client_a, user_a, account_a, user_b, account_b):
    mine = make_work_order(user_a)
    make_work_order(user_b)
    listing = client_a.get("/api/work-orders/").json()
    assert [row["id"] for row in listing["results"]] == [mine.pk]
    assert client_a.get(f"/api/work-orders/{mine.pk}/").status_code == 200


def test_it_never_shows_another_users_run(client_a, user_a, user_b):
    mine = make_run(user_a)
    theirs = make_run(user_b, status=RunStatus.FAILED, error_message="Bob's portal is down")
    assert client_a.get(f"/api/runs/{theirs.pk}/").status_code == 404
    assert [row["id"] for row in client_a.get("/api/runs/").json()["results"]] == [mine.pk]


def test_staff_still_see_only_their_own_runs_through_the_api(client_a, user_a, user_b):
    user_a.is_staff = True
    user_a.save()
    theirs = make_run(user_b)
    assert client_a.get(f"/api/runs/{theirs.pk}/").status_code == 404


def test_changing_the_schedule_changes_only_the_requester(client_a, user_a, user_b):
    response = client_a.patch("/api/schedule/", {"timezone": "Europe/Berlin", "schedule_enabled": False}, format="json")
    assert response.status_code == 200
    user_a.refresh_from_db()
    user_b.refresh_from_db()
    assert (user_a.timezone, user_a.schedule_enabled) == ("Europe/Berlin", False)
    assert (user_b.timezone, user_b.schedule_enabled) == ("Asia/Kolkata", True)


def test_the_schedule_read_is_the_requesters(client_a, client_b):
    assert client_a.get("/api/schedule/").json()["timezone"] == "America/New_York"
    assert client_b.get("/api/schedule/").json()["timezone"] == "Asia/Kolkata"


def test_credentials_are_read_and_replaced_only_for_the_requester(client_a, user_a, user_b, account_b):
    assert client_a.get("/api/credentials/").status_code == 404  # alice has none; bob's are not hers
    response = client_a.put(
        "/api/credentials/",
        {"portal": "demo", "base_url": "http://portal.example/", "username": "alice", "password": "pw-alice"},
        format="json",
    )
    assert response.status_code == 200
    account_b.refresh_from_db()
    assert account_b.base_url == "http://127.0.0.1:8000/demo-portal/"
    assert user_a.portal_account.base_url == "http://portal.example/"


def test_clearing_credentials_clears_only_the_requesters(client_a, account_a, account_b):
    assert client_a.delete("/api/credentials/").status_code == 204
    account_a.refresh_from_db()
    account_b.refresh_from_db()
    assert not account_a.has_secrets
    assert account_b.has_secrets


def test_sync_now_queues_a_run_for_the_requester_only(client_a, user_a, account_a, user_b, account_b):
    response = client_a.post("/api/sync-now/")
    assert response.status_code == 202
    assert ScrapeRun.objects.get(pk=response.json()["id"]).user == user_a
    assert not ScrapeRun.objects.filter(user=user_b).exists()


def test_another_users_run_in_progress_does_not_block_sync_now(client_a, account_a, user_b):
    make_run(user_b, status=RunStatus.RUNNING)
    assert client_a.post("/api/sync-now/").status_code == 202
