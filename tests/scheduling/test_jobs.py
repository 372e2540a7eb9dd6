"""The job each schedulable user gets, and when it fires (DST included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from credentials.services import credentials_record_check
from scheduling.registry import job_options, job_trigger, jobs_reconcile, user_job_sync
from scheduling.schedule import next_fire_times
from tests.factories import make_user
from tests.scheduling.conftest import make_schedulable_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduler():
    scheduler = BackgroundScheduler(timezone=UTC, jobstores={"default": MemoryJobStore()})
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(zone: str, start: datetime, end: datetime) -> list[datetime]:
    user = make_user(timezone=zone)
    return [t.astimezone(UTC) for t in next_fire_times(user=user, now=start, count=200) if t < end]


def local_tops_of_hour(zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Independent enumeration: every UTC instant on a 15-minute grid that is :00 local time."""
    tz = ZoneInfo(zone)
    t, found = start + timedelta(minutes=15 - start.minute % 15), []
    while t < end:
        if t.astimezone(tz).minute == 0:
            found.append(t)
        t += timedelta(minutes=15)
    return found


def test_a_schedulable_user_gets_one_job_with_the_agreed_id_trigger_grace_and_coalescing(scheduler):
    user = make_schedulable_user(timezone="America/Chicago")

    jobs_reconcile(scheduler)

    job = scheduler.get_job(f"work_orders_{user.pk}")
    assert [j.id for j in scheduler.get_jobs()] == [f"work_orders_{user.pk}"]
    assert job.func_ref == "scheduling.jobs:execute_work_order_scraping"
    assert job.args == (user.pk,)
    assert str(job.trigger) == "cron[minute='0']"
    assert str(job.trigger.timezone) == "America/Chicago"
    assert job.misfire_grace_time == 300
    assert job.coalesce is True
    assert job.max_instances == 1


def test_active_hours_and_weekdays_appear_in_the_trigger_only_when_set():
    user = make_user(timezone="Europe/Berlin", active_from_hour=22, active_until_hour=6, active_weekdays="mon,fri")

    trigger = job_options(user)["trigger"]

    assert str(trigger) == "cron[day_of_week='mon,fri', hour='22-23,0-6', minute='0']"


def test_it_does_not_schedule_a_user_whose_credentials_fail_pre_flight(scheduler):
    make_user()  # no credentials
    paused = make_schedulable_user(schedule_enabled=False)

    report = jobs_reconcile(scheduler)

    assert scheduler.get_jobs() == []
    assert report.added == 0
    assert scheduler.get_job(f"work_orders_{paused.pk}") is None


def test_a_password_the_portal_rejected_once_stays_scheduled_for_the_second_try(scheduler, settings):
    user = make_schedulable_user()
    credentials_record_check(user=user, ok=False, message="rejected", now=utc(2026, 1, 1))

    jobs_reconcile(scheduler)

    assert scheduler.get_job(f"work_orders_{user.pk}") is not None


def test_reconcile_changes_only_what_differs(scheduler):
    keep = make_schedulable_user(timezone="UTC")
    move = make_schedulable_user(timezone="UTC")
    drop = make_schedulable_user(timezone="UTC")
    jobs_reconcile(scheduler)
    keep_next = scheduler.get_job(f"work_orders_{keep.pk}").next_run_time

    move.timezone = "Asia/Kolkata"
    move.save()
    drop.schedule_enabled = False
    drop.save()
    added = make_schedulable_user()
    report = jobs_reconcile(scheduler)

    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 1)
    assert scheduler.get_job(f"work_orders_{keep.pk}").next_run_time == keep_next
    assert str(scheduler.get_job(f"work_orders_{move.pk}").trigger.timezone) == "Asia/Kolkata"
    assert scheduler.get_job(f"work_orders_{drop.pk}") is None
    assert scheduler.get_job(f"work_orders_{added.pk}") is not None


def test_one_users_change_is_applied_alone(scheduler):
    user = make_schedulable_user()
    jobs_reconcile(scheduler)

    user.schedule_enabled = False
    user.save()
    user_job_sync(scheduler, user.pk)
    assert scheduler.get_job(f"work_orders_{user.pk}") is None

    user.schedule_enabled = True
    user.save()
    user_job_sync(scheduler, user.pk)
    assert scheduler.get_job(f"work_orders_{user.pk}") is not None

    user_id = user.pk
    user.delete()
    user_job_sync(scheduler, user_id)
    assert scheduler.get_jobs() == []


def test_the_test_second_field_keeps_the_users_zone(settings):
    settings.SCHEDULER_TEST_SECOND_FIELD = "*/2"
    user = make_user(timezone="Asia/Kolkata")

    trigger = job_trigger(user)

    assert str(trigger) == "cron[second='*/2']"
    assert str(trigger.timezone) == "Asia/Kolkata"


def test_kolkata_fires_at_half_past_each_utc_hour():
    assert fires("Asia/Kolkata", utc(2026, 6, 1, 10, 5), utc(2026, 6, 1, 13)) == [
        utc(2026, 6, 1, 10, 30),
        utc(2026, 6, 1, 11, 30),
        utc(2026, 6, 1, 12, 30),
    ]


def test_kathmandu_fires_at_a_quarter_past_each_utc_hour():
    assert fires("Asia/Kathmandu", utc(2026, 6, 1, 10, 0), utc(2026, 6, 1, 12)) == [
        utc(2026, 6, 1, 10, 15),
        utc(2026, 6, 1, 11, 15),
    ]


def test_it_handles_the_new_york_spring_forward_without_a_gap_or_a_double():
    # 2026-03-08 02:00 EST does not exist: 01:00 EST (06:00Z) is followed by 03:00 EDT (07:00Z).
    start, end = utc(2026, 3, 8, 4), utc(2026, 3, 8, 10)
    assert fires("America/New_York", start, end) == [utc(2026, 3, 8, h) for h in (5, 6, 7, 8, 9)]
    assert fires("America/New_York", start, end) == local_tops_of_hour("America/New_York", start, end)


def test_it_handles_the_new_york_fall_back_firing_both_one_oclocks():
    # 2026-11-01: 01:00 EDT (05:00Z) and 01:00 EST (06:00Z) both fire, then 02:00 EST (07:00Z).
    start, end = utc(2026, 11, 1, 3), utc(2026, 11, 1, 9)
    assert fires("America/New_York", start, end) == [utc(2026, 11, 1, h) for h in (4, 5, 6, 7, 8)]


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("Australia/Lord_Howe", utc(2026, 4, 4, 10)),  # DST ends: +11 → +10:30
        ("Australia/Lord_Howe", utc(2026, 10, 3, 10)),  # DST starts: +10:30 → +11
        ("America/New_York", utc(2026, 3, 7, 20)),
        ("America/New_York", utc(2026, 10, 31, 20)),
        ("Europe/London", utc(2026, 3, 29, 0)),
        ("Asia/Kolkata", utc(2026, 3, 29, 0)),
    ],
)
def test_fire_times_match_an_independent_enumeration_of_local_tops_of_hour(zone, start):
    end = start + timedelta(hours=30)
    assert fires(zone, start, end) == local_tops_of_hour(zone, start, end)


def test_lord_howe_moves_from_the_utc_hour_to_the_half_hour_when_its_30_minute_dst_ends():
    fired = fires("Australia/Lord_Howe", utc(2026, 4, 4, 13, 30), utc(2026, 4, 4, 17))
    # 01:00 +11 is 14:00Z; the clock goes back half an hour at 02:00, so 02:00 +10:30 is 15:30Z.
    assert fired == [utc(2026, 4, 4, 14), utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 16, 30)]
