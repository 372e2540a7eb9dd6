import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from credentials.models import CredentialStatus
from scheduling.models import Phase, RunStatus, ScrapeRun, Trigger, progress_group_name
from tests.factories import make_run

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 3, 14, 0, 5, tzinfo=UTC)


@pytest.fixture
def failed_run(user_a):
    return make_run(
        user_a,
        trigger=Trigger.SCHEDULED,
        scheduled_for=START.replace(second=0),
        status=RunStatus.FAILED,
        phase=Phase.EXTRACTION,
        started_at=START,
        finished_at=START + timedelta(seconds=42),
        error_code="layout_changed",
        error_message="The portal's work order list changed its layout.",
        error_url="http://127.0.0.1:8000/demo-portal/orders/",
        error_html="<html>changed</html>",
        error_screenshot=b"\x89PNG fake",
    )


def test_a_run_is_returned_exactly_as_the_websocket_pushes_it(client_a, failed_run):
    data = client_a.get(f"/api/runs/{failed_run.pk}/").json()
    assert data == failed_run.as_event()
    assert data["duration_seconds"] == 42.0
    assert data["error_code"] == "layout_changed"


def test_forensics_are_for_staff_only(client_a, user_a, failed_run):
    assert "forensics" not in client_a.get(f"/api/runs/{failed_run.pk}/").json()
    user_a.is_staff = True
    user_a.save()
    forensics = client_a.get(f"/api/runs/{failed_run.pk}/").json()["forensics"]
    assert forensics == {
        "error_url": "http://127.0.0.1:8000/demo-portal/orders/",
        "error_html": "<html>changed</html>",
        "error_screenshot_png_base64": base64.b64encode(b"\x89PNG fake").decode(),
    }


def test_the_run_list_has_no_forensics_even_for_staff(client_a, user_a, failed_run):
    user_a.is_staff = True
    user_a.save()
    (row,) = client_a.get("/api/runs/").json()["results"]
    assert "forensics" not in row
    assert "error_html" not in row


def test_the_run_list_is_newest_first(client_a, user_a):
    older = make_run(user_a, queued_at=START, status=RunStatus.SUCCEEDED)
    newer = make_run(user_a, queued_at=START + timedelta(hours=1))
    assert [r["id"] for r in client_a.get("/api/runs/").json()["results"]] == [newer.pk, older.pk]


def test_sync_now_answers_202_with_the_queued_run(client_a, user_a, account_a):
    response = client_a.post("/api/sync-now/")
    assert response.status_code == 202
    run = ScrapeRun.objects.get(user=user_a)
    assert response.json() == run.as_event()
    assert (run.trigger, run.status) == (Trigger.MANUAL, RunStatus.QUEUED)


def test_sync_now_tells_the_users_open_pages_at_once(client_a, user_a, account_a):
    async def listen_while_posting() -> tuple[int, dict]:
        # One event loop throughout: the Redis pub/sub layer keeps its subscriptions per loop.
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(progress_group_name(user_a.pk), channel)
        response = await sync_to_async(client_a.post)("/api/sync-now/")
        return response.json()["id"], await asyncio.wait_for(layer.receive(channel), timeout=10)

    run_id, message = async_to_sync(listen_while_posting)()
    assert message["type"] == "run.progress"
    assert (message["run"]["id"], message["run"]["status"]) == (run_id, "queued")


def test_sync_now_while_a_run_is_in_progress_is_a_409_with_a_code(client_a, user_a, account_a):
    make_run(user_a, status=RunStatus.RUNNING)
    response = client_a.post("/api/sync-now/")
    assert response.status_code == 409
    assert response.json() == {
        "code": "run_in_progress",
        "detail": "A sync is already in progress — it will finish shortly.",
    }


def test_sync_now_without_credentials_is_a_409_credentials_invalid(client_a):
    response = client_a.post("/api/sync-now/")
    assert response.status_code == 409
    assert response.json()["code"] == "credentials_invalid"
    assert "No portal credentials are saved yet" in response.json()["detail"]


def test_sync_now_with_rejected_credentials_is_refused(client_a, account_a):
    account_a.status = CredentialStatus.AUTH_FAILED
    account_a.save()
    response = client_a.post("/api/sync-now/")
    assert (response.status_code, response.json()["code"]) == (409, "credentials_invalid")


def test_sync_now_only_accepts_post(client_a, account_a):
    assert client_a.get("/api/sync-now/").status_code == 405
    assert not ScrapeRun.objects.exists()
