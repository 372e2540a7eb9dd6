from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "timezone", "schedule_enabled", "schedule_paused_reason", "is_staff")
    list_filter = ("schedule_enabled", "is_staff", "is_active")
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
                )
            },
        ),
    )
