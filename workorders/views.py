"""The web pages: dashboard (status card, Sync now), work orders, run history and staff forensics.

Each view parses the request, calls one selector or service, and renders.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from scheduling.models import ScrapeRun
from scheduling.services import SyncRefused, run_sync_now
from workorders import selectors
from workorders.forms import WorkOrderFilterForm
from workorders.models import WorkOrder

PAGE_SIZE = 25
# Sortable columns of the work order table: (sort key, header).
COLUMNS = [
    ("number", "Number"),
    ("title", "Title"),
    ("status", "Status"),
    ("priority", "Priority"),
    ("site", "Site"),
    ("scheduled_at", "Scheduled"),
    ("due_at", "Due"),
]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    card = selectors.status_card(user=request.user, now=timezone.now())
    return render(request, "workorders/dashboard.html", {"card": card})


@login_required
@require_GET
def status_card(request: HttpRequest) -> HttpResponse:
    """The card alone, for the dashboard's script to refresh it after a run ends."""
    card = selectors.status_card(user=request.user, now=timezone.now())
    return render(request, "workorders/_status_card.html", {"card": card})


@login_required
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    """Queue a manual run. The dashboard's script posts with Accept: application/json and stays on
    the page; without script the browser gets a redirect and a message."""
    try:
        run = run_sync_now(user=request.user, now=timezone.now())
    except SyncRefused as refused:
        if _wants_json(request):
            return JsonResponse({"ok": False, "code": refused.code, "message": refused.message}, status=409)
        messages.error(request, refused.message)
        return redirect("workorders:dashboard")
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": "Sync started.", "run": run.as_event()}, status=202)
    messages.success(request, "Sync started — the card below follows it live.")
    return redirect("workorders:dashboard")


@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    form = WorkOrderFilterForm(request.GET, values=selectors.work_order_filter_values(user=request.user))
    filters = form.selector_kwargs()
    work_orders = selectors.work_order_list(user=request.user, **filters)
    page = Paginator(work_orders, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "columns": COLUMNS,
        "ordering": filters["ordering"] or selectors.DEFAULT_WORK_ORDER_ORDERING,
        "filtered": any(v not in (None, "") for k, v in filters.items() if k != "ordering"),
        "counts": selectors.work_order_counts(user=request.user),
    }
    return render(request, "workorders/work_order_list.html", context)


@login_required
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        work_order = selectors.work_order_get(user=request.user, pk=pk)
    except WorkOrder.DoesNotExist as missing:
        raise Http404("No such work order.") from missing
    return render(request, "workorders/work_order_detail.html", {"work_order": work_order})


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.scrape_run_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workorders/run_list.html", {"page": page})


def _run_or_404(request: HttpRequest, pk: int) -> ScrapeRun:
    try:
        return selectors.scrape_run_get_for_viewer(viewer=request.user, pk=pk)
    except ScrapeRun.DoesNotExist as missing:
        raise Http404("No such run.") from missing


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    has_screenshot = request.user.is_staff and bool(run.error_screenshot)
    return render(request, "workorders/run_detail.html", {"run": run, "has_screenshot": has_screenshot})


def _staff_run_or_404(request: HttpRequest, pk: int) -> ScrapeRun:
    # 404 rather than 403: people who are not operators need not learn that forensics exist.
    if not request.user.is_staff:
        raise Http404("No such page.")
    return _run_or_404(request, pk)


@login_required
def run_screenshot(request: HttpRequest, pk: int) -> HttpResponse:
    """The PNG the scraper saved where a run failed (staff only)."""
    run = _staff_run_or_404(request, pk)
    if not run.error_screenshot:
        raise Http404("This run has no screenshot.")
    response = HttpResponse(bytes(run.error_screenshot), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def run_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The page source the scraper saw where a run failed, as plain text (staff only): served as
    text and sandboxed so the portal's markup and scripts never run on our origin."""
    run = _staff_run_or_404(request, pk)
    if not run.error_html:
        raise Http404("This run has no saved page.")
    response = HttpResponse(run.error_html, content_type="text/plain; charset=utf-8")
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
