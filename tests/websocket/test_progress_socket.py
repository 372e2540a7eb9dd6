"""The progress websocket, end to end: a websockets client against daphne serving config.asgi."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import pytest
from channels.layers import get_channel_layer
from django.utils import timezone
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed, InvalidStatus

from scheduling.models import Phase, RunStatus, progress_group_name
from scheduling.progress import run_progress_publish
from tests.factories import make_portal_account, make_run, make_user
from tests.websocket.conftest import api_post, needs_redis, next_message, open_progress_socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def publish(user_id: int, run_event: dict) -> None:
    """What the scheduler process does: a ``run.progress`` message to the user's group."""
    await get_channel_layer().group_send(progress_group_name(user_id), {"type": "run.progress", "run": run_event})


def test_on_connect_it_sends_the_current_state(asgi_server):
    user = make_user(timezone="Asia/Kolkata")
    make_portal_account(user)
    cookie = session_cookie(user)
    before = timezone.now()

    async def scenario() -> dict:
        async with await open_progress_socket(asgi_server, cookie=cookie) as ws:
            return await next_message(ws)

    message = asyncio.run(scenario())
    assert message["type"] == "state"
    assert message["run"] is None
    schedule = message["schedule"]
    assert (schedule["state"], schedule["reason"], schedule["zone"]) == ("active", "", "Asia/Kolkata")
    next_run = datetime.fromisoformat(schedule["next_run"])
    assert next_run > before
    assert next_run.utcoffset().total_seconds() == 5.5 * 3600  # given in the user's zone
    assert (next_run.minute, next_run.second) == (0, 0)
    assert re.fullmatch(r"(Today|Tomorrow) at \d{1,2}:00 (AM|PM)", schedule["next_run_text"])


def test_a_paused_schedule_is_reported_with_its_reason(asgi_server):
    user = make_user(schedule_enabled=False)
    make_portal_account(user)
    cookie = session_cookie(user)

    async def scenario() -> dict:
        async with await open_progress_socket(asgi_server, cookie=cookie) as ws:
            return await next_message(ws)

    schedule = asyncio.run(scenario())["schedule"]
    assert schedule == {
        "state": "paused",
        "reason": "Your hourly sync is paused.",
        "next_run": None,
        "next_run_text": "",
        "zone": "UTC",
    }


def test_a_reconnect_gets_the_state_as_it_is_now(asgi_server):
    user = make_user()
    make_portal_account(user)
    make_run(user, status=RunStatus.SUCCEEDED, phase=Phase.DONE, finished_at=timezone.now())
    run = make_run(user, status=RunStatus.RUNNING, phase=Phase.EXTRACTION, page=2, page_count=5, rows_found=40)
    cookie = session_cookie(user)

    async def state() -> dict:
        async with await open_progress_socket(asgi_server, cookie=cookie) as ws:
            return await next_message(ws)

    first = asyncio.run(state())
    assert first["run"] == run.as_event()
    # The connection drops; meanwhile the run finishes.
    run.status, run.phase, run.page, run.finished_at, run.created_count = (
        RunStatus.SUCCEEDED,
        Phase.DONE,
        5,
        timezone.now(),
        7,
    )
    run.save()
    second = asyncio.run(state())
    assert second["run"]["id"] == run.pk
    assert (second["run"]["status"], second["run"]["phase"], second["run"]["counts"]["created"]) == (
        "succeeded",
        "done",
        7,
    )


def test_anonymous_connections_are_closed_with_4401(asgi_server):
    async def scenario() -> ConnectionClosed:
        async with await open_progress_socket(asgi_server, cookie=None) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
            return closed.value

    closed = asyncio.run(scenario())
    assert closed.rcvd.code == 4401


def test_a_forged_session_cookie_is_anonymous(asgi_server):
    async def scenario() -> int:
        async with await open_progress_socket(asgi_server, cookie="not-a-real-session-key") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
            return closed.value.rcvd.code

    assert asyncio.run(scenario()) == 4401


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1.evil.example", None])
def test_a_foreign_or_missing_origin_is_refused_at_the_handshake(asgi_server, origin):
    cookie = session_cookie(make_user())

    async def scenario() -> None:
        await open_progress_socket(asgi_server, cookie=cookie, origin=origin)

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(scenario())
    assert refused.value.response.status_code == 403


def test_sync_now_reaches_the_users_own_socket_and_no_one_elses(asgi_server):
    """Works with either layer: the server publishes to itself (in-memory, or via Redis)."""
    alice, bob = make_user(), make_user()
    for user in (alice, bob):
        make_portal_account(user)
    alice_cookie, bob_cookie = session_cookie(alice), session_cookie(bob)
    alice_token, bob_token = (Token.objects.create(user=u).key for u in (alice, bob))

    async def scenario() -> tuple[dict, dict, int, int]:
        async with (
            await open_progress_socket(asgi_server, cookie=alice_cookie) as alice_ws,
            await open_progress_socket(asgi_server, cookie=bob_cookie) as bob_ws,
        ):
            assert (await next_message(alice_ws))["type"] == "state"
            assert (await next_message(bob_ws))["type"] == "state"
            status, bobs_run = await asyncio.to_thread(api_post, asgi_server, "/api/sync-now/", token=bob_token)
            assert status == 202, bobs_run
            bob_event = await next_message(bob_ws)
            # Bob's event has been delivered; had it gone to Alice too, it would come before hers.
            status, alices_run = await asyncio.to_thread(api_post, asgi_server, "/api/sync-now/", token=alice_token)
            assert status == 202, alices_run
            alice_event = await next_message(alice_ws)
            return bob_event, alice_event, bobs_run["id"], alices_run["id"]

    bob_event, alice_event, bobs_run_id, alices_run_id = asyncio.run(scenario())
    assert bob_event == {"type": "progress", "run": bob_event["run"]}
    assert (bob_event["run"]["id"], bob_event["run"]["status"]) == (bobs_run_id, "queued")
    assert alice_event["run"]["id"] == alices_run_id


@needs_redis
def test_events_published_by_another_process_are_delivered(asgi_server):
    user = make_user()
    run = make_run(user, status=RunStatus.RUNNING, phase=Phase.LOGIN)
    cookie = session_cookie(user)
    run.phase = Phase.EXTRACTION
    run.page, run.page_count = 3, 9
    event = run.as_event()

    async def scenario() -> list[dict]:
        async with await open_progress_socket(asgi_server, cookie=cookie) as ws:
            state = await next_message(ws)
            await publish(user.pk, event)
            return [state, await next_message(ws)]

    state, progress = asyncio.run(scenario())
    assert state["run"]["phase"] == "login"
    assert progress == {"type": "progress", "run": event}


@needs_redis
def test_another_users_events_published_elsewhere_are_not_delivered(asgi_server):
    alice, bob = make_user(), make_user()
    alices_run, bobs_run = make_run(alice), make_run(bob)
    alice_cookie, bob_cookie = session_cookie(alice), session_cookie(bob)

    async def scenario() -> tuple[dict, dict]:
        async with (
            await open_progress_socket(asgi_server, cookie=alice_cookie) as alice_ws,
            await open_progress_socket(asgi_server, cookie=bob_cookie) as bob_ws,
        ):
            await next_message(alice_ws)
            await next_message(bob_ws)
            await publish(bob.pk, bobs_run.as_event())
            assert (await next_message(bob_ws))["run"]["id"] == bobs_run.pk
            await publish(alice.pk, alices_run.as_event())
            return await next_message(alice_ws), bobs_run.as_event()

    alice_next, _ = asyncio.run(scenario())
    assert alice_next["run"]["id"] == alices_run.pk


@needs_redis
def test_the_scrapers_publisher_in_another_process_reaches_the_socket(asgi_server):
    user = make_user()
    run = make_run(user, status=RunStatus.RUNNING, phase=Phase.SAVING)
    cookie = session_cookie(user)

    async def scenario() -> dict:
        async with await open_progress_socket(asgi_server, cookie=cookie) as ws:
            await next_message(ws)
            # As the scheduler's worker threads call it: plain sync code in a thread of its own.
            assert await asyncio.to_thread(run_progress_publish, run, force=True)
            return await next_message(ws)

    assert asyncio.run(scenario())["run"] == run.as_event()


@needs_redis
@pytest.mark.slow
def test_an_idle_connection_survives_a_minute_and_still_gets_events(asgi_server):
    """channels_redis#422: with redis-py 8 and a socket timeout, idle sockets were closed after ~5 s."""
    user = make_user()
    run = make_run(user, status=RunStatus.RUNNING)
    cookie = session_cookie(user)

    async def scenario() -> dict:
        # No client pings: the connection is as idle as a background tab's.
        async with await open_progress_socket(asgi_server, cookie=cookie, ping_interval=None) as ws:
            await next_message(ws)
            await asyncio.sleep(65)
            await publish(user.pk, run.as_event())
            return await next_message(ws)

    assert asyncio.run(scenario())["run"]["id"] == run.pk
