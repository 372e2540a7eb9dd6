from django.contrib import admin

from workorders.models import WorkOrder


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "user", "status", "priority", "site", "portal_updated_at", "delisted_at")
    list_filter = ("status", "priority", ("delisted_at", admin.EmptyFieldListFilter))
    search_fields = ("number", "title", "site", "external_id", "user__username")
    readonly_fields = [f.name for f in WorkOrder._meta.fields]
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False
