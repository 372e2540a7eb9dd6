"""The bounded pool of scrape workers that run queued runs.

The hand-off is a queued ScrapeRun row and nothing else: a worker claims one with a conditional
UPDATE (queued → running; "if it updated no row, another worker got there first"), runs the
sync function on it and moves on. Anything able to do that — Celery workers on other machines
with Selenium Grid browsers — could replace this pool without the scheduler or the scraper
noticing (docs/operations.md, "Replacing the pool with Celery").
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from scheduling.models import ACTIVE_STATUSES, RunStatus, ScrapeRun
from scheduling.services import schedule_auto_pause_if_rejected

logger = logging.getLogger(__name__)

INTERRUPTED_MESSAGE = "The scheduler stopped while this sync was running; the next hour will run as usual."
WAITED_TOO_LONG_MESSAGE = "This hour's sync waited for a free worker for a whole hour and was skipped."


def run_deadline() -> timedelta:
    """How long a scheduled run may wait for a worker before it is recorded as missed."""
    return timedelta(seconds=settings.SCHEDULER_RUN_DEADLINE_SECONDS)


def _runs_mark_missed(runs, *, now: datetime) -> int:
    """Record queued runs that waited past their deadline as missed (the claim and the sweep)."""
    return runs.update(
        status=RunStatus.MISSED, finished_at=now, error_code="missed", error_message=WAITED_TOO_LONG_MESSAGE
    )


def scrape_run_claim(*, run_id: int, worker: str, now: datetime) -> ScrapeRun | None:
    """Claim a queued run for ``worker``. None when someone else claimed it first, or when a
    scheduled run waited past its deadline (it is then recorded as missed instead)."""
    run = ScrapeRun.objects.filter(pk=run_id).only("pk", "scheduled_for", "status").first()
    if run is None or run.status != RunStatus.QUEUED:
        return None
    if run.scheduled_for is not None and now - run.scheduled_for >= run_deadline():
        _runs_mark_missed(ScrapeRun.objects.filter(pk=run_id, status=RunStatus.QUEUED), now=now)
        logger.warning("run missed waiting for a worker run_id=%s", run_id)
        return None
    updated = ScrapeRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, worker=worker
    )
    if updated != 1:
        return None
    return ScrapeRun.objects.select_related("user").get(pk=run_id)


def runs_interrupt_orphans(*, now: datetime, worker_prefix: str | None = None) -> int:
    """Mark runs left ``running`` (by a dead scheduler, or by this one at a forced stop) as
    interrupted. ``worker_prefix`` limits it to one process's runs."""
    runs = ScrapeRun.objects.filter(status=RunStatus.RUNNING)
    if worker_prefix:
        runs = runs.filter(worker__startswith=worker_prefix)
    count = runs.update(
        status=RunStatus.INTERRUPTED, finished_at=now, error_code="interrupted", error_message=INTERRUPTED_MESSAGE
    )
    if count:
        logger.warning("runs interrupted count=%s", count)
    return count


def runs_expire_overdue(*, now: datetime) -> int:
    """Scheduled runs still queued after their deadline are recorded as missed, visibly."""
    overdue = ScrapeRun.objects.filter(
        status=RunStatus.QUEUED, scheduled_for__isnull=False, scheduled_for__lte=now - run_deadline()
    )
    count = _runs_mark_missed(overdue, now=now)
    if count:
        logger.warning("runs missed waiting for a worker count=%s", count)
    return count


def _default_session_factory():
    from workorders.portals.browser import BrowserSession

    return BrowserSession()


class WorkerPool:
    """``size`` threads, each keeping one browser session across the consecutive runs of a batch
    and closing it as soon as nothing is queued."""

    def __init__(
        self,
        *,
        size: int,
        sync_function: Callable | None = None,
        session_factory: Callable | None = None,
        poll_seconds: float = 5,
    ) -> None:
        # 0: record runs but run none (an external worker fleet claims them; docs/operations.md).
        self.size = max(0, size)
        self.sync_function = sync_function or import_string(settings.SCHEDULER_SYNC_FUNCTION)
        self.session_factory = session_factory or _default_session_factory
        self.poll_seconds = poll_seconds
        self.worker_prefix = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = threading.Condition()
        self._wake_count = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy_users: set[int] = set()
        self._busy_lock = threading.Lock()

    def start(self) -> None:
        for n in range(self.size):
            thread = threading.Thread(target=self._loop, args=(n,), name=f"scrape-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        logger.info("worker pool started size=%s", self.size)

    def wake(self) -> None:
        with self._wake:
            self._wake_count += 1
            self._wake.notify_all()

    def stop(self, *, timeout: float) -> bool:
        """Stop claiming; wait up to ``timeout`` for running scrapes. True if all finished."""
        self._stopping.set()
        self.wake()
        deadline = timezone.now() + timedelta(seconds=timeout)
        for thread in self._threads:
            remaining = (deadline - timezone.now()).total_seconds()
            thread.join(max(0.0, remaining))
        return not any(t.is_alive() for t in self._threads)

    # -- one worker ----------------------------------------------------------------------------
    def _loop(self, n: int) -> None:
        name = f"{self.worker_prefix}:w{n}"
        session_holder: list = [None]
        try:
            while not self._stopping.is_set():
                with self._wake:
                    seen = self._wake_count
                ran = self._run_next(name, session_holder)
                if ran or self._stopping.is_set():
                    continue
                # Nothing queued: the batch is done. No browser is held idle until the next hour.
                self._release_browser(name, session_holder)
                with self._wake:
                    if self._wake_count == seen:
                        self._wake.wait(self.poll_seconds)
        finally:
            self._release_browser(name, session_holder)
            connection.close()

    @staticmethod
    def _release_browser(name: str, session_holder: list) -> None:
        session, session_holder[0] = session_holder[0], None
        if session is None:
            return
        try:
            session.close()
        except Exception:
            logger.exception("closing browser session failed worker=%s", name)

    def _candidates(self) -> list[tuple[int, int]]:
        return list(
            ScrapeRun.objects.filter(status=RunStatus.QUEUED)
            .order_by("queued_at", "pk")
            .values_list("pk", "user_id")[: self.size * 4]
        )

    def _run_next(self, name: str, session_holder: list) -> bool:
        close_old_connections()
        try:
            candidates = self._candidates()
        except Exception:
            logger.exception("looking for queued runs failed worker=%s", name)
            connection.close()
            return False
        for run_id, user_id in candidates:
            if self._stopping.is_set():
                return False
            with self._busy_lock:
                # One run per user at a time (max_instances=1 where runs actually execute).
                if user_id in self._busy_users:
                    continue
                self._busy_users.add(user_id)
            try:
                if ScrapeRun.objects.filter(user_id=user_id, status=RunStatus.RUNNING).exists():
                    continue
                run = scrape_run_claim(run_id=run_id, worker=name, now=timezone.now())
                if run is None:
                    continue
                self._execute(run, name, session_holder)
                return True
            finally:
                with self._busy_lock:
                    self._busy_users.discard(user_id)
        return False

    def _execute(self, run: ScrapeRun, name: str, session_holder: list) -> None:
        logger.info("run started run_id=%s user_id=%s trigger=%s worker=%s", run.pk, run.user_id, run.trigger, name)
        try:
            if session_holder[0] is None:
                session_holder[0] = self.session_factory()
            result = self.sync_function(run=run, session=session_holder[0])
            logger.info(
                "run finished run_id=%s user_id=%s status=%s error_code=%s",
                run.pk,
                run.user_id,
                getattr(result, "status", "?"),
                getattr(result, "error_code", ""),
            )
        except Exception as exc:
            logger.exception("run failed unexpectedly run_id=%s user_id=%s", run.pk, run.user_id)
            close_old_connections()
            ScrapeRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
                status=RunStatus.FAILED,
                finished_at=timezone.now(),
                error_code="unexpected",
                error_message=f"The sync stopped on an unexpected error ({type(exc).__name__}).",
            )
        close_old_connections()
        try:
            schedule_auto_pause_if_rejected(user_id=run.user_id)
        except Exception:
            logger.exception("auto-pause check failed user_id=%s", run.user_id)
