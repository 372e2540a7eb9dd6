"""Seeding and changing the demo portal's data (used by demo_setup, demo_seed and the tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from demoportal.models import PortalUser, PortalWorkOrder

STATUSES = ["Open", "Dispatched", "In Progress", "On Hold", "Awaiting Parts", "Completed"]
PRIORITIES = ["P1 – Emergency", "P2 – Urgent", "P3 – Routine", "P4 – Scheduled"]  # noqa: RUF001 (realistic unicode)
TRADES = ["HVAC", "Plumbing", "Electrical", "Refrigeration", "Doors & Locks", "Roofing", "General Maintenance"]
SITES = [
    "Store #1042 — 350 Fifth Ave, New York, NY",
    "Store #0877 — Zürich Bahnhofstrasse 12",
    "Café Olé #12 — Rua Augusta 1500, São Paulo",
    "DC-7 Distribution Center — 4100 Industrial Pkwy, Columbus, OH",
    "Store #2210 — 1 Market St, San Francisco, CA",
    "Bäckerei Müller — Königsallee 4, Düsseldorf",
    "Clinic 5 — 88 Peachtree St NE, Atlanta, GA",
    "Store #3301 — 12 Rue de Rivoli, Paris",
    "Office Tower B, Floor 14 — 200 Clarendon St, Boston, MA",
    "東京ストア #5 — 渋谷区神南1-2-3",
]
PROBLEMS = {
    "HVAC": ["Rooftop unit not cooling", "Thermostat unresponsive", "Loud rattling from air handler"],
    "Plumbing": ["Leaking faucet in restroom", "Clogged floor drain", "Water heater pilot out"],
    "Electrical": ["Flickering lights in sales floor", "Outlet sparking behind counter", "Exit sign dark"],
    "Refrigeration": ["Walk-in cooler at 48°F", "Ice machine not making ice", "Freezer door gasket torn"],
    "Doors & Locks": ["Front door closer broken", "Rear exit will not latch", "Key stuck in office lock"],
    "Roofing": ["Roof leak over stockroom", "Ponding water near drain", "Flashing loose after storm"],
    "General Maintenance": ["Ceiling tile stained", "Broken shelf bracket", "Graffiti on façade"],
}
NOTES = [
    "Customer reports the issue started after the weekend.",
    "Store manager: “please call 30 min before arrival”.",
    "Access via loading dock; check in with security (badge required).",
    "Parts may be needed — bring a standard gasket kit & 2× 20A breakers.",  # noqa: RUF001
    "Naïve fix last visit did not hold; escalate if the problem persists > 24 h.",
    "Température élevée signalée par le gérant.",
]


def portal_account_ensure(
    *, username: str, password: str, display_name: str = "", page_size: int | None = None
) -> PortalUser:
    """Create or update a portal account with this password (idempotent)."""
    account = PortalUser.objects.filter(username=username).first() or PortalUser(username=username)
    if not account.password_hash or not account.check_password(password):
        account.set_password(password)
    account.display_name = display_name or account.display_name or username.split("@")[0].title()
    if page_size:
        account.page_size = page_size
    account.save()
    return account


def _fields(rng: random.Random, now: datetime) -> dict:
    trade = rng.choice(TRADES)
    problem = rng.choice(PROBLEMS[trade])
    site = rng.choice(SITES)
    notes = rng.sample(NOTES, k=rng.randint(1, 3))
    if rng.random() < 0.15:
        notes.append(" ".join(["Detailed history follows."] + [rng.choice(NOTES) for _ in range(12)]))
    scheduled = None
    if rng.random() < 0.8:
        scheduled = (now + timedelta(days=rng.randint(-10, 20))).replace(
            hour=rng.randint(7, 17), minute=rng.choice([0, 15, 30, 45]), second=0, microsecond=0
        )
    due = None
    if rng.random() < 0.9:
        due = (now + timedelta(days=rng.randint(1, 30))).replace(hour=17, minute=0, second=0, microsecond=0)
    nte = None
    if rng.random() < 0.85:
        nte = Decimal(rng.choice([150, 250, 500, 750, 1000, 1250, 2500, 12500])) + Decimal(rng.choice([0, 0.5, 0.99]))
    return {
        "summary": f"{problem} — {site.split(' — ')[0]}",
        "description": "\n".join(notes),
        "status": rng.choice(STATUSES),
        "priority": rng.choice(PRIORITIES),
        "location": site,
        "trade": trade,
        "scheduled_at": scheduled,
        "due_at": due,
        "nte": nte.quantize(Decimal("0.01")) if nte is not None else None,
        "updated_at": (now - timedelta(minutes=rng.randint(0, 60 * 24 * 14))).replace(second=0, microsecond=0),
    }


def _next_refs(account: PortalUser, count: int) -> list[str]:
    refs = account.work_orders.values_list("ref", flat=True)
    start = max((int(r.split("-")[-1]) for r in refs), default=100000) + 1
    return [f"WO-{n}" for n in range(start, start + count)]


@transaction.atomic
def portal_work_orders_seed(*, account: PortalUser, count: int, now: datetime, seed: int = 7) -> int:
    """Replace the account's work orders with ``count`` varied, deterministic ones."""
    rng = random.Random(f"{seed}-{account.username}")
    account.work_orders.all().delete()
    PortalWorkOrder.objects.bulk_create(
        PortalWorkOrder(account=account, ref=ref, **_fields(rng, now)) for ref in _next_refs(account, count)
    )
    return count


@dataclass(frozen=True)
class Mutation:
    created: list[str]
    updated: list[str]
    removed: list[str]


@transaction.atomic
def portal_work_orders_mutate(
    *, account: PortalUser, now: datetime, new: int = 0, updated: int = 0, removed: int = 0, seed: int = 11
) -> Mutation:
    """Change the portal between two scrapes: add ``new``, change ``updated`` (status and update
    time), remove ``removed`` work orders. Returns the refs touched."""
    rng = random.Random(f"{seed}-{account.username}-{now.isoformat()}")
    existing = list(account.work_orders.order_by("ref"))
    rng.shuffle(existing)
    to_remove, to_update = existing[:removed], existing[removed : removed + updated]
    refs = _next_refs(account, new)  # before removing, so a removed ref is never reused
    PortalWorkOrder.objects.filter(pk__in=[w.pk for w in to_remove]).delete()
    for order in to_update:
        order.status = (
            STATUSES[(STATUSES.index(order.status) + 1) % len(STATUSES)] if order.status in STATUSES else "Open"
        )
        order.updated_at = now.replace(microsecond=0, second=0)
    PortalWorkOrder.objects.bulk_update(to_update, ["status", "updated_at"])
    PortalWorkOrder.objects.bulk_create(PortalWorkOrder(account=account, ref=ref, **_fields(rng, now)) for ref in refs)
    return Mutation(created=refs, updated=[w.ref for w in to_update], removed=[w.ref for w in to_remove])


def effective_faults(account: PortalUser) -> dict:
    """The account's fault switches, overridden by settings.DEMO_PORTAL_FAULTS (for a whole demo)."""
    faults = {
        "delay_seconds": account.delay_seconds,
        "error_500_on_page": account.error_500_on_page,
        "reject_login": account.reject_login,
        "expire_session_after_page": account.expire_session_after_page,
        "layout": account.layout,
        "empty_list": account.empty_list,
    }
    for name, value in getattr(settings, "DEMO_PORTAL_FAULTS", {}).items():
        if name in faults:
            faults[name] = FAULT_TYPES[name](value) if isinstance(value, str) else value
    return faults


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number_or_none(value: str) -> int | None:
    return int(value) if value.strip() not in ("", "none") else None


# How a fault switch is written on the command line or in DEMO_PORTAL_FAULTS.
FAULT_TYPES = {
    "delay_seconds": float,
    "error_500_on_page": _number_or_none,
    "reject_login": _flag,
    "lockout_after": int,
    "expire_session_after_page": _number_or_none,
    "layout": str,
    "empty_list": _flag,
}
