"""How a change made anywhere (web, API, admin, shell) reaches the running scheduler within 2 s.

PostgreSQL: ``NOTIFY work_order_scheduler, '<kind>:<id>'`` inside the writer's transaction, so it
is delivered exactly when (and only if) the change commits; the scheduler LISTENs on a dedicated
connection. SQLite has no NOTIFY: the writer adds a SchedulerNotice row in its transaction and the
scheduler reads new rows every half second (one indexed query on a tiny table, not the job table).
When the scheduler runs in this very process (``runembedded``) it is also told directly on commit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection, transaction

from scheduling.leader import pg_conninfo

logger = logging.getLogger(__name__)

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


class ChangeListener:
    """Receives change notifications in the scheduler process and calls ``handle(kind, id)``.

    PostgreSQL: LISTEN on a dedicated autocommit connection. Otherwise: SchedulerNotice rows,
    read every ``poll_seconds``. Either way, a notice from this very process (runembedded) comes
    through ``in_process`` at once. When the connection was lost, notifications may have been
    missed, so ``on_gap`` (a full reconcile) is called after reconnecting.
    """

    def __init__(
        self,
        *,
        handle: Callable[[str, int], None],
        on_gap: Callable[[], None],
        poll_seconds: float = 0.5,
    ) -> None:
        self.handle = handle
        self.on_gap = on_gap
        self.poll_seconds = poll_seconds
        self._inbox: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="change-listener", daemon=True)
        self._conn = None
        self.ready = threading.Event()

    def start(self) -> None:
        set_in_process_listener(self.in_process)
        self._thread.start()

    def stop(self) -> None:
        set_in_process_listener(None)
        self._stopping.set()
        self._thread.join(5)

    def in_process(self, kind: str, object_id: int) -> None:
        self._inbox.put((kind, object_id))

    def _dispatch(self, kind: str, object_id: int) -> None:
        close_old_connections()
        try:
            self.handle(kind, object_id)
        except Exception:
            logger.exception("applying a change notification failed kind=%s id=%s", kind, object_id)

    def _drain_inbox(self) -> None:
        while True:
            try:
                kind, object_id = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._dispatch(kind, object_id)

    def _run(self) -> None:
        try:
            if connection.vendor == "postgresql":
                self._run_postgres()
            else:
                self._run_notice_poll()
        finally:
            connection.close()

    def _run_postgres(self) -> None:
        import psycopg

        first = True
        while not self._stopping.is_set():
            try:
                with psycopg.connect(
                    pg_conninfo(), autocommit=True, application_name="work-order-scheduler-listen", connect_timeout=5
                ) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    if not first:
                        self.on_gap()
                    first = False
                    while not self._stopping.is_set():
                        for notice in conn.notifies(timeout=self.poll_seconds):
                            parsed = parse_payload(notice.payload)
                            if parsed:
                                self._dispatch(*parsed)
                        self._drain_inbox()
            except Exception as exc:
                if self._stopping.is_set():
                    return
                logger.warning("change listener lost its connection; reconnecting error=%s", exc)
                time.sleep(1)

    def _run_notice_poll(self) -> None:
        from scheduling.models import SchedulerNotice

        last_id = None
        while not self._stopping.is_set():
            try:
                close_old_connections()
                if last_id is None:
                    last_id = SchedulerNotice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                    self.ready.set()
                self._drain_inbox()
                for notice in SchedulerNotice.objects.filter(pk__gt=last_id).order_by("pk"):
                    last_id = notice.pk
                    self._dispatch(notice.kind, notice.object_id)
            except Exception:
                logger.exception("reading change notices failed")
            self._stopping.wait(self.poll_seconds)
