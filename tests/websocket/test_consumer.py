"""ProgressConsumer in-process, with channels' WebsocketCommunicator and the in-memory layer."""

from __future__ import annotations

import copy

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from scheduling.consumers import ProgressConsumer
from scheduling.models import RunStatus, progress_group_name
from tests.factories import make_run, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def communicator_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ProgressConsumer.as_asgi(), "/ws/progress/")
    communicator.scope["user"] = user
    return communicator


def test_the_progress_handler_does_not_change_the_shared_event():
    """The layer may hand one dict to every consumer in the group: a handler that rewrote it in
    place (say ``event["type"] = "progress"``) would corrupt what the next consumer sees."""
    user = make_user()
    event = {"type": "run.progress", "run": make_run(user, status=RunStatus.RUNNING).as_event()}
    pristine = copy.deepcopy(event)
    sent: list[dict] = []

    async def scenario() -> None:
        consumer = ProgressConsumer()

        async def capture(content, close=False):
            sent.append(content)

        consumer.send_json = capture
        await consumer.run_progress(event)
        await consumer.run_progress(event)

    async_to_sync(scenario)()
    assert event == pristine
    assert sent == [{"type": "progress", "run": pristine["run"]}] * 2
    assert sent[0]["run"] is not event["run"]


def test_it_joins_only_the_users_own_group():
    alice, bob = make_user(), make_user()
    alices_run, bobs_run = make_run(alice), make_run(bob)

    async def scenario() -> tuple[dict, bool, dict]:
        communicator = communicator_for(alice)
        connected, _ = await communicator.connect()
        assert connected
        state = await communicator.receive_json_from()
        layer = get_channel_layer()
        await layer.group_send(progress_group_name(bob.pk), {"type": "run.progress", "run": bobs_run.as_event()})
        nothing_for_alice = await communicator.receive_nothing(timeout=0.2)
        await layer.group_send(progress_group_name(alice.pk), {"type": "run.progress", "run": alices_run.as_event()})
        progress = await communicator.receive_json_from()
        await communicator.disconnect()
        return state, nothing_for_alice, progress

    state, nothing_for_alice, progress = async_to_sync(scenario)()
    assert state["run"]["id"] == alices_run.pk
    assert nothing_for_alice
    assert progress == {"type": "progress", "run": alices_run.as_event()}


def test_the_state_shows_the_active_run_rather_than_a_newer_finished_one():
    user = make_user()
    active = make_run(user, status=RunStatus.RUNNING)
    make_run(user, status=RunStatus.MISSED)  # queued later, already over

    async def scenario() -> dict:
        communicator = communicator_for(user)
        await communicator.connect()
        state = await communicator.receive_json_from()
        await communicator.disconnect()
        return state

    assert async_to_sync(scenario)()["run"]["id"] == active.pk


def test_anonymous_is_accepted_only_to_be_closed_with_4401():
    async def scenario() -> dict:
        communicator = communicator_for(AnonymousUser())
        connected, _ = await communicator.connect()
        assert connected
        return await communicator.receive_output()

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


def test_leaving_drops_the_group_membership():
    user = make_user()

    async def scenario() -> dict:
        communicator = communicator_for(user)
        await communicator.connect()
        await communicator.receive_json_from()
        await communicator.disconnect()
        return get_channel_layer().groups

    assert progress_group_name(user.pk) not in async_to_sync(scenario)()
