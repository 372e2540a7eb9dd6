"""Moving schedules from the old polling daemon's ``scrape_schedule`` table (docs/operations.md).

The legacy table (read only, never written or deleted):

    scrape_schedule(user_id integer, active boolean, interval_minutes integer,
                    next_run_at timestamp, last_run_at timestamp)

Naive timestamps are read as UTC (the daemon wrote UTC). Only hourly rows (60 minutes) map onto
the new on-the-hour schedule; anything else is reported, not guessed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from accounts.models import User
from credentials.services import validate_credentials
from scheduling.schedule import next_fire_times

logger = logging.getLogger(__name__)

LEGACY_TABLE = "scrape_schedule"
COLUMNS = "user_id, active, interval_minutes, next_run_at, last_run_at"


@dataclass(frozen=True)
class LegacyRow:
    user_id: int
    active: bool
    interval_minutes: int | None
    next_run_at: datetime | None
    last_run_at: datetime | None


@dataclass(frozen=True)
class MigrationLine:
    """What happened (or, in a dry run, would happen) to one legacy row.

    ``outcome``: "scheduled", "already_scheduled", "paused", "already_paused" (migrated), or
    "unknown_user", "non_hourly", "preflight_failed" (reported, the user is left untouched).
    """

    row: LegacyRow
    outcome: str
    user: User | None = None
    new_next_run: datetime | None = None
    detail: str = ""

    @property
    def migrated(self) -> bool:
        return self.outcome in {"scheduled", "already_scheduled", "paused", "already_paused"}


def _as_datetime(value) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
        if value is None:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _rows_from_cursor(cursor, table: str) -> list[LegacyRow]:
    # The table name is an operator-given identifier, not data: quote it, never interpolate values.
    quoted = '"' + table.replace('"', '""') + '"'
    cursor.execute(f"SELECT {COLUMNS} FROM {quoted} ORDER BY user_id")  # noqa: S608
    return [
        LegacyRow(
            user_id=int(user_id),
            active=bool(active),
            interval_minutes=int(interval) if interval is not None else None,
            next_run_at=_as_datetime(next_run),
            last_run_at=_as_datetime(last_run),
        )
        for user_id, active, interval, next_run, last_run in cursor.fetchall()
    ]


def legacy_rows(*, source: str | None = None, table: str = LEGACY_TABLE) -> list[LegacyRow]:
    """Read the legacy schedules from this database, or from the ``source`` DATABASE URL."""
    if not source:
        with connection.cursor() as cursor:
            return _rows_from_cursor(cursor, table)
    import dj_database_url

    config = dj_database_url.parse(source)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        import sqlite3

        with sqlite3.connect(config["NAME"]) as conn:
            return _rows_from_cursor(conn.cursor(), table)
    if config["ENGINE"] == "django.db.backends.postgresql":
        import psycopg
        from psycopg.conninfo import make_conninfo

        params = {
            "dbname": config.get("NAME"),
            "user": config.get("USER"),
            "password": config.get("PASSWORD"),
            "host": config.get("HOST"),
            "port": str(config.get("PORT") or ""),
        }
        with psycopg.connect(make_conninfo(**{k: v for k, v in params.items() if v})) as conn:
            return _rows_from_cursor(conn.cursor(), table)
    raise ValueError(f"unsupported --source database engine {config['ENGINE']}")


def schedule_migrate_row(*, row: LegacyRow, now: datetime, dry_run: bool) -> MigrationLine:
    """Apply one legacy row to its user (unless ``dry_run``). Idempotent."""
    user = User.objects.filter(pk=row.user_id).first()
    if user is None:
        return MigrationLine(row=row, outcome="unknown_user", detail="no user with this id")
    if not row.active:
        outcome = "already_paused" if not user.schedule_enabled else "paused"
        if outcome == "paused" and not dry_run:
            with transaction.atomic():
                user.schedule_enabled = False
                user.schedule_paused_reason = ""
                user.save(update_fields=["schedule_enabled", "schedule_paused_reason"])
        return MigrationLine(row=row, outcome=outcome, user=user, detail="inactive in the legacy table")
    if row.interval_minutes != 60:
        return MigrationLine(
            row=row,
            outcome="non_hourly",
            user=user,
            detail=f"every {row.interval_minutes} min is not hourly; set this user's schedule by hand",
        )
    check = validate_credentials(user)
    if not check.ok:
        return MigrationLine(row=row, outcome="preflight_failed", user=user, detail=f"{check.code}: {check.message}")
    outcome = "already_scheduled" if user.schedule_enabled else "scheduled"
    if outcome == "scheduled" and not dry_run:
        with transaction.atomic():
            user.schedule_enabled = True
            user.schedule_paused_reason = ""
            user.save(update_fields=["schedule_enabled", "schedule_paused_reason"])
    enabled_view = User(pk=user.pk, timezone=user.timezone, schedule_enabled=True)
    for name in ("active_from_hour", "active_until_hour", "active_weekdays"):
        setattr(enabled_view, name, getattr(user, name))
    upcoming = next_fire_times(user=enabled_view, now=now, count=1)
    return MigrationLine(row=row, outcome=outcome, user=user, new_next_run=upcoming[0] if upcoming else None)


def schedules_migrate(*, rows: list[LegacyRow], now: datetime, dry_run: bool) -> list[MigrationLine]:
    lines = [schedule_migrate_row(row=row, now=now, dry_run=dry_run) for row in rows]
    logger.info(
        "legacy schedules %s rows=%s migrated=%s reported=%s",
        "checked (dry run)" if dry_run else "migrated",
        len(lines),
        sum(line.migrated for line in lines),
        sum(not line.migrated for line in lines),
    )
    return lines
