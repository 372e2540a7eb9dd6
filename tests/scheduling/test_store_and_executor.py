"""The job store mirror, the executor's fire-time hand-off and the batched run recording."""

from __future__ import annotations

import pickle
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from django.db import connection
from django.utils import timezone
from django_apscheduler.models import DjangoJob

from accounts.models import User
from scheduling import jobs
from scheduling.models import RunStatus, ScrapeRun, Trigger
from scheduling.registry import jobs_reconcile
from scheduling.store import MirroredDjangoJobStore, RunDispatchExecutor
from tests.factories import make_user
from tests.scheduling.conftest import make_schedulable_user, wait_for


@pytest.fixture
def mirrored_scheduler():
    schedulers = []

    def start() -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            jobstores={"default": MirroredDjangoJobStore(flush_interval=0.1)},
            executors={"default": RunDispatchExecutor()},
        )
        scheduler.start(paused=True)
        schedulers.append(scheduler)
        return scheduler

    yield start
    for scheduler in schedulers:
        if scheduler.running:
            scheduler.shutdown(wait=False)
    jobs.set_recorder(None)


@pytest.mark.django_db
def test_the_job_records_a_queued_run_for_the_fire_time_it_was_given_not_now():
    user = make_user()
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)

    jobs.execute_work_order_scraping(user.pk, scheduled_for=hour)

    run = ScrapeRun.objects.get()
    assert (run.trigger, run.status, run.scheduled_for) == (Trigger.SCHEDULED, RunStatus.QUEUED, hour)


@pytest.mark.django_db
def test_recording_the_same_user_and_hour_twice_keeps_one_run():
    user = make_user()
    hour = datetime(2026, 7, 1, 14, tzinfo=UTC)

    jobs.execute_work_order_scraping(user.pk, scheduled_for=hour)
    jobs.execute_work_order_scraping(user.pk, scheduled_for=hour)

    assert ScrapeRun.objects.filter(user=user, scheduled_for=hour).count() == 1


@pytest.mark.django_db
def test_a_fire_before_the_scheduler_became_active_is_a_catch_up():
    user = make_user()
    started = timezone.now()
    jobs.set_recorder(jobs.RunRecorder(started_at=started))
    recorder = jobs._recorder
    try:
        jobs.execute_work_order_scraping(user.pk, scheduled_for=started - timedelta(minutes=2))
        request = recorder._pending.popleft()
    finally:
        jobs.set_recorder(None)

    assert request.trigger == Trigger.CATCH_UP


@pytest.mark.django_db(transaction=True)
def test_the_executor_passes_the_fire_time_and_records_a_fire_past_its_grace_as_missed(mirrored_scheduler):
    user = make_user()
    scheduler = mirrored_scheduler()
    job = scheduler.add_job(
        jobs.JOB_FUNCTION, DateTrigger(datetime(2030, 1, 1, tzinfo=UTC)), args=[user.pk], id="x", misfire_grace_time=60
    )
    executor = scheduler._lookup_executor("default")
    on_time = datetime.now(UTC).replace(microsecond=0)
    too_late = on_time - timedelta(hours=2)

    executor.submit_job(job, [on_time])
    executor.submit_job(job, [too_late])

    runs = {r.scheduled_for: r for r in ScrapeRun.objects.all()}
    assert runs[on_time].status == RunStatus.QUEUED
    assert runs[too_late].status == RunStatus.MISSED
    assert runs[too_late].error_code == "missed"


@pytest.mark.django_db(transaction=True)
def test_the_store_writes_jobs_behind_the_loop_and_reloads_them(mirrored_scheduler):
    user = make_schedulable_user()
    scheduler = mirrored_scheduler()
    jobs_reconcile(scheduler)
    store = scheduler._lookup_jobstore("default")
    store.flush()

    row = DjangoJob.objects.get(id=f"work_orders_{user.pk}")
    assert row.next_run_time == scheduler.get_job(row.id).next_run_time
    scheduler.shutdown(wait=False)

    reloaded = mirrored_scheduler()
    assert [j.id for j in reloaded.get_jobs()] == [row.id]


@pytest.mark.django_db(transaction=True)
def test_a_stored_job_that_no_longer_unpickles_is_recreated_by_reconcile(mirrored_scheduler):
    user = make_schedulable_user()
    broken_state = pickle.dumps({"version": 1, "func": "scheduling.gone:moved_away", "id": "x"})
    DjangoJob.objects.create(id=f"work_orders_{user.pk}", next_run_time=timezone.now(), job_state=broken_state)

    scheduler = mirrored_scheduler()
    assert scheduler.get_jobs() == []  # the store dropped it, as django-apscheduler#179 does

    report = jobs_reconcile(scheduler)
    scheduler._lookup_jobstore("default").flush()

    assert report.added == 1
    job_state = pickle.loads(DjangoJob.objects.get(id=f"work_orders_{user.pk}").job_state)  # noqa: S301
    assert job_state["func"] == jobs.JOB_FUNCTION


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_1000_due_jobs_loses_none(mirrored_scheduler):
    """SQLite with WAL + IMMEDIATE (and PostgreSQL): every one of 1,000 simultaneous fires is recorded."""
    User.objects.bulk_create([User(username=f"burst{n}", password="!") for n in range(1000)])
    user_ids = list(User.objects.values_list("pk", flat=True))
    scheduler = mirrored_scheduler()
    recorder = jobs.RunRecorder(started_at=timezone.now() - timedelta(minutes=1))
    jobs.set_recorder(recorder)
    recorder.start()
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    for user_id in user_ids:
        scheduler.add_job(
            jobs.JOB_FUNCTION, DateTrigger(due), args=[user_id], id=jobs.job_id(user_id), misfire_grace_time=300
        )
    scheduler.resume()

    wait_for(lambda: ScrapeRun.objects.count() >= 1000, timeout=60, what="1,000 runs")
    time.sleep(0.5)
    recorder.stop()

    assert ScrapeRun.objects.count() == 1000
    assert set(ScrapeRun.objects.values_list("user_id", flat=True)) == set(user_ids)
    assert set(ScrapeRun.objects.values_list("scheduled_for", flat=True)) == {due}
    assert connection.vendor in {"sqlite", "postgresql"}
