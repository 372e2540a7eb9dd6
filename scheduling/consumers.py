"""Live run progress for the dashboard, over a websocket at ``ws/progress/``.

Protocol (docs/api.md): on connect the server sends ``{"type": "state", "run": ..., "schedule": ...}``
(the truth now, so a page that connects mid-run or reconnects after a drop is right), then one
``{"type": "progress", "run": ...}`` per ``run.progress`` message published to the user's group
(scheduling.progress.run_progress_publish, from the scheduler process or the embedded one).
Anonymous connections are accepted only to be closed with code 4401, so the client knows to stop
reconnecting; a foreign Origin is refused at the handshake by AllowedHostsOriginValidator.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from accounts.models import User
from scheduling.display import format_next_run
from scheduling.models import ACTIVE_STATUSES, progress_group_name
from scheduling.services import schedule_state
from workorders.selectors import scrape_run_list

logger = logging.getLogger(__name__)

# Application close codes (4000-4999): 4401 = not logged in (mirrors HTTP 401).
CLOSE_UNAUTHENTICATED = 4401


class ProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first: a close before accept becomes an HTTP 403 and the code would be lost.
            logger.info("progress socket refused reason=anonymous")
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # Join before reading the state: an event published in between is then delivered after the
        # state message (at worst a repeat of what the state already shows), never lost.
        group = progress_group_name(user.pk)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups = [group]  # websocket_disconnect leaves the groups listed here
        await self.accept()
        await self.send_json(await current_state(user_id=user.pk))

    async def receive_json(self, content: Any, **kwargs) -> None:
        # The stream is one-way; a client message is ignored rather than treated as an error.
        return None

    async def run_progress(self, event: dict) -> None:
        """A ``run.progress`` group message. The layer may hand the same dict to every member of
        the group, so it is copied, never changed."""
        await self.send_json({"type": "progress", "run": dict(event["run"])})


@database_sync_to_async
def current_state(*, user_id: int) -> dict:
    return state_message(user=User.objects.get(pk=user_id), now=timezone.now())


def state_message(*, user: User, now: datetime) -> dict:
    """The ``state`` message: the run to show (the active one, else the latest; None if the user
    never ran) and the schedule summary."""
    runs = scrape_run_list(user=user)
    run = runs.filter(status__in=ACTIVE_STATUSES).first() or runs.first()
    schedule = schedule_summary(user=user, now=now)
    next_run = schedule["next_run"]
    schedule["next_run"] = next_run.isoformat() if next_run else None
    return {"type": "state", "run": run.as_event() if run else None, "schedule": schedule}


def schedule_summary(*, user: User, now: datetime) -> dict:
    """State, reason, the next run (an aware datetime in the user's zone, or None unless the
    schedule is active) and that run in words ("Today at 2:00 PM"; "" without one)."""
    state = schedule_state(user=user, now=now)
    next_run = state.next_run
    return {
        "state": state.state,
        "reason": state.reason,
        "next_run": next_run,
        "next_run_text": format_next_run(next_run, now=now, tz=user.zone) if next_run else "",
        "zone": state.zone_name,
    }
