"""Saving a 10,000-row listing (half new, a quarter changed, a quarter unchanged) on PostgreSQL:
the bulk path (work_orders_save) vs. per-row update_or_create.

    .venv/bin/python benchmarks/bench_upsert.py [--rows 10000] [--runs 5] [--baseline-runs 3]

Uses DATABASE_URL when set, else the local PostgreSQL database ``wos_bench`` (created if missing).
Each measured run starts from the same state: 5,000 stored work orders, of which 2,500 differ from
the listing, plus 500 that the listing no longer contains (to be marked "no longer listed").
Target: bulk <= 1 s and >= 20x faster than per-row.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import django_setup, fmt, median

BENCH_DB = "wos_bench"


def ensure_database() -> str:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"


def listing(rows: int):
    from workorders.portals.parsing import ScrapedWorkOrder

    base = datetime(2026, 11, 1, 12, tzinfo=UTC)
    orders = []
    for n in range(rows):
        fields = {
            "number": f"WO-{n}",
            "title": f"Rooftop unit not cooling — Store #{n % 300}",
            "description": "Customer reports the issue started after the weekend.\nAccess via loading dock.",
            "status": "Open",
            "priority": "P2 - Urgent",
            "site": f"Store #{n % 300} — 350 Fifth Ave, New York, NY",
            "trade": "HVAC",
            "scheduled_at": base + timedelta(hours=n % 500),
            "due_at": base + timedelta(days=3, hours=n % 500),
            "nte_amount": Decimal("1250.00"),
            "portal_updated_at": base - timedelta(minutes=n),
        }
        raw = {k: str(v) for k, v in fields.items()}
        orders.append(ScrapedWorkOrder(external_id=f"WO-{n}", fields=fields, raw=raw))
    return orders


def reset(account, orders, now) -> None:
    """Stored state before each run: the first half of the listing (a quarter of it stale)
    plus 500 work orders the listing no longer has."""
    from workorders.models import WorkOrder

    WorkOrder.objects.filter(portal_account=account).delete()
    half = len(orders) // 2
    stored = []
    for index, order in enumerate(orders[:half]):
        fields = dict(order.fields)
        fingerprint = order.fingerprint
        if index % 2:  # a quarter of the listing changed since the last sync
            fields["status"] = "Dispatched"
            fingerprint = "stale"
        stored.append(
            WorkOrder(user_id=account.user_id, portal_account=account, external_id=order.external_id, raw=order.raw,
                      fingerprint=fingerprint, first_seen_at=now, last_seen_at=now, **fields)
        )  # fmt: skip
    stored += [
        WorkOrder(user_id=account.user_id, portal_account=account, external_id=f"GONE-{n}", fingerprint="x",
                  first_seen_at=now, last_seen_at=now)
        for n in range(500)
    ]  # fmt: skip
    WorkOrder.objects.bulk_create(stored, batch_size=1000)


def per_row_save(account, orders, now) -> None:
    """The baseline: what a straightforward loop does."""
    from django.db import transaction

    from workorders.models import WorkOrder

    with transaction.atomic():
        seen = set()
        for order in orders:
            seen.add(order.external_id)
            WorkOrder.objects.update_or_create(
                portal_account=account,
                external_id=order.external_id,
                defaults={**order.fields, "raw": order.raw, "fingerprint": order.fingerprint, "last_seen_at": now,
                          "delisted_at": None, "user_id": account.user_id},
                create_defaults={**order.fields, "raw": order.raw, "fingerprint": order.fingerprint,
                                 "first_seen_at": now, "last_seen_at": now, "user_id": account.user_id},
            )  # fmt: skip
        for work_order in WorkOrder.objects.filter(portal_account=account, delisted_at__isnull=True):
            if work_order.external_id not in seen:
                work_order.delisted_at = now
                work_order.save(update_fields=["delisted_at"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=3)
    args = parser.parse_args()

    import os

    database_url = django_setup(os.environ.get("DATABASE_URL") or ensure_database())
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from credentials.services import credentials_store
    from workorders.services import work_orders_save

    user, _ = User.objects.get_or_create(username="bench-upsert", defaults={"timezone": "UTC"})
    account = credentials_store(
        user=user, portal="demo", base_url="http://127.0.0.1/demo-portal/", username="u", password="p",
        now=timezone.now(),
    )  # fmt: skip
    orders = listing(args.rows)

    bulk, baseline, counts = [], [], None
    for _ in range(args.runs):
        reset(account, orders, timezone.now() - timedelta(hours=1))
        started = time.perf_counter()
        counts = work_orders_save(account=account, orders=orders, now=timezone.now())
        bulk.append(time.perf_counter() - started)
    for _ in range(args.baseline_runs):
        reset(account, orders, timezone.now() - timedelta(hours=1))
        started = time.perf_counter()
        per_row_save(account, orders, timezone.now())
        baseline.append(time.perf_counter() - started)

    print(f"Upsert of {args.rows} scraped work orders on {connection.vendor} ({database_url.rsplit('@', 1)[-1]})")
    print(f"  counts: created={counts.created} updated={counts.updated} unchanged={counts.unchanged} "
          f"delisted={counts.delisted}")  # fmt: skip
    print(f"  bulk (work_orders_save)    : median {fmt(median(bulk))}  runs={[round(v, 3) for v in bulk]}")
    print(f"  per-row update_or_create   : median {fmt(median(baseline))}  runs={[round(v, 3) for v in baseline]}")
    print(f"  speed-up: {median(baseline) / median(bulk):.1f}x   (target: <= 1 s and >= 20x)")


if __name__ == "__main__":
    main()
