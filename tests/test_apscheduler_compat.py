"""django-apscheduler 0.7.0 on this Django: migrations, DjangoJobStore with a CronTrigger, recorded
executions and the admin pages it ships. The scheduler persists jobs here, so this must hold."""

import threading
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from io import StringIO
from zoneinfo import ZoneInfo

import django
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django_apscheduler.jobstores import DjangoJobStore
from django_apscheduler.models import DjangoJob, DjangoJobExecution

from tests.factories import make_user

RAN = threading.Event()


def record_a_run() -> None:
    """The job the scheduler runs: module level, referenced by its textual path like our real jobs."""
    RAN.set()


def fail_a_run() -> None:
    raise RuntimeError("this job fails on purpose")


@pytest.fixture
def scheduler(transactional_db):
    # transactional_db: the scheduler's threads use their own connections and must see committed rows.
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_jobstore(DjangoJobStore(), "default")
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=True)


def wait_for(predicate, *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_the_pinned_versions_are_the_ones_under_test():
    assert version("django-apscheduler") == "0.7.0"
    assert django.VERSION[:2] >= (6, 1)


@pytest.mark.django_db
def test_its_migrations_are_all_applied_and_its_models_need_no_new_one():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    shipped = {name for app, name in loader.disk_migrations if app == "django_apscheduler"}
    applied = {
        name
        for app, name in MigrationRecorder.Migration.objects.values_list("app", "name")
        if app == "django_apscheduler"
    }

    assert shipped and shipped <= applied
    out = StringIO()
    call_command("makemigrations", "django_apscheduler", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_job_store_adds_looks_up_and_removes_a_cron_job(scheduler):
    zone = ZoneInfo("America/New_York")
    scheduler.add_job(
        "tests.test_apscheduler_compat:record_a_run",
        trigger=CronTrigger(minute=0, hour="7-18", day_of_week="mon-fri", timezone=zone),
        id="user-1",
        args=[],
        replace_existing=True,
        misfire_grace_time=3600,
        coalesce=True,
    )

    row = DjangoJob.objects.get(id="user-1")
    assert row.next_run_time is not None and row.next_run_time.minute == 0
    job = scheduler.get_job("user-1")
    assert job.trigger.timezone == zone
    assert str(job.trigger) == str(CronTrigger(minute=0, hour="7-18", day_of_week="mon-fri", timezone=zone))
    store_job = DjangoJobStore().lookup_job("user-1")
    assert store_job is not None and store_job.func_ref == "tests.test_apscheduler_compat:record_a_run"

    scheduler.reschedule_job("user-1", trigger=CronTrigger(minute=30, timezone=zone))
    assert DjangoJob.objects.get(id="user-1").next_run_time.minute == 30

    scheduler.remove_job("user-1")
    assert not DjangoJob.objects.filter(id="user-1").exists()
    assert scheduler.get_job("user-1") is None


def test_a_job_with_the_same_id_replaces_the_stored_one(scheduler):
    for hour in ("7-18", "9-17"):
        scheduler.add_job(
            "tests.test_apscheduler_compat:record_a_run",
            trigger=CronTrigger(minute=0, hour=hour, timezone=UTC),
            id="user-2",
            replace_existing=True,
        )

    assert DjangoJob.objects.filter(id="user-2").count() == 1
    assert "hour='9-17'" in str(scheduler.get_job("user-2").trigger)


def test_executions_are_recorded_with_their_outcome(scheduler):
    RAN.clear()
    soon = datetime.now(UTC) + timedelta(milliseconds=200)
    # A repeating trigger: a one-off "date" job is deleted after its run, and with it its log row.
    for func, job_id in (("record_a_run", "ok-job"), ("fail_a_run", "failing-job")):
        scheduler.add_job(
            f"tests.test_apscheduler_compat:{func}",
            trigger=CronTrigger(minute=0, timezone=UTC),
            next_run_time=soon,
            id=job_id,
        )
    scheduler.resume()

    assert RAN.wait(30), "the scheduler never ran the job"
    assert wait_for(lambda: DjangoJobExecution.objects.filter(status=DjangoJobExecution.SUCCESS).exists())
    assert wait_for(lambda: DjangoJobExecution.objects.filter(status=DjangoJobExecution.ERROR).exists())
    success = DjangoJobExecution.objects.get(job_id="ok-job")
    assert success.finished is not None and success.duration is not None
    failure = DjangoJobExecution.objects.get(job_id="failing-job")
    assert "this job fails on purpose" in failure.exception


def test_its_admin_pages_render_for_a_superuser(scheduler, client):
    scheduler.add_job(
        "tests.test_apscheduler_compat:record_a_run", trigger=CronTrigger(minute=0, timezone=UTC), id="user-3"
    )
    job = DjangoJob.objects.get(id="user-3")
    DjangoJobExecution.objects.create(
        job=job,
        status=DjangoJobExecution.SUCCESS,
        run_time=datetime(2026, 3, 8, 14, 0, tzinfo=UTC),
        duration=1.5,
        finished=1.0,
    )
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))

    for url in (
        reverse("admin:django_apscheduler_djangojob_changelist"),
        reverse("admin:django_apscheduler_djangojobexecution_changelist"),
        reverse("admin:django_apscheduler_djangojob_change", args=["user-3"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "user-3" in client.get(reverse("admin:django_apscheduler_djangojob_changelist")).content.decode()
