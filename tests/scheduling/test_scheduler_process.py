"""``manage.py runscheduler`` as a real process on the test database.

The cron trigger fires every 2 seconds (SCHEDULER_TEST_SECOND_FIELD) instead of on the hour, and
the sync is a fast fake (tests.scheduling.fakes) except in the last test, which runs H2's real
scraper against the demo portal.
"""

from __future__ import annotations

import pickle
import time
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.db.models import Count
from django.utils import timezone
from django_apscheduler.models import DjangoJob

from accounts.services import user_schedule_update
from credentials.services import credentials_clear
from scheduling.health import health_report
from scheduling.models import RunStatus, SchedulerInstance, ScrapeRun, Trigger
from scheduling.services import run_sync_now, schedule_resume_after_login_check
from tests.scheduling.conftest import make_schedulable_user, wait_active, wait_for

pytestmark = pytest.mark.slow

NO_FIRES = {"SCHEDULER_TEST_SECOND_FIELD": ""}  # the real hourly trigger: nothing fires during a test


def job_row(user_id: int) -> DjangoJob | None:
    return DjangoJob.objects.filter(id=f"work_orders_{user_id}").first()


def job_zone(user_id: int) -> str | None:
    row = job_row(user_id)
    if row is None:
        return None
    return str(pickle.loads(row.job_state)["trigger"].timezone)  # noqa: S301


def runs(**filters):
    close_old_connections()
    return ScrapeRun.objects.filter(**filters)


def test_changes_made_in_the_web_app_reach_the_running_scheduler(start_scheduler):
    scheduler = start_scheduler(**NO_FIRES)
    wait_active(scheduler)

    user = make_schedulable_user(timezone="UTC")
    wait_for(lambda: job_zone(user.pk) == "UTC", what="the new user's job")

    user_schedule_update(user=user, timezone="Asia/Kolkata")
    wait_for(lambda: job_zone(user.pk) == "Asia/Kolkata", what="the job to move to Kolkata")
    assert job_row(user.pk).next_run_time.minute == 30

    user_schedule_update(user=user, schedule_enabled=False)
    wait_for(lambda: job_row(user.pk) is None, what="the paused user's job to go")

    user_schedule_update(user=user, schedule_enabled=True)
    wait_for(lambda: job_row(user.pk) is not None, what="the resumed user's job")

    credentials_clear(user=user)
    wait_for(lambda: job_row(user.pk) is None, what="the job to go with the credentials")
    assert scheduler.proc.poll() is None


def test_sync_now_runs_through_the_running_scheduler_and_healthz_follows_its_heartbeat(start_scheduler, settings):
    settings.SCHEDULER_STALE_AFTER_SECONDS = 3
    user = make_schedulable_user()
    scheduler = start_scheduler(**NO_FIRES)
    wait_active(scheduler)
    assert health_report(now=timezone.now())[0] is True

    run = run_sync_now(user=user, now=timezone.now())

    wait_for(lambda: runs(pk=run.pk, status=RunStatus.SUCCEEDED).exists(), what="the manual run to finish")
    run.refresh_from_db()
    assert run.worker.startswith(f"{SchedulerInstance.objects.get(pid=scheduler.pid).host}:{scheduler.pid}:")
    assert run.scheduled_for is None and run.trigger == Trigger.MANUAL
    assert job_row(user.pk) is not None  # the hourly job is still there

    scheduler.kill()
    wait_for(lambda: health_report(now=timezone.now())[0] is False, what="healthz to notice the dead scheduler")


def test_each_fire_records_one_scheduled_run_for_its_instant(start_scheduler):
    user = make_schedulable_user()
    scheduler = start_scheduler()
    wait_active(scheduler)

    wait_for(lambda: runs(user=user, status=RunStatus.SUCCEEDED).count() >= 2, what="two scheduled runs")

    for run in runs(user=user, status=RunStatus.SUCCEEDED):
        assert run.trigger == Trigger.SCHEDULED
        assert run.scheduled_for.second % 2 == 0 and run.scheduled_for.microsecond == 0
        assert run.queued_at >= run.scheduled_for


def test_a_scheduler_started_with_no_jobs_fires_a_job_added_later(start_scheduler):
    # Stock: a BlockingScheduler started with an empty store slept with no wake-up, forever.
    scheduler = start_scheduler()
    wait_active(scheduler)
    assert not DjangoJob.objects.exists()

    user = make_schedulable_user()

    wait_for(lambda: runs(user=user, trigger=Trigger.SCHEDULED).exists(), what="the new user's first fire")


def test_a_hot_standby_waits_and_takes_over_after_kill_9_without_a_double_run(start_scheduler):
    user = make_schedulable_user()
    active = start_scheduler()
    wait_active(active)
    standby = start_scheduler()
    wait_for(
        lambda: SchedulerInstance.objects.filter(pid=standby.pid, role="standby").exists(), what="a standby heartbeat"
    )
    wait_for(lambda: runs(user=user, status=RunStatus.SUCCEEDED).count() >= 3, what="runs by the active scheduler")

    # While both were up, only the active one ran anything.
    assert not runs(worker__contains=f":{standby.pid}:").exists()
    active.kill()
    killed_at = timezone.now()
    wait_active(standby, timeout=20)
    wait_for(
        lambda: runs(worker__contains=f":{standby.pid}:", status=RunStatus.SUCCEEDED).exists(),
        what="a run by the new active scheduler",
    )

    doubles = runs(user=user).values("scheduled_for").annotate(n=Count("pk")).filter(n__gt=1)
    assert not doubles.exists()
    assert not runs(worker__contains=f":{active.pid}:", started_at__gt=killed_at).exists()


def sleep_until(instant) -> None:
    time.sleep(max(0.0, (instant - timezone.now()).total_seconds()))


def test_kill_9_mid_run_then_restart_interrupts_it_and_catches_up_the_missed_fire(start_scheduler):
    # Fires every 15 s with a 7 s grace: the hourly schedule and its 300 s grace, scaled down, with
    # room for a scheduler to start on a loaded CI machine inside the grace (and before the next fire).
    timing = {"SCHEDULER_TEST_SECOND_FIELD": "*/15", "SCHEDULER_MISFIRE_GRACE_SECONDS": "7"}
    user = make_schedulable_user()
    first = start_scheduler(FAKE_SYNC_SECONDS="60", **timing)
    wait_active(first)
    stuck = wait_for(lambda: runs(user=user, status=RunStatus.RUNNING).first(), timeout=40, what="a running run")
    first.kill()
    missed_fire = stuck.scheduled_for + timedelta(seconds=15)
    sleep_until(missed_fire + timedelta(seconds=0.5))  # that fire passes while no scheduler runs

    second = start_scheduler(**timing)  # back within the grace time
    wait_active(second)

    wait_for(lambda: runs(pk=stuck.pk, status=RunStatus.INTERRUPTED).exists(), what="the orphan to be interrupted")
    catch_up = wait_for(
        lambda: runs(user=user, trigger=Trigger.CATCH_UP, status=RunStatus.SUCCEEDED).first(), what="a catch-up run"
    )
    assert catch_up.scheduled_for == missed_fire
    assert runs(user=user, scheduled_for=missed_fire).count() == 1
    second.kill()
    next_fire = missed_fire + timedelta(seconds=15)
    sleep_until(next_fire + timedelta(seconds=8))

    third = start_scheduler(**timing)  # back later than the grace time: recorded, not run
    wait_active(third)
    missed = wait_for(lambda: runs(user=user, status=RunStatus.MISSED).first(), what="a missed run")
    assert (missed.scheduled_for, missed.error_code, missed.started_at) == (next_fire, "missed", None)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_next_fire_still_works_after_the_schedulers_connections_are_killed(start_scheduler):
    user = make_schedulable_user()
    scheduler = start_scheduler()
    wait_active(scheduler)
    wait_for(lambda: runs(user=user, status=RunStatus.SUCCEEDED).exists(), what="a first run")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 2  # at least the lock and the listener connections
    killed_at = timezone.now()

    wait_for(
        lambda: runs(
            user=user, status=RunStatus.SUCCEEDED, scheduled_for__gt=killed_at + timedelta(seconds=1)
        ).exists(),
        what="a fire after the connections were killed",
    )
    run = run_sync_now(user=user, now=timezone.now())  # the listener reconnected too
    wait_for(lambda: runs(pk=run.pk, status=RunStatus.SUCCEEDED).exists(), what="sync now after reconnecting")
    assert scheduler.proc.poll() is None


def test_sigterm_lets_a_short_scrape_finish_and_exits_0(start_scheduler):
    user = make_schedulable_user()
    scheduler = start_scheduler(FAKE_SYNC_SECONDS="2", SCHEDULER_SHUTDOWN_TIMEOUT="30", **NO_FIRES)
    wait_active(scheduler)
    run = run_sync_now(user=user, now=timezone.now())
    wait_for(lambda: runs(pk=run.pk, status=RunStatus.RUNNING).exists(), what="the run to start")

    assert scheduler.terminate() == 0

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert SchedulerInstance.objects.get(pid=scheduler.pid).role == "stopped"


def test_sigterm_marks_a_scrape_still_running_at_the_timeout_interrupted_and_exits_0(start_scheduler):
    user = make_schedulable_user()
    scheduler = start_scheduler(FAKE_SYNC_SECONDS="60", SCHEDULER_SHUTDOWN_TIMEOUT="1", **NO_FIRES)
    wait_active(scheduler)
    run = run_sync_now(user=user, now=timezone.now())
    wait_for(lambda: runs(pk=run.pk, status=RunStatus.RUNNING).exists(), what="the run to start")

    assert scheduler.terminate() == 0

    run.refresh_from_db()
    assert (run.status, run.error_code) == (RunStatus.INTERRUPTED, "interrupted")


def test_two_rejected_passwords_in_a_row_pause_the_schedule_and_a_passing_check_resumes_it(start_scheduler):
    user = make_schedulable_user()
    scheduler = start_scheduler(FAKE_SYNC_ERROR="auth_failed")
    wait_active(scheduler)

    def paused():
        user.refresh_from_db()
        return not user.schedule_enabled

    wait_for(paused, what="the auto-pause")
    assert user.schedule_paused_reason == "auth_failed"
    wait_for(lambda: job_row(user.pk) is None, what="the job to go")
    failed = list(runs(user=user).order_by("scheduled_for").values_list("error_code", flat=True))
    assert failed[:2] == ["auth_failed", "auth_failed"]

    assert schedule_resume_after_login_check(user=user, now=timezone.now()) is True
    wait_for(lambda: job_row(user.pk) is not None, what="the job to come back")
