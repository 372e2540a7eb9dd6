from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm

from accounts.forms import ScheduleSettingsForm, WeekdayCheckboxesMixin
from accounts.models import User
from credentials.admin import PortalAccountAdmin
from credentials.models import PortalAccount


class UserAdminChangeForm(WeekdayCheckboxesMixin, UserChangeForm):
    """Django's user change form plus the schedule fields as people see them on their settings
    page: a zone picker (an unknown zone is a field error) and one checkbox per weekday."""

    timezone = ScheduleSettingsForm.base_fields["timezone"]
    active_from_hour = ScheduleSettingsForm.base_fields["active_from_hour"]
    active_until_hour = ScheduleSettingsForm.base_fields["active_until_hour"]
    active_weekdays = ScheduleSettingsForm.base_fields["active_weekdays"]

    class Meta(UserChangeForm.Meta):
        model = User


class PortalAccountInline(admin.StackedInline):
    """The user's portal credentials at a glance (masked); replaced on the portal account's own page."""

    model = PortalAccount
    fk_name = "user"
    can_delete = False
    show_change_link = True
    fields = ("portal", "base_url", "masked_username", "password_set_on", "status", "status_message", "checked_at")
    readonly_fields = fields
    masked_username = PortalAccountAdmin.masked_username
    password_set_on = PortalAccountAdmin.password_set_on

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserAdminChangeForm
    inlines = (PortalAccountInline,)

    def get_inlines(self, request, obj):
        # A new user has no portal account yet: the add page stays Django's two-step form.
        return self.inlines if obj is not None else ()

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
