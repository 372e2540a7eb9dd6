"""The scheduled job and the hand-off it makes: record a queued run, nothing more.

APScheduler stores a reference to ``execute_work_order_scraping`` (module level, primitive
arguments) in each ``work_orders_<user_id>`` job. When it fires, the job only notes "user U is due
for hour H" and returns at once; the RunRecorder thread writes those notes as ScrapeRun rows in
batches (one INSERT for a whole burst of due users), and the worker pool — or any other consumer
of queued rows, such as Celery workers — claims them. The unique (user, scheduled_for) constraint
makes a second recording of the same hour a no-op, whoever attempts it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import close_old_connections, connection, transaction
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from scheduling.models import RunStatus, ScrapeRun, Trigger

logger = logging.getLogger(__name__)

JOB_PREFIX = "work_orders_"
JOB_FUNCTION = "scheduling.jobs:execute_work_order_scraping"
MISSED_MESSAGE = "This hour's sync could not start in time (the scheduler was not running or every worker was busy)."


def job_id(user_id: int) -> str:
    return f"{JOB_PREFIX}{user_id}"


def user_id_of(job_id_: str) -> int | None:
    if not job_id_.startswith(JOB_PREFIX):
        return None
    try:
        return int(job_id_.removeprefix(JOB_PREFIX))
    except ValueError:
        return None


@dataclass(frozen=True)
class RunRequest:
    """A due (user, hour) noted by the job, waiting to be written as a ScrapeRun row."""

    user_id: int
    scheduled_for: datetime
    trigger: str
    queued_at: datetime
    missed: bool = False

    def as_run(self) -> ScrapeRun:
        run = ScrapeRun(
            user_id=self.user_id,
            trigger=self.trigger,
            scheduled_for=self.scheduled_for.astimezone(UTC),
            status=RunStatus.QUEUED,
            queued_at=self.queued_at,
        )
        if self.missed:
            run.status = RunStatus.MISSED
            run.finished_at = self.queued_at
            run.error_code = "missed"
            run.error_message = MISSED_MESSAGE
        return run


class RunRecorder:
    """Writes RunRequests in batches on its own thread; tells ``on_recorded`` when rows exist."""

    def __init__(self, *, on_recorded: Callable[[], None] = lambda: None, started_at: datetime | None = None) -> None:
        self.on_recorded = on_recorded
        # Fires due before this scheduler became active are catch-ups of a down time.
        self.started_at = started_at or timezone.now()
        # A deque and an Event, not a Queue: appending wakes nobody, so a burst of 10,000 due
        # users is not a ping-pong of 10,000 thread switches with the scheduler thread.
        self._pending: collections.deque[RunRequest] = collections.deque()
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="run-recorder", daemon=True)
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        self._wanted.set()
        self._thread.join(timeout)

    def submit(self, request: RunRequest) -> None:
        self._idle.clear()
        self._pending.append(request)
        if not self._wanted.is_set():
            self._wanted.set()

    def wait_idle(self, timeout: float) -> bool:
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        try:
            self._record_until_stopped()
        finally:
            connection.close()

    def _record_until_stopped(self) -> None:
        while True:
            self._wanted.wait(1)
            self._wanted.clear()
            # Let a burst finish before writing: the scheduler thread is calling the jobs of every
            # user due now, and competing with it for the GIL would only make the last ones late.
            settle_until = time.monotonic() + 1.0
            seen = -1
            while len(self._pending) != seen and time.monotonic() < settle_until and not self._stopping.is_set():
                seen = len(self._pending)
                time.sleep(0.02)
            while self._pending:
                batch = [self._pending.popleft() for _ in range(min(5000, len(self._pending)))]
                self._write(batch)
                self.on_recorded()
            if not self._pending:
                self._idle.set()
            if self._stopping.is_set() and not self._pending:
                return

    def _write(self, batch: list[RunRequest]) -> None:
        for attempt in range(3):
            close_old_connections()
            try:
                runs_record(batch)
                return
            except (OperationalError, InterfaceError) as exc:
                # A connection killed under us (pg_terminate_backend, a restart): reconnect, retry.
                logger.warning("recording runs failed attempt=%s count=%s error=%s", attempt + 1, len(batch), exc)
                close_old_connections()
                connection.close()
            except Exception:
                logger.exception("recording runs failed count=%s", len(batch))
                return
        logger.error("recording runs gave up count=%s", len(batch))


def runs_record(batch: list[RunRequest]) -> None:
    """Insert the runs; a (user, hour) that already has a row is left alone (another scheduler,
    a restart or a retry recorded it first)."""
    with transaction.atomic():
        ScrapeRun.objects.bulk_create([r.as_run() for r in batch], ignore_conflicts=True)
    logger.info("runs recorded count=%s", len(batch))


_recorder: RunRecorder | None = None


def set_recorder(recorder: RunRecorder | None) -> None:
    global _recorder
    _recorder = recorder


def execute_work_order_scraping(user_id: int, scheduled_for: datetime | None = None) -> None:
    """The job: note that ``user_id`` is due for the hour APScheduler fired.

    ``scheduled_for`` is the fire time APScheduler passed to our executor (scheduling.store); when
    something else calls the job (an admin "run now", a test), it is the current local top of the
    user's hour. Returns at once in the scheduler; writes the row itself when no recorder runs.
    """
    now = timezone.now()
    if scheduled_for is None:
        scheduled_for = _current_hour(user_id, now)
        if scheduled_for is None:
            return
    recorder = _recorder
    catching_up = recorder is not None and scheduled_for < recorder.started_at
    trigger = Trigger.CATCH_UP if catching_up else Trigger.SCHEDULED
    _hand_off(RunRequest(user_id=user_id, scheduled_for=scheduled_for, trigger=trigger, queued_at=now))


def record_missed(user_id: int, scheduled_for: datetime) -> None:
    """A fire that came later than its grace time: recorded visibly as ``missed``, never run."""
    request = RunRequest(
        user_id=user_id, scheduled_for=scheduled_for, trigger=Trigger.CATCH_UP, queued_at=timezone.now(), missed=True
    )
    logger.warning("run missed user_id=%s scheduled_for=%s", user_id, scheduled_for.isoformat())
    _hand_off(request)


def _hand_off(request: RunRequest) -> None:
    """To the scheduler's recorder when one runs; otherwise written at once."""
    recorder = _recorder
    if recorder is not None:
        recorder.submit(request)
    else:
        runs_record([request])


def _current_hour(user_id: int, now: datetime) -> datetime | None:
    from accounts.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    return now.astimezone(user.zone).replace(minute=0, second=0, microsecond=0)
