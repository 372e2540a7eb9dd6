"""Progress events on the channel layer: throttled, forced for phases and the end, never fatal."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from scheduling import progress
from scheduling.models import RunStatus, progress_group_name
from tests.factories import make_run, make_user
from tests.workorders.conftest import running_run
from workorders.services import work_orders_sync

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def group_listener(settings):
    """A channel subscribed to a user's progress group on the in-memory layer."""
    settings.CHANNEL_LAYERS = IN_MEMORY

    def listen(user_id: int):
        layer = get_channel_layer()
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(progress_group_name(user_id), channel)

        def received(wait: float = 0.05) -> list[dict]:
            messages = []
            while True:
                try:
                    messages.append(async_to_sync(_receive_within)(layer, channel, wait))
                except TimeoutError:
                    return messages

        return received

    return listen


async def _receive_within(layer, channel, seconds: float):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=seconds)


@pytest.mark.django_db
def test_a_burst_is_throttled_but_forced_events_always_go_out(group_listener):
    user = make_user()
    run = make_run(user, status=RunStatus.RUNNING)
    received = group_listener(user.pk)

    sent = [progress.run_progress_publish(run) for _ in range(50)]
    run.phase = "saving"
    forced = progress.run_progress_publish(run, force=True)

    assert sent.count(True) == 1
    assert forced
    events = received(wait=0.5)
    assert [e["type"] for e in events] == ["run.progress", "run.progress"]
    assert events[-1]["run"]["phase"] == "saving"
    assert events[-1]["run"]["id"] == run.pk
    assert "error_html" not in events[-1]["run"]


@pytest.mark.django_db
def test_a_step_inside_the_interval_is_sent_when_the_interval_ends(group_listener, settings):
    settings.PROGRESS_PUBLISH_INTERVAL = 0.2
    user = make_user()
    run = make_run(user, status=RunStatus.RUNNING, phase="extraction")
    received = group_listener(user.pk)

    for page in (1, 2, 3):
        run.page = page
        progress.run_progress_publish(run)

    events = received(wait=2)
    assert [e["run"]["page"] for e in events] == [1, 3]  # page 2 was replaced by page 3, not lost


@pytest.mark.django_db
def test_a_forced_event_supersedes_a_waiting_step(group_listener, settings):
    settings.PROGRESS_PUBLISH_INTERVAL = 0.2
    user = make_user()
    run = make_run(user, status=RunStatus.RUNNING, phase="extraction")
    received = group_listener(user.pk)

    run.page = 1
    progress.run_progress_publish(run)
    run.page = 2
    progress.run_progress_publish(run)
    run.status, run.phase = RunStatus.SUCCEEDED, "done"
    progress.run_progress_publish(run, force=True)

    events = received(wait=0.5)
    assert [(e["run"]["page"], e["run"]["status"]) for e in events] == [(1, "running"), (2, "succeeded")]


@pytest.mark.django_db
def test_a_channel_layer_that_is_down_does_not_raise(monkeypatch, caplog):
    class DownLayer:
        async def group_send(self, group, message):
            raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(progress, "get_channel_layer", lambda: DownLayer())
    run = make_run(make_user(), status=RunStatus.RUNNING)

    assert progress.run_progress_publish(run, force=True) is False
    assert "progress publish failed" in caplog.text


@pytest.mark.browser
def test_a_sync_publishes_each_phase_page_progress_and_the_final_state(demo_portal, group_listener, settings):
    settings.PROGRESS_PUBLISH_INTERVAL = 0  # keep every page step, to see them all
    setup = demo_portal(count=7, page_size=3)
    received = group_listener(setup.user.pk)

    run = work_orders_sync(run=running_run(setup.user))

    events = [e["run"] for e in received()]
    phases = [e["phase"] for e in events]
    assert phases[:3] == ["login", "navigation", "extraction"]
    assert [e["page"] for e in events if e["phase"] == "extraction"][-3:] == [1, 2, 3]
    assert [e["rows_found"] for e in events if e["phase"] == "extraction"][-1] == 7
    assert "saving" in phases
    assert events[-1]["status"] == RunStatus.SUCCEEDED == run.status
    assert events[-1]["counts"]["created"] == 7
