"""The bulk upsert: one transaction, counts by fingerprint, delisting, never deleting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_portal_account, make_user
from workorders.models import WorkOrder
from workorders.portals.parsing import ScrapedWorkOrder
from workorders.services import work_orders_save

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def scraped(external_id: str, status: str = "Open") -> ScrapedWorkOrder:
    fields = {
        "number": external_id,
        "title": f"Fix {external_id}",
        "description": "",
        "status": status,
        "priority": "P3",
        "site": "Store 1",
        "trade": "HVAC",
        "scheduled_at": None,
        "due_at": None,
        "nte_amount": None,
        "portal_updated_at": T0,
    }
    return ScrapedWorkOrder(external_id=external_id, fields=fields, raw={"Status": status})


@pytest.fixture
def account(db):
    return make_portal_account(make_user())


def test_it_creates_updates_counts_unchanged_and_delists(account):
    first = work_orders_save(account=account, orders=[scraped("A"), scraped("B"), scraped("C")], now=T0)
    assert (first.created, first.updated, first.unchanged, first.delisted) == (3, 0, 0, 0)

    later = T0 + timedelta(hours=1)
    second = work_orders_save(account=account, orders=[scraped("A"), scraped("B", "Closed"), scraped("D")], now=later)

    assert (second.found, second.created, second.updated, second.unchanged, second.delisted) == (3, 1, 1, 1, 1)
    orders = {w.external_id: w for w in WorkOrder.objects.filter(portal_account=account)}
    assert set(orders) == {"A", "B", "C", "D"}  # C kept
    assert orders["C"].delisted_at == later
    assert orders["B"].status == "Closed"
    assert orders["B"].raw == {"Status": "Closed"}
    assert orders["B"].first_seen_at == T0
    assert orders["B"].last_seen_at == later
    assert orders["A"].last_seen_at == later  # unchanged but seen
    assert orders["C"].last_seen_at == T0


def test_a_relisted_work_order_is_updated_and_listed_again(account):
    work_orders_save(account=account, orders=[scraped("A"), scraped("B")], now=T0)
    work_orders_save(account=account, orders=[scraped("A")], now=T0 + timedelta(hours=1))

    third = work_orders_save(account=account, orders=[scraped("A"), scraped("B")], now=T0 + timedelta(hours=2))

    assert (third.created, third.updated, third.unchanged, third.delisted) == (0, 1, 1, 0)
    assert WorkOrder.objects.get(external_id="B").delisted_at is None


def test_an_incomplete_listing_delists_nothing(account):
    work_orders_save(account=account, orders=[scraped("A"), scraped("B")], now=T0)

    counts = work_orders_save(account=account, orders=[scraped("A")], now=T0, complete=False)

    assert counts.delisted == 0
    assert not WorkOrder.objects.filter(delisted_at__isnull=False).exists()


def test_accounts_do_not_touch_each_others_work_orders(account):
    other = make_portal_account(make_user())
    work_orders_save(account=other, orders=[scraped("A")], now=T0)

    counts = work_orders_save(account=account, orders=[scraped("A")], now=T0)

    assert counts.created == 1
    assert WorkOrder.objects.filter(external_id="A").count() == 2


def test_a_failure_while_saving_changes_nothing(account, monkeypatch):
    work_orders_save(account=account, orders=[scraped("A"), scraped("B")], now=T0)
    before = list(WorkOrder.objects.order_by("pk").values_list("external_id", "status", "delisted_at"))

    def broken_update(self, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("django.db.models.query.QuerySet.update", broken_update)
    with pytest.raises(RuntimeError):
        work_orders_save(account=account, orders=[scraped("A", "Closed"), scraped("C")], now=T0 + timedelta(hours=1))
    monkeypatch.undo()

    assert list(WorkOrder.objects.order_by("pk").values_list("external_id", "status", "delisted_at")) == before
