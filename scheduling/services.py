"""What the web app, the API and the admin ask of the scheduler: its state for a user, "Sync now",
and the auto-pause / resume after the portal rejects a password.

Every write here ends with ``scheduler_notify``, which reaches the running scheduler after the
transaction commits (see scheduling/notify.py), so the database stays the only source of truth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from accounts.models import User
from credentials.models import CredentialStatus, PortalAccount
from credentials.services import validate_credentials
from scheduling.models import ACTIVE_STATUSES, RunStatus, ScrapeRun, Trigger
from scheduling.notify import scheduler_notify
from scheduling.schedule import next_fire_times

logger = logging.getLogger(__name__)

AUTH_FAILED = "auth_failed"
# Consecutive runs the portal must reject before the schedule pauses itself.
AUTO_PAUSE_AFTER = 2

STATE_MESSAGES = {
    "paused": "Your hourly sync is paused.",
    "auto_paused": (
        "Your hourly sync paused itself because the portal rejected your password twice in a row — "
        "enter your current portal login and test it to resume."
    ),
}


class SyncRefused(Exception):
    """A "Sync now" that cannot start; ``code`` is stable (run_in_progress, credentials_invalid)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class ScheduleState:
    """What the user's schedule will do.

    ``state``: "active", "paused" (the user paused it), "auto_paused" (the system paused it after
    rejected passwords) or "needs_credentials" (pre-flight fails: nothing is scheduled).
    ``reason`` is for people and empty when active; ``next_run`` is None unless active.
    """

    state: str
    reason: str
    next_run: datetime | None
    next_runs: list[datetime] = field(default_factory=list)
    zone_name: str = "UTC"


def schedule_state(*, user: User, now: datetime) -> ScheduleState:
    zone_name = user.timezone
    if not user.schedule_enabled:
        state = "auto_paused" if user.schedule_paused_reason == AUTH_FAILED else "paused"
        return ScheduleState(state=state, reason=STATE_MESSAGES[state], next_run=None, zone_name=zone_name)
    check = validate_credentials(user)
    if not check.ok and check.code != "rejected":
        reason = f"Invalid credentials — cannot schedule: {check.message}"
        return ScheduleState(state="needs_credentials", reason=reason, next_run=None, zone_name=zone_name)
    runs = next_fire_times(user=user, now=now, count=5)
    return ScheduleState(
        state="active", reason="", next_run=runs[0] if runs else None, next_runs=runs, zone_name=zone_name
    )


def user_is_schedulable(user: User) -> bool:
    """The pre-flight: a job exists for this user exactly when this is true.

    A password the portal rejected once stays scheduled: the next hour tries again, and a second
    rejection in a row pauses the schedule (schedule_auto_pause_if_rejected).
    """
    if not user.schedule_enabled:
        return False
    check = validate_credentials(user)
    return check.ok or check.code == "rejected"


def run_sync_now(*, user: User, now: datetime) -> ScrapeRun:
    """Queue a manual run for the running scheduler's workers; the hourly schedule does not move.

    Raises SyncRefused("credentials_invalid") when pre-flight fails and
    SyncRefused("run_in_progress") while a run of this user is queued or running.
    """
    check = validate_credentials(user)
    if not check.ok:
        raise SyncRefused("credentials_invalid", check.message)
    with transaction.atomic():
        # Locking the user row serialises two "Sync now" presses of the same user.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if ScrapeRun.objects.filter(user=user, status__in=ACTIVE_STATUSES).exists():
            raise SyncRefused("run_in_progress", "A sync is already in progress — it will finish shortly.")
        run = ScrapeRun.objects.create(user=user, trigger=Trigger.MANUAL, status=RunStatus.QUEUED, queued_at=now)
        scheduler_notify(kind="run", object_id=run.pk)
    logger.info("sync now queued user_id=%s run_id=%s", user.pk, run.pk)
    return run


def schedule_auto_pause_if_rejected(*, user_id: int) -> bool:
    """Pause the user's schedule after AUTO_PAUSE_AFTER consecutive auth_failed runs.

    Called by the workers after each finished run. Returns True when it paused the schedule now.
    """
    recent = list(
        ScrapeRun.objects.filter(user_id=user_id, status__in=(RunStatus.SUCCEEDED, RunStatus.FAILED))
        .order_by("-finished_at", "-pk")
        .values_list("error_code", flat=True)[:AUTO_PAUSE_AFTER]
    )
    if len(recent) < AUTO_PAUSE_AFTER or any(code not in {AUTH_FAILED, "credentials_invalid"} for code in recent):
        return False  # the common case, after every successful run: no second query
    # After one rejection the account is flagged, and the sync's pre-flight then refuses the same
    # password without asking the portal (credentials_invalid): that is the same rejection again.
    # A credentials_invalid for another reason (undecryptable, ...) leaves the account unflagged.
    if "credentials_invalid" in recent and not (
        PortalAccount.objects.filter(user_id=user_id, status=CredentialStatus.AUTH_FAILED).exists()
    ):
        return False
    with transaction.atomic():
        paused = User.objects.filter(pk=user_id, schedule_enabled=True).update(
            schedule_enabled=False, schedule_paused_reason=AUTH_FAILED
        )
        if paused:
            scheduler_notify(kind="user", object_id=user_id)
    if paused:
        logger.warning("schedule auto-paused after rejected passwords user_id=%s", user_id)
    return bool(paused)


def schedule_resume_after_login_check(*, user: User, now: datetime, ok: bool = True) -> bool:
    """After a live login check of newly saved credentials: resume a schedule that paused itself.

    Only an auto-pause is undone (a pause the user chose stays). Call it wherever credentials are
    saved and tested (the credentials page's "Test connection", the API). Returns True if resumed.
    """
    if not ok or user.schedule_enabled or user.schedule_paused_reason != AUTH_FAILED:
        return False
    with transaction.atomic():
        resumed = User.objects.filter(pk=user.pk, schedule_enabled=False, schedule_paused_reason=AUTH_FAILED).update(
            schedule_enabled=True, schedule_paused_reason=""
        )
        if resumed:
            scheduler_notify(kind="user", object_id=user.pk)
    if resumed:
        user.schedule_enabled = True
        user.schedule_paused_reason = ""
        logger.info("schedule resumed after a passing login check user_id=%s at=%s", user.pk, now.isoformat())
    return bool(resumed)
