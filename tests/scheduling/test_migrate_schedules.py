"""migrate_schedules: the legacy polling daemon's table → on-the-hour schedules."""

from __future__ import annotations

import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from tests.factories import make_user
from tests.scheduling.conftest import make_schedulable_user

pytestmark = pytest.mark.django_db

DDL = """CREATE TABLE scrape_schedule (
    user_id integer PRIMARY KEY, active boolean NOT NULL, interval_minutes integer NOT NULL,
    next_run_at timestamp NULL, last_run_at timestamp NULL)"""


@pytest.fixture
def legacy():
    """Builds the legacy table in the test database with the rows given."""

    def build(rows, cursor=None):
        own = cursor is None
        cursor = cursor or connection.cursor()
        cursor.execute(DDL)
        for row in rows:
            cursor.execute(
                "INSERT INTO scrape_schedule VALUES (%s, %s, %s, %s, %s)"
                if own
                else "INSERT INTO scrape_schedule VALUES (?, ?, ?, ?, ?)",
                row,
            )

    return build


def users():
    hourly = make_schedulable_user(timezone="America/New_York", schedule_enabled=False)
    inactive = make_schedulable_user(timezone="UTC")
    half_hourly = make_schedulable_user()
    no_credentials = make_user()
    return hourly, inactive, half_hourly, no_credentials


def rows_for(hourly, inactive, half_hourly, no_credentials):
    return [
        (hourly.pk, True, 60, "2026-07-01 14:00:37", "2026-07-01 13:00:41"),
        (inactive.pk, False, 60, None, "2026-06-01 10:00:00"),
        (half_hourly.pk, True, 30, "2026-07-01 14:30:00", None),
        (no_credentials.pk, True, 60, "2026-07-01 14:00:00", None),
        (987654, True, 60, "2026-07-01 14:00:00", None),
    ]


def run(*args) -> str:
    out = StringIO()
    call_command("migrate_schedules", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_shows_old_and_new_next_runs_and_changes_nothing(legacy):
    hourly, inactive, half_hourly, no_credentials = users()
    legacy(rows_for(hourly, inactive, half_hourly, no_credentials))

    output = run("--dry-run")

    assert "DRY RUN" in output
    line = next(li for li in output.splitlines() if f"user {hourly.pk} " in li)
    assert "would schedule" in line
    assert "old next run 2026-07-01 14:00 UTC" in line
    assert "new next run " in line and ":00:00" in line and "(America/New_York)" in line
    assert "would pause" in output
    assert "NOT MIGRATED: non-hourly interval" in output and "every 30 min" in output
    assert "NOT MIGRATED: credentials fail pre-flight" in output and "missing" in output
    assert "user 987654: NOT MIGRATED: unknown user" in output
    hourly.refresh_from_db()
    inactive.refresh_from_db()
    assert hourly.schedule_enabled is False and inactive.schedule_enabled is True


def test_a_real_run_migrates_reports_the_rest_keeps_the_legacy_rows_and_can_run_again(legacy):
    hourly, inactive, half_hourly, no_credentials = users()
    legacy(rows_for(hourly, inactive, half_hourly, no_credentials))

    first = run()
    second = run()

    hourly.refresh_from_db()
    inactive.refresh_from_db()
    half_hourly.refresh_from_db()
    assert (hourly.schedule_enabled, inactive.schedule_enabled, half_hourly.schedule_enabled) == (True, False, True)
    assert inactive.schedule_paused_reason == ""
    assert "2 migrated, 3 need attention" in first
    assert "already scheduled" in second and "already paused" in second
    assert "2 migrated, 3 need attention" in second
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM scrape_schedule")
        assert cursor.fetchone()[0] == 5
    assert not User.objects.filter(pk=987654).exists()


def test_it_reads_the_legacy_table_from_another_database(legacy, tmp_path):
    hourly, inactive, half_hourly, no_credentials = users()
    path = tmp_path / "legacy.sqlite3"
    with sqlite3.connect(path) as conn:
        legacy(rows_for(hourly, inactive, half_hourly, no_credentials), cursor=conn.cursor())

    output = run("--source", f"sqlite:///{path}")

    assert "2 migrated, 3 need attention" in output
    hourly.refresh_from_db()
    assert hourly.schedule_enabled is True
