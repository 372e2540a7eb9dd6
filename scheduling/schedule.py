"""A user's hourly schedule as an APScheduler trigger, and the fire times it gives.

The scheduler's jobs and every "next run" shown to people come from ``user_trigger``, so what
the page promises is what the scheduler does.
"""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from accounts.models import User


def user_trigger(user: User) -> CronTrigger:
    """CronTrigger(minute=0) in the user's zone (plus hour/day_of_week when they set active hours)."""
    return CronTrigger(timezone=user.zone, **user.cron_fields())


def next_fire_times(*, user: User, now: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` instants the user's job fires after ``now``, in the user's zone.

    Empty when the schedule is paused. Fire times are strictly after ``now``: at exactly 14:00:00
    the 14:00 run is the current one, and the next is 15:00.
    """
    if not user.schedule_enabled:
        return []
    trigger = user_trigger(user)
    times: list[datetime] = []
    previous = None
    cursor = now
    while len(times) < count:
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None:
            break
        if fire > now:
            times.append(fire)
        previous = fire
        cursor = fire
    return times
