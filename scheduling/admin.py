from django.contrib import admin

from scheduling.models import ScrapeRun


@admin.register(ScrapeRun)
class ScrapeRunAdmin(admin.ModelAdmin):
    """Read-only run history for operators."""

    list_display = (
        "pk",
        "user",
        "trigger",
        "scheduled_for",
        "status",
        "phase",
        "found_count",
        "error_code",
        "queued_at",
    )
    list_filter = ("status", "trigger", "error_code")
    search_fields = ("user__username",)
    date_hierarchy = "queued_at"
    list_select_related = ("user",)
    exclude = ("error_screenshot",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ScrapeRun._meta.fields if f.name != "error_screenshot"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
