"""The run-history model's guarantees the scheduler relies on."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from scheduling.models import ScrapeRun, Trigger
from tests.factories import make_run, make_user

HOUR = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_a_second_scheduled_run_for_the_same_user_and_hour_is_impossible():
    user = make_user()
    make_run(user, trigger=Trigger.SCHEDULED, scheduled_for=HOUR)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_run(user, trigger=Trigger.CATCH_UP, scheduled_for=HOUR)

    assert ScrapeRun.objects.filter(user=user, scheduled_for=HOUR).count() == 1


def test_the_same_hour_is_fine_for_another_user_and_the_next_hour_for_the_same_user():
    first, second = make_user(), make_user()

    make_run(first, trigger=Trigger.SCHEDULED, scheduled_for=HOUR)
    make_run(second, trigger=Trigger.SCHEDULED, scheduled_for=HOUR)
    make_run(first, trigger=Trigger.SCHEDULED, scheduled_for=HOUR + timedelta(hours=1))

    assert ScrapeRun.objects.count() == 3


def test_manual_runs_without_an_hour_never_collide():
    user = make_user()

    make_run(user, trigger=Trigger.MANUAL, scheduled_for=None)
    make_run(user, trigger=Trigger.MANUAL, scheduled_for=None)
    make_run(user, trigger=Trigger.SCHEDULED, scheduled_for=HOUR)

    assert ScrapeRun.objects.filter(user=user).count() == 3


def test_the_same_instant_in_another_zone_is_the_same_hour():
    from zoneinfo import ZoneInfo

    user = make_user()
    make_run(user, trigger=Trigger.SCHEDULED, scheduled_for=HOUR)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_run(user, trigger=Trigger.SCHEDULED, scheduled_for=HOUR.astimezone(ZoneInfo("Asia/Kolkata")))
