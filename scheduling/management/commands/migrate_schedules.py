"""Move schedules from the old polling daemon's table (see scheduling/legacy.py and
docs/operations.md). Never deletes the legacy rows; safe to run again."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scheduling.display import format_next_run_with_zone
from scheduling.legacy import LEGACY_TABLE, MigrationLine, legacy_rows, schedules_migrate

DRY_RUN_WORDS = {"scheduled": "would schedule", "paused": "would pause"}
WORDS = {
    "scheduled": "scheduled",
    "already_scheduled": "already scheduled",
    "paused": "paused",
    "already_paused": "already paused",
    "unknown_user": "NOT MIGRATED: unknown user",
    "non_hourly": "NOT MIGRATED: non-hourly interval",
    "preflight_failed": "NOT MIGRATED: credentials fail pre-flight",
}


class Command(BaseCommand):
    help = "Migrate hourly schedules from the legacy polling daemon's scrape_schedule table."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; change nothing.")
        parser.add_argument("--source", default=None, help="DATABASE URL holding the legacy table (default: this one).")
        parser.add_argument("--table", default=LEGACY_TABLE)

    def handle(self, *args, dry_run: bool, source: str | None, table: str, **options) -> None:
        now = timezone.now()
        try:
            rows = legacy_rows(source=source, table=table)
        except Exception as exc:  # Django's, psycopg's or sqlite3's errors alike
            raise CommandError(f"cannot read the legacy table {table!r}: {exc}") from exc
        lines = schedules_migrate(rows=rows, now=now, dry_run=dry_run)
        self.stdout.write(f"{'DRY RUN — nothing changed. ' if dry_run else ''}{len(lines)} legacy schedule(s):")
        for line in lines:
            self.stdout.write(self.describe(line, now=now, dry_run=dry_run))
        migrated = sum(line.migrated for line in lines)
        reported = len(lines) - migrated
        self.stdout.write(f"{migrated} migrated, {reported} need attention. Legacy rows were left in place.")

    def describe(self, line: MigrationLine, *, now, dry_run: bool) -> str:
        row = line.row
        who = f"user {row.user_id}" + (f" ({line.user.username})" if line.user else "")
        old = row.next_run_at.strftime("%Y-%m-%d %H:%M UTC") if row.next_run_at else "none"
        words = (DRY_RUN_WORDS if dry_run else {}).get(line.outcome) or WORDS[line.outcome]
        text = f"  {who}: {words}; old next run {old} (every {row.interval_minutes} min)"
        if line.new_next_run is not None and line.user is not None:
            new = format_next_run_with_zone(line.new_next_run, now=now, tz=line.user.zone)
            text += f" → new next run {new} [{line.new_next_run.isoformat()}] ({line.user.timezone})"
        if line.detail:
            text += f" — {line.detail}"
        return text
