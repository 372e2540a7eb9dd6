"""Reads for the web pages and the API. Every selector takes the user and only ever returns theirs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from django.db.models import Q, QuerySet

from accounts.models import User
from scheduling.display import format_next_run, zone_abbreviation
from scheduling.models import ACTIVE_STATUSES, Phase, ScrapeRun
from scheduling.services import ScheduleState, schedule_state
from workorders.models import WorkOrder

# Public sort keys → model orderings; anything else falls back to the default (newest on the portal).
WORK_ORDER_ORDERINGS: dict[str, tuple[str, ...]] = {
    "number": ("number", "pk"),
    "-number": ("-number", "-pk"),
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "status": ("status", "number", "pk"),
    "-status": ("-status", "number", "pk"),
    "priority": ("priority", "number", "pk"),
    "-priority": ("-priority", "number", "pk"),
    "site": ("site", "number", "pk"),
    "-site": ("-site", "number", "pk"),
    "scheduled_at": ("scheduled_at", "pk"),
    "-scheduled_at": ("-scheduled_at", "-pk"),
    "due_at": ("due_at", "pk"),
    "-due_at": ("-due_at", "-pk"),
    "updated": ("portal_updated_at", "pk"),
    "-updated": ("-portal_updated_at", "-pk"),
    "last_seen": ("last_seen_at", "pk"),
    "-last_seen": ("-last_seen_at", "-pk"),
}
DEFAULT_WORK_ORDER_ORDERING = "-updated"


def work_order_list(
    *,
    user: User,
    search: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    site: str | None = None,
    listed: bool | None = None,
    ordering: str | None = None,
) -> QuerySet[WorkOrder]:
    """The user's work orders, filtered and sorted.

    ``search`` matches number, title or site (case-insensitive, substring). ``status``, ``priority``
    and ``site`` match exactly. ``listed``: True = still on the portal, False = no longer listed,
    None = both. An unknown ``ordering`` key gives the default order, never an error.
    """
    qs = WorkOrder.objects.filter(user=user)
    if search:
        term = search.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(title__icontains=term) | Q(site__icontains=term))
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if site:
        qs = qs.filter(site=site)
    if listed is True:
        qs = qs.filter(delisted_at__isnull=True)
    elif listed is False:
        qs = qs.filter(delisted_at__isnull=False)
    order = WORK_ORDER_ORDERINGS.get(ordering or "", WORK_ORDER_ORDERINGS[DEFAULT_WORK_ORDER_ORDERING])
    return qs.order_by(*order)


def work_order_get(*, user: User, pk: int) -> WorkOrder:
    """One of the user's work orders; raises WorkOrder.DoesNotExist for anyone else's."""
    return WorkOrder.objects.get(user=user, pk=pk)


def work_order_filter_values(*, user: User) -> dict[str, list[str]]:
    """The distinct non-empty statuses, priorities and sites among the user's work orders."""
    qs = WorkOrder.objects.filter(user=user)

    def distinct(field: str) -> list[str]:
        return list(qs.exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct())

    return {"status": distinct("status"), "priority": distinct("priority"), "site": distinct("site")}


def work_order_counts(*, user: User) -> dict[str, int]:
    """How many work orders the user has: listed and no longer listed."""
    qs = WorkOrder.objects.filter(user=user)
    listed = qs.filter(delisted_at__isnull=True).count()
    return {"listed": listed, "delisted": qs.count() - listed}


# Runs are read here too: the pages that show them are the web's. Lists defer the forensics payloads
# (a screenshot can be megabytes); only the staff forensics views load them.
_RUN_HEAVY_FIELDS = ("error_screenshot", "error_html")


def scrape_run_list(*, user: User) -> QuerySet[ScrapeRun]:
    """The user's runs, newest first, without the forensics payloads."""
    return ScrapeRun.objects.filter(user=user).defer(*_RUN_HEAVY_FIELDS).order_by("-queued_at", "-pk")


def scrape_run_latest(*, user: User) -> ScrapeRun | None:
    """The user's most recent run (None when they never ran)."""
    return scrape_run_list(user=user).first()


def scrape_run_last_finished(*, user: User) -> ScrapeRun | None:
    """The most recent run that ended (succeeded or failed); None when none has."""
    return scrape_run_list(user=user).filter(finished_at__isnull=False).order_by("-finished_at", "-pk").first()


def scrape_run_get(*, user: User, pk: int, forensics: bool = True) -> ScrapeRun:
    """One of the user's own runs; raises ScrapeRun.DoesNotExist for anyone else's, so a view
    answers 404 without revealing that the run exists. Staff get no exception here: the API and
    the pages are per user. ``forensics=False`` leaves the screenshot and page source unloaded
    (only staff are shown them)."""
    runs = ScrapeRun.objects.all() if forensics else ScrapeRun.objects.defer(*_RUN_HEAVY_FIELDS)
    return runs.get(user=user, pk=pk)


def scrape_run_get_for_viewer(*, viewer: User, pk: int) -> ScrapeRun:
    """A run as the run pages show it: the viewer's own, or any user's with forensics when the
    viewer is staff (operators investigating a failure). Raises ScrapeRun.DoesNotExist otherwise."""
    if viewer.is_staff:
        return ScrapeRun.objects.get(pk=pk)
    return scrape_run_get(user=viewer, pk=pk, forensics=False)


@dataclass(frozen=True)
class UpcomingRun:
    """A fire time as the page shows it: the instant, the words and the zone name at that instant."""

    when: datetime
    text: str
    zone: str


def upcoming_runs(*, times: Iterable[datetime], now: datetime, tz: tzinfo) -> list[UpcomingRun]:
    """Fire times as the pages show them (the dashboard's card, the settings page and its preview)."""
    return [
        UpcomingRun(when=when, text=format_next_run(when, now=now, tz=tz), zone=zone_abbreviation(when, tz))
        for when in times
    ]


@dataclass(frozen=True)
class StatusCard:
    """Everything the dashboard's status card shows."""

    schedule: ScheduleState
    upcoming: list[UpcomingRun] = field(default_factory=list)
    active_run: ScrapeRun | None = None
    last_run: ScrapeRun | None = None
    work_orders: dict[str, int] = field(default_factory=dict)

    @property
    def next_run(self) -> UpcomingRun | None:
        return self.upcoming[0] if self.upcoming else None

    @property
    def upcoming_data(self) -> list[dict[str, str]]:
        """The next runs for the page's script, which moves on to the next one when one passes."""
        return [{"when": u.when.isoformat(), "zone": u.zone} for u in self.upcoming]

    @property
    def phases(self) -> list[tuple[str, str]]:
        """The steps a run goes through, in order, as (value, label)."""
        return [(p.value, p.label) for p in (Phase.LOGIN, Phase.NAVIGATION, Phase.EXTRACTION, Phase.SAVING)]


def status_card(*, user: User, now: datetime) -> StatusCard:
    """The schedule state with its next runs in words, the run in progress (None when idle), the
    last finished run (None before the first) and the work order counts."""
    state = schedule_state(user=user, now=now)
    runs = scrape_run_list(user=user)
    return StatusCard(
        schedule=state,
        upcoming=upcoming_runs(times=state.next_runs, now=now, tz=user.zone),
        active_run=runs.filter(status__in=ACTIVE_STATUSES).first(),
        last_run=scrape_run_last_finished(user=user),
        work_orders=work_order_counts(user=user),
    )
