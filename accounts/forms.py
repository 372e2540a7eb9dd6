"""Forms for a user's own settings."""

from __future__ import annotations

from django import forms

from accounts.models import WEEKDAYS, User
from accounts.services import user_schedule_update
from accounts.timezones import timezone_choices

WEEKDAY_CHOICES = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
]
HOUR_CHOICES = [("", "—")] + [(str(h), f"{h:02d}:00") for h in range(24)]


def _hour_field(label: str, help_text: str) -> forms.TypedChoiceField:
    """An optional hour of the day in the user's zone: an int 0-23, or None when left empty."""
    return forms.TypedChoiceField(
        label=label, choices=HOUR_CHOICES, coerce=int, empty_value=None, required=False, help_text=help_text
    )


class WeekdayCheckboxesMixin:
    """For a user ModelForm with an ``active_weekdays`` MultipleChoiceField: ticks the saved days
    and cleans the ticked ones back to the model's comma string."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["active_weekdays"] = self.instance.weekday_list

    def clean_active_weekdays(self) -> str:
        chosen = set(self.cleaned_data.get("active_weekdays") or [])
        # Every day ticked is the same schedule as none: store the canonical "" for it.
        if chosen == set(WEEKDAYS):
            return ""
        return ",".join(day for day in WEEKDAYS if day in chosen)


class ScheduleSettingsForm(WeekdayCheckboxesMixin, forms.ModelForm):
    """Time zone and when the hourly sync runs.

    Use: ``form = ScheduleSettingsForm(request.POST, instance=request.user)``; when valid,
    ``form.save()`` (or ``user_schedule_update(user=..., **form.cleaned_data)``).
    ``active_weekdays`` is shown as one checkbox per day and stored as the model's comma string
    ("mon,tue"); no box ticked means every day. An unknown zone is an ordinary field error.
    """

    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        error_messages={
            "invalid_choice": "“%(value)s” is not a time zone we know. Pick an IANA zone such as America/New_York."
        },
    )
    schedule_enabled = forms.BooleanField(
        label="Sync my work orders every hour", required=False, help_text="Untick to pause the hourly sync."
    )
    active_from_hour = _hour_field("First active hour", "Leave both hours empty to sync around the clock.")
    active_until_hour = _hour_field(
        "Last active hour",
        "Inclusive: 7 and 18 sync at 7:00, 8:00 … 18:00. A last hour before the first wraps past midnight.",
    )
    active_weekdays = forms.MultipleChoiceField(
        label="Active days",
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="No day ticked means every day.",
    )

    class Meta:
        model = User
        fields = ("timezone", "schedule_enabled", "active_from_hour", "active_until_hour", "active_weekdays")

    def save(self, commit: bool = True) -> User:
        """Save through user_schedule_update (the one writer of schedule preferences)."""
        if not commit:
            return super().save(commit=False)
        return user_schedule_update(user=self.instance, **self.cleaned_data)
