"""The demo vendor portal's pages: a modern layout under /demo-portal/ and a "classic" one under
/demo-portal/classic/, both over the same accounts and work orders, both honouring the account's
fault-injection switches."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect

from demoportal.models import Layout, PortalUser, PortalWorkOrder
from demoportal.portal_session import portal_session_end, portal_session_start, portal_session_user
from demoportal.services import effective_faults

LOGIN_ERROR = "Invalid username or password."
LOCKED_ERROR = "Your account is locked after too many failed sign-in attempts. Contact your administrator."
EXPIRED_NOTICE = "Your session has expired. Please sign in again."

MODERN = {
    "zone": ZoneInfo("America/New_York"),
    "datetime": "%b %d, %Y %I:%M %p",
    "date": "%b %d, %Y %I:%M %p",
    "money": lambda amount: f"${amount:,.2f}",
}
CLASSIC = {
    "zone": ZoneInfo("America/Chicago"),
    "datetime": "%Y-%m-%d %H:%M",
    "date": "%m/%d/%Y",
    "money": lambda amount: f"USD {amount:,.2f}",
}


def _server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "demoportal/server_error.html", status=500)


def _delayed(account: PortalUser | None) -> None:
    if account is not None:
        delay = effective_faults(account)["delay_seconds"]
        if delay:
            time.sleep(delay)


def _signed_in(login_url_name: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            account = portal_session_user(request)
            if account is None:
                return HttpResponseRedirect(f"{reverse(login_url_name)}?next={request.get_full_path()}")
            _delayed(account)
            request.portal_user = account
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _login_attempt(username: str, password: str) -> tuple[PortalUser | None, str]:
    account = PortalUser.objects.filter(username=username.strip()).first()
    _delayed(account)
    if account is None:
        return None, LOGIN_ERROR
    if account.is_locked:
        return None, LOCKED_ERROR
    if effective_faults(account)["reject_login"] or not account.check_password(password):
        PortalUser.objects.filter(pk=account.pk).update(failed_logins=F("failed_logins") + 1)
        account.refresh_from_db(fields=["failed_logins"])
        return None, LOCKED_ERROR if account.is_locked else LOGIN_ERROR
    if account.failed_logins:
        PortalUser.objects.filter(pk=account.pk).update(failed_logins=0)
    return account, ""


def _signed_in_response(request: HttpRequest, account: PortalUser, target: str) -> HttpResponse:
    """After a good login: the injected "500 at login" fault, or a redirect that starts the session."""
    if effective_faults(account)["error_500_on_page"] == 0:
        return _server_error(request)
    response = HttpResponseRedirect(target)
    portal_session_start(response, account)
    return response


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _page_of(account: PortalUser, request: HttpRequest) -> tuple[int, int, list[PortalWorkOrder]]:
    try:
        page = max(1, int(request.GET.get("page") or request.GET.get("pg") or 1))
    except ValueError:
        page = 1
    try:
        size = max(1, min(500, int(request.GET.get("per_page") or account.page_size)))
    except ValueError:
        size = account.page_size
    orders = account.work_orders.order_by("-updated_at", "ref")
    total = orders.count()
    pages = max(1, math.ceil(total / size))
    page = min(page, pages)
    return page, pages, list(orders[(page - 1) * size : page * size])


def _listing(request: HttpRequest, style: dict, login_url_name: str) -> HttpResponse | dict:
    """One page of the signed-in account's work orders as template context (with the account's
    effective ``faults``), or the response an injected fault calls for instead."""
    account = request.portal_user
    page, pages, orders = _page_of(account, request)
    faults = effective_faults(account)
    if faults["error_500_on_page"] and faults["error_500_on_page"] == page:
        return _server_error(request)
    expire_after = faults["expire_session_after_page"]
    if expire_after is not None and page > expire_after:
        response = HttpResponseRedirect(f"{reverse(login_url_name)}?expired=1")
        portal_session_end(response)
        return response
    rows = [] if faults["empty_list"] else [_row(o, style) for o in orders]
    return {"account": account, "faults": faults, "rows": rows, "page": page, "pages": pages}


def _row(order: PortalWorkOrder, style: dict) -> dict:
    def when(value, fmt: str) -> str:
        return value.astimezone(style["zone"]).strftime(fmt) if value else "—"

    return {
        "ref": order.ref,
        "summary": order.summary,
        "description": order.description,
        "status": order.status,
        "priority": order.priority,
        "location": order.location,
        "trade": order.trade,
        "scheduled": when(order.scheduled_at, style["datetime"]),
        "due": when(order.due_at, style["date"]),
        "nte": style["money"](order.nte) if order.nte is not None else "—",
        "updated": when(order.updated_at, style["datetime"]),
    }


def _page_links(page: int, pages: int) -> list[int | None]:
    """Page numbers to show, None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


# -- the modern portal ---------------------------------------------------------------------------
@csrf_protect
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and portal_session_user(request) is not None:
        return HttpResponseRedirect(reverse("demoportal:home"))
    error, username = "", ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        account, error = _login_attempt(username, request.POST.get("password", ""))
        if account is not None:
            return _signed_in_response(request, account, _safe_next(request, reverse("demoportal:home")))
    context = {
        "error": error,
        "username": username,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "notice": EXPIRED_NOTICE if request.GET.get("expired") else "",
    }
    return render(request, "demoportal/login.html", context)


def logout(request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(reverse("demoportal:login"))
    portal_session_end(response)
    return response


@_signed_in("demoportal:login")
def home(request: HttpRequest) -> HttpResponse:
    account = request.portal_user
    orders = account.work_orders.all()
    context = {
        "account": account,
        "open_count": orders.exclude(status="Completed").count(),
        "emergency_count": orders.filter(priority__startswith="P1").count(),
        "total_count": orders.count(),
    }
    return render(request, "demoportal/home.html", context)


@_signed_in("demoportal:login")
def work_orders(request: HttpRequest) -> HttpResponse:
    listing = _listing(request, MODERN, "demoportal:login")
    if isinstance(listing, HttpResponse):
        return listing
    faults = listing["faults"]
    per_page = request.GET.get("per_page", "")
    suffix = f"&per_page={per_page}" if per_page else ""
    context = {
        **listing,
        "pages": 1 if faults["empty_list"] else listing["pages"],
        "page_links": _page_links(listing["page"], listing["pages"]),
        "suffix": suffix,
        "layout": faults["layout"],
        "status_header": "State" if faults["layout"] == Layout.RENAMED_COLUMN else "Status",
    }
    return render(request, "demoportal/work_orders.html", context)


@_signed_in("demoportal:login")
def work_order_detail(request: HttpRequest, ref: str) -> HttpResponse:
    order = get_object_or_404(PortalWorkOrder, account=request.portal_user, ref=ref)
    return render(
        request, "demoportal/work_order_detail.html", {"account": request.portal_user, "row": _row(order, MODERN)}
    )


# -- the classic portal --------------------------------------------------------------------------
@csrf_protect
def classic_signon(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and portal_session_user(request) is not None:
        return HttpResponseRedirect(reverse("demoportal:classic-main"))
    error, login_id, passwd = "", "", ""
    if request.method == "POST":
        login_id, passwd = request.POST.get("login_id", ""), request.POST.get("passwd", "")
        account, error = _login_attempt(login_id, passwd)
        if account is not None:
            return _signed_in_response(request, account, reverse("demoportal:classic-main"))
    # Like many old portals, it writes the typed password back into the form after a failure.
    context = {"error": error, "login_id": login_id, "passwd": passwd if error else ""}
    if request.GET.get("expired"):
        context["error"] = EXPIRED_NOTICE
    return render(request, "demoportal/classic/signon.html", context)


@_signed_in("demoportal:classic-signon")
def classic_main(request: HttpRequest) -> HttpResponse:
    return render(request, "demoportal/classic/main.html", {"account": request.portal_user})


@_signed_in("demoportal:classic-signon")
def classic_mywork(request: HttpRequest) -> HttpResponse:
    return render(request, "demoportal/classic/mywork.html", {"account": request.portal_user})


@_signed_in("demoportal:classic-signon")
def classic_tickets(request: HttpRequest) -> HttpResponse:
    listing = _listing(request, CLASSIC, "demoportal:classic-signon")
    if isinstance(listing, HttpResponse):
        return listing
    faults = listing["faults"]
    context = {
        **listing,
        "results_id": "results-v2" if faults["layout"] == Layout.MOVED_TABLE else "results",
        "status_header": "Status Code" if faults["layout"] == Layout.RENAMED_COLUMN else "Ticket Status",
    }
    return render(request, "demoportal/classic/tickets.html", context)


@_signed_in("demoportal:classic-signon")
def classic_ticket(request: HttpRequest) -> HttpResponse:
    ref = request.GET.get("id", "")
    order = PortalWorkOrder.objects.filter(account=request.portal_user, ref=ref).first()
    if order is None:
        raise Http404("No such ticket")
    return render(request, "demoportal/classic/ticket.html", {"row": _row(order, CLASSIC)})
