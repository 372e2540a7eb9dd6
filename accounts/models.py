from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.timezones import validate_timezone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_weekdays(value: str) -> None:
    days = [d for d in value.split(",") if d]
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown:
        raise ValidationError(
            "Unknown weekday %(days)s: use mon, tue, wed, thu, fri, sat, sun.",
            code="invalid_weekdays",
            params={"days": ", ".join(unknown)},
        )


class User(AbstractUser):
    """A field-service user. Their schedule preferences live here; the scheduler reads them."""

    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    schedule_enabled = models.BooleanField(default=True, help_text="Paused users keep their data but are not scraped.")
    # Set when the system paused the schedule itself (e.g. "auth_failed"); empty for a user pause.
    schedule_paused_reason = models.CharField(max_length=32, blank=True, default="")
    # Optional active hours, inclusive, in the user's zone: 7 and 18 run at 7:00 … 18:00.
    active_from_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    active_until_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    # Comma-separated APScheduler day names ("mon,tue"); empty means every day.
    active_weekdays = models.CharField(max_length=32, blank=True, default="", validators=[validate_weekdays])

    def clean(self) -> None:
        super().clean()
        if (self.active_from_hour is None) != (self.active_until_hour is None):
            raise ValidationError({"active_until_hour": "Give both the first and the last active hour, or neither."})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def weekday_list(self) -> list[str]:
        return [d for d in self.active_weekdays.split(",") if d]

    def cron_fields(self) -> dict[str, str]:
        """The CronTrigger fields for this user's hourly schedule (the zone is passed apart).

        Only ``minute`` when the user runs every hour of every day; ``hour`` and ``day_of_week``
        appear only when they set active hours or weekdays.
        """
        fields = {"minute": "0"}
        if self.active_from_hour is not None and self.active_until_hour is not None:
            start, end = self.active_from_hour, self.active_until_hour
            # Cron ranges do not wrap, so 22-6 becomes 22-23,0-6.
            fields["hour"] = f"{start}-{end}" if start <= end else f"{start}-23,0-{end}"
        if self.weekday_list:
            fields["day_of_week"] = ",".join(self.weekday_list)
        return fields
