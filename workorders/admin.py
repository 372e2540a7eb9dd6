import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from workorders.models import WorkOrder


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Work orders as synced: read-only, because the next sync would overwrite any edit."""

    list_display = (
        "number",
        "title",
        "user",
        "status",
        "priority",
        "site",
        "trade",
        "due_at",
        "portal_updated_at",
        "last_seen_at",
        "delisted_at",
    )
    list_filter = ("status", "priority", "trade", ("delisted_at", admin.EmptyFieldListFilter))
    search_fields = ("number", "title", "site", "external_id", "user__username")
    date_hierarchy = "last_seen_at"
    list_select_related = ("user",)
    exclude = ("raw",)
    readonly_fields = [f.name for f in WorkOrder._meta.fields if f.name != "raw"] + ["raw_values"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WorkOrder | None = None) -> bool:
        return False

    @admin.display(description="Raw scraped values")
    def raw_values(self, obj: WorkOrder) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.raw, indent=2, ensure_ascii=False, sort_keys=True))
