from django.contrib import admin

from credentials.models import PortalAccount


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    # Never the stored values: the credentials issue adds masked username and a replace form.
    list_display = ("user", "portal", "status", "password_set_at", "key_fingerprint")
    fields = ("user", "portal", "base_url", "status", "status_message", "checked_at")
    readonly_fields = ("status", "status_message", "checked_at")
