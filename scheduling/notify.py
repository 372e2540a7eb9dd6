"""How a change made anywhere (web, API, admin, shell) reaches the running scheduler within 2 s.

PostgreSQL: ``NOTIFY work_order_scheduler, '<kind>:<id>'`` inside the writer's transaction, so it
is delivered exactly when (and only if) the change commits; the scheduler LISTENs on a dedicated
connection. SQLite has no NOTIFY: the writer adds a SchedulerNotice row in its transaction and the
scheduler reads new rows every half second (one indexed query on a tiny table, not the job table).
When the scheduler runs in this very process (``runembedded``) it is also told directly on commit.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction

CHANNEL = "work_order_scheduler"

# Set by a scheduler running in this process; called with (kind, object_id) after commit.
_in_process_listener: Callable[[str, int], None] | None = None


def set_in_process_listener(listener: Callable[[str, int], None] | None) -> None:
    global _in_process_listener
    _in_process_listener = listener


def scheduler_notify(*, kind: str, object_id: int) -> None:
    """Tell the scheduler that a user's schedule (kind "user") or a run (kind "run") changed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, f"{kind}:{object_id}"])
    else:
        from scheduling.models import SchedulerNotice

        SchedulerNotice.objects.create(kind=kind, object_id=object_id)
    listener = _in_process_listener
    if listener is not None:
        transaction.on_commit(lambda: listener(kind, object_id))


def parse_payload(payload: str) -> tuple[str, int] | None:
    kind, _, raw_id = payload.partition(":")
    try:
        return kind, int(raw_id)
    except ValueError:
        return None
