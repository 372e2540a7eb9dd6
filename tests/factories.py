"""Plain functions that build test data (no factory library needed for this size)."""

from __future__ import annotations

import itertools
from datetime import datetime

from django.utils import timezone

from accounts.models import User
from credentials.models import PortalAccount
from credentials.services import credentials_store
from scheduling.models import RunStatus, ScrapeRun, Trigger
from workorders.models import WorkOrder

_seq = itertools.count(1)


def make_user(**fields) -> User:
    n = next(_seq)
    fields.setdefault("username", f"user{n}")
    fields.setdefault("timezone", "UTC")
    password = fields.pop("password", "correct horse battery staple")
    user = User(**fields)
    user.set_password(password)
    user.save()
    return user


def make_portal_account(
    user: User,
    *,
    portal: str = "demo",
    base_url: str = "http://127.0.0.1:8000/demo-portal/",
    username: str = "tech@example.com",
    password: str = "s3cret-Portal-pass",
    now: datetime | None = None,
) -> PortalAccount:
    return credentials_store(
        user=user, portal=portal, base_url=base_url, username=username, password=password, now=now or timezone.now()
    )


def make_run(user: User, **fields) -> ScrapeRun:
    fields.setdefault("trigger", Trigger.MANUAL)
    fields.setdefault("status", RunStatus.QUEUED)
    fields.setdefault("queued_at", timezone.now())
    return ScrapeRun.objects.create(user=user, **fields)


def make_work_order(user: User, **fields) -> WorkOrder:
    """A synced work order of ``user`` (on their portal account, created if they have none)."""
    n = next(_seq)
    now = timezone.now()
    account = fields.pop("portal_account", None) or getattr(user, "portal_account", None) or make_portal_account(user)
    fields.setdefault("external_id", f"WO-{n}")
    fields.setdefault("number", f"WO-{n:05d}")
    fields.setdefault("title", f"Work order {n}")
    fields.setdefault("status", "Open")
    fields.setdefault("priority", "Normal")
    fields.setdefault("site", "Main St")
    fields.setdefault("first_seen_at", now)
    fields.setdefault("last_seen_at", now)
    return WorkOrder.objects.create(user=user, portal_account=account, **fields)
