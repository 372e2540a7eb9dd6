"""Operator views of the scheduler: read-only run history (with the forensics of a failed run)
and the scheduler processes' heartbeats. Nothing here changes a run."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from scheduling.models import SchedulerInstance, ScrapeRun
from workorders.services import strip_password_values

FORENSIC_FIELDS = ("error_url", "screenshot", "page_html")


def _image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "application/octet-stream"


@admin.register(ScrapeRun)
class ScrapeRunAdmin(admin.ModelAdmin):
    """Read-only run history. The admin is staff-only, and the screenshot is served by a view
    that checks the same view permission as the page."""

    list_display = (
        "pk",
        "user",
        "trigger",
        "scheduled_for",
        "status",
        "phase",
        "found_count",
        "created_count",
        "updated_count",
        "delisted_count",
        "failed_count",
        "error_code",
        "queued_at",
        "duration_display",
    )
    list_filter = ("status", "trigger", "phase", "error_code", ("scheduled_for", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__email", "error_code", "error_message")
    date_hierarchy = "queued_at"
    list_select_related = ("user",)
    fieldsets = (
        (None, {"fields": ("user", "trigger", "scheduled_for", "status", "phase", "worker")}),
        ("Progress", {"fields": ("page", "page_count", "rows_found")}),
        (
            "Outcome",
            {
                "fields": (
                    "found_count",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "delisted_count",
                    "failed_count",
                )
            },
        ),
        ("Times", {"fields": ("queued_at", "started_at", "finished_at", "duration_display")}),
        ("Error", {"fields": ("error_code", "error_message")}),
        ("Forensics (staff only)", {"fields": FORENSIC_FIELDS, "classes": ("collapse",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: ScrapeRun | None = None) -> list[str]:
        return [f.name for f in ScrapeRun._meta.fields if f.name not in {"error_screenshot", "error_html"}] + [
            "duration_display",
            "screenshot",
            "page_html",
        ]

    def get_queryset(self, request: HttpRequest):
        # The change list never needs the (large) forensics columns.
        qs = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and (match.url_name or "").endswith("changelist"):
            qs = qs.defer("error_screenshot", "error_html")
        return qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ScrapeRun | None = None) -> bool:
        return False

    @admin.display(description="Duration")
    def duration_display(self, obj: ScrapeRun) -> str:
        return f"{obj.duration.total_seconds():.1f} s" if obj.duration else "—"

    @admin.display(description="Screenshot")
    def screenshot(self, obj: ScrapeRun) -> str:
        if not obj.error_screenshot:
            return "—"
        url = reverse("admin:scheduling_scraperun_screenshot", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="Screenshot of run {}" '
            'style="max-width: 640px; border: 1px solid #ccc"></a>',
            url,
            url,
            obj.pk,
        )

    @admin.display(description="Page HTML")
    def page_html(self, obj: ScrapeRun) -> str:
        if not obj.error_html:
            return "—"
        # Defence in depth: the scraper stored the page without password values; strip them again.
        html = strip_password_values(obj.error_html)
        # Shown as escaped source, never rendered: it is a third party's page.
        return format_html(
            '<details><summary>{} characters</summary><pre style="white-space: pre-wrap; max-height: 30em; '
            'overflow: auto">{}</pre></details>',
            len(html),
            html,
        )

    def get_urls(self):
        return [
            path(
                "<int:run_id>/screenshot/",
                self.admin_site.admin_view(self.screenshot_view),
                name="scheduling_scraperun_screenshot",
            ),
            *super().get_urls(),
        ]

    def screenshot_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        run = ScrapeRun.objects.filter(pk=run_id).only("pk", "error_screenshot").first()
        if run is None or not self.has_view_permission(request, run) or not run.error_screenshot:
            raise Http404("No screenshot")
        data = bytes(run.error_screenshot)
        response = HttpResponse(data, content_type=_image_type(data))
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


@admin.register(SchedulerInstance)
class SchedulerInstanceAdmin(admin.ModelAdmin):
    """Heartbeats of the scheduler processes, newest first (GET /healthz reads the same rows)."""

    list_display = ("host", "pid", "role", "started_at", "last_beat_at", "jobs_scheduled", "next_fire_at")
    list_filter = ("role",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SchedulerInstance | None = None) -> bool:
        return False
