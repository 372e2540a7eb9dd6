from django.contrib import admin

from demoportal.models import PortalUser, PortalWorkOrder


@admin.register(PortalUser)
class PortalUserAdmin(admin.ModelAdmin):
    list_display = ("username", "display_name", "page_size", "layout", "reject_login", "delay_seconds", "empty_list")
    search_fields = ("username", "display_name")
    # The hash is never shown; set passwords with `manage.py demo_seed USER --password …`.
    exclude = ("password_hash",)
    fieldsets = (
        (None, {"fields": ("username", "display_name", "company", "page_size", "session_version", "failed_logins")}),
        (
            "Fault injection",
            {
                "fields": (
                    "delay_seconds",
                    "error_500_on_page",
                    "reject_login",
                    "lockout_after",
                    "expire_session_after_page",
                    "layout",
                    "empty_list",
                )
            },
        ),
    )


@admin.register(PortalWorkOrder)
class PortalWorkOrderAdmin(admin.ModelAdmin):
    list_display = ("ref", "account", "summary", "status", "priority", "updated_at")
    list_filter = ("status", "priority", "trade")
    search_fields = ("ref", "summary", "account__username")
