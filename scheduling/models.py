from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    MANUAL = "manual", "Sync now"
    CATCH_UP = "catch_up", "Catch-up"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    MISSED = "missed", "Missed"
    INTERRUPTED = "interrupted", "Interrupted"


class Phase(models.TextChoices):
    QUEUED = "queued", "Waiting for a browser"
    LOGIN = "login", "Logging in"
    NAVIGATION = "navigation", "Opening work orders"
    EXTRACTION = "extraction", "Reading work orders"
    SAVING = "saving", "Saving"
    DONE = "done", "Done"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class ScrapeRun(models.Model):
    """One scrape of one user's portal: what started it, how far it got, what it found."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scrape_runs")
    trigger = models.CharField(max_length=16, choices=Trigger)
    # The top of the hour (UTC instant) a scheduled or catch-up run belongs to; None for Sync now.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus, default=RunStatus.QUEUED)
    phase = models.CharField(max_length=16, choices=Phase, default=Phase.QUEUED)
    # Progress inside the extraction phase.
    page = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    rows_found = models.PositiveIntegerField(default=0)
    # Outcome counts.
    found_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    delisted_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True, default="", help_text="host:pid that ran it")
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    # Operator forensics for a failed run (staff only): where it stopped and what it saw.
    error_url = models.URLField(max_length=1000, blank=True, default="")
    error_screenshot = models.BinaryField(null=True, blank=True, editable=False)
    error_html = models.TextField(blank=True, default="", editable=False)

    class Meta:
        constraints = [
            # A restart, a retry or a second scheduler can never scrape the same hour twice.
            models.UniqueConstraint(
                fields=["user", "scheduled_for"],
                condition=models.Q(scheduled_for__isnull=False),
                name="scraperun_one_per_user_hour",
            )
        ]
        indexes = [
            models.Index(fields=["user", "-queued_at"]),
            models.Index(fields=["status"]),
        ]
        ordering = ["-queued_at", "-pk"]

    def __str__(self) -> str:
        return f"run {self.pk} user={self.user_id} {self.trigger} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def lateness(self) -> timedelta | None:
        """How long after its scheduled instant the run started (None: not scheduled or not started)."""
        if self.scheduled_for and self.started_at:
            return self.started_at - self.scheduled_for
        return None

    def as_event(self) -> dict:
        """The run as pushed to the user's progress group and returned by the API: no forensics."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.pk,
            "trigger": self.trigger,
            "scheduled_for": iso(self.scheduled_for),
            "status": self.status,
            "phase": self.phase,
            "phase_label": Phase(self.phase).label,
            "page": self.page,
            "page_count": self.page_count,
            "rows_found": self.rows_found,
            "counts": {
                "found": self.found_count,
                "created": self.created_count,
                "updated": self.updated_count,
                "unchanged": self.unchanged_count,
                "delisted": self.delisted_count,
                "failed": self.failed_count,
            },
            "queued_at": iso(self.queued_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_seconds": self.duration.total_seconds() if self.duration else None,
            "error_code": self.error_code,
            "error_message": self.error_message,
        }


def progress_group_name(user_id: int) -> str:
    """The channel-layer group a user's run events go to (the web consumer joins it)."""
    return f"progress.user.{user_id}"


class SchedulerInstance(models.Model):
    """One running ``runscheduler`` process and its latest heartbeat (GET /healthz reads these)."""

    class Role(models.TextChoices):
        ACTIVE = "active", "Active"
        STANDBY = "standby", "Hot standby"
        STOPPED = "stopped", "Stopped"

    instance_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=Role, default=Role.STANDBY)
    started_at = models.DateTimeField()
    last_beat_at = models.DateTimeField()
    jobs_scheduled = models.PositiveIntegerField(default=0)
    next_fire_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_beat_at"]

    def __str__(self) -> str:
        return f"scheduler {self.host}:{self.pid} {self.role}"

    def beat_age(self, *, now: datetime) -> timedelta:
        return now - self.last_beat_at


class SchedulerNotice(models.Model):
    """A change the running scheduler must apply, for databases without LISTEN/NOTIFY (SQLite).

    Written in the same transaction as the change; the scheduler reads rows newer than the last
    one it saw every half second and deletes old ones. PostgreSQL uses NOTIFY instead.
    """

    kind = models.CharField(max_length=16)  # "user" or "run"
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"notice {self.kind}:{self.object_id}"
