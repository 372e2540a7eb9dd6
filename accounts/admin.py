from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm

from accounts.forms import ScheduleSettingsForm
from accounts.models import User


class UserAdminChangeForm(UserChangeForm):
    """Django's user change form plus the schedule fields as people see them on their settings
    page: a zone picker (an unknown zone is a field error) and one checkbox per weekday."""

    timezone = ScheduleSettingsForm.base_fields["timezone"]
    active_from_hour = ScheduleSettingsForm.base_fields["active_from_hour"]
    active_until_hour = ScheduleSettingsForm.base_fields["active_until_hour"]
    active_weekdays = ScheduleSettingsForm.base_fields["active_weekdays"]

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk is not None:
            self.initial["active_weekdays"] = self.instance.weekday_list

    clean_active_weekdays = ScheduleSettingsForm.clean_active_weekdays


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserAdminChangeForm
    list_display = (
        "username",
        "email",
        "timezone",
        "schedule_enabled",
        "schedule_paused_reason",
        "active_hours",
        "is_staff",
    )
    list_filter = ("schedule_enabled", "schedule_paused_reason", "is_staff", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "Schedule",
            {
                "fields": (
                    "timezone",
                    "schedule_enabled",
                    "schedule_paused_reason",
                    "active_from_hour",
                    "active_until_hour",
                    "active_weekdays",
                ),
                "description": "In the user's own zone. No hours and no weekday: every hour, every day.",
            },
        ),
    )

    @admin.display(description="Active hours")
    def active_hours(self, obj: User) -> str:
        hours = (
            f"{obj.active_from_hour:02d}:00-{obj.active_until_hour:02d}:00"
            if obj.active_from_hour is not None and obj.active_until_hour is not None
            else "every hour"
        )
        days = ", ".join(obj.weekday_list) if obj.weekday_list else "every day"
        return f"{hours}, {days}"
