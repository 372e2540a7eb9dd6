"""One scheduler process: stand by for the leader lock, then run the BlockingScheduler.

``runscheduler`` runs ``SchedulerService.run()`` in its main thread; ``runembedded`` runs the same
in a thread beside the web server. Threads while active:

- the APScheduler loop (``BlockingScheduler.start()``): fires jobs, which only note due runs;
- run-recorder: writes those as ScrapeRun rows in batches, then wakes the pool;
- scrape-worker-N: the pool (settings.SCRAPE_WORKERS), one browser each;
- change-listener: LISTEN/NOTIFY (or notice rows) → reconcile one user, or wake the pool;
- job-store-writer: writes job changes to the DjangoJobStore table behind the loop;
- housekeeping: heartbeat, leader-lock check, periodic full reconcile, overdue runs → missed,
  systemd watchdog, and the stop request (SIGTERM) → ``scheduler.shutdown()``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, timedelta

from apscheduler.events import EVENT_SCHEDULER_STARTED
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from scheduling import jobs
from scheduling.health import scheduler_heartbeat, scheduler_instances_prune
from scheduling.leader import leader_lock
from scheduling.models import SchedulerInstance, SchedulerNotice
from scheduling.notify import ChangeListener
from scheduling.registry import jobs_reconcile, user_job_sync
from scheduling.store import BurstBlockingScheduler, MirroredDjangoJobStore, RunDispatchExecutor
from scheduling.systemd import sd_notify, watchdog_seconds
from scheduling.workers import WorkerPool, runs_expire_overdue, runs_interrupt_orphans
from workorders.portals.browser import browser_reap_orphans

logger = logging.getLogger(__name__)

Role = SchedulerInstance.Role


class SchedulerService:
    def __init__(self, *, workers: int | None = None, sync_function=None, session_factory=None) -> None:
        self.instance_id = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = timezone.now()
        self.role = Role.STANDBY
        self.workers = workers if workers is not None else settings.SCRAPE_WORKERS
        self.sync_function = sync_function
        self.session_factory = session_factory
        self.stop_requested = threading.Event()
        self._stop_lock = threading.Lock()
        self.exit_code = 0
        self.lock = leader_lock()
        self.scheduler: BurstBlockingScheduler | None = None
        self.pool: WorkerPool | None = None
        self._housekeeping = threading.Thread(target=self._housekeeping_loop, name="housekeeping", daemon=True)

    # -- public ------------------------------------------------------------------------------
    def request_stop(self, *_args) -> None:
        """Safe from a signal handler: the housekeeping thread does the actual shutdown."""
        self.stop_requested.set()

    def run(self) -> int:
        logger.info("scheduler starting instance=%s host=%s pid=%s", self.instance_id, self.host, self.pid)
        self._beat()
        self._housekeeping.start()
        sd_notify("READY=1")
        announced = False
        while not self.stop_requested.is_set():
            if self.lock.try_acquire():
                break
            if not announced:
                logger.info("another scheduler is active; standing by instance=%s", self.instance_id)
                sd_notify("STATUS=Hot standby: waiting for the active scheduler's lock")
                announced = True
            self.stop_requested.wait(settings.SCHEDULER_STANDBY_POLL_SECONDS)
        if not self.stop_requested.is_set():
            self._lead()
        self.role = Role.STOPPED
        self._beat()
        self.lock.release()
        close_old_connections()
        logger.info("scheduler stopped instance=%s exit_code=%s", self.instance_id, self.exit_code)
        return self.exit_code

    # -- active ------------------------------------------------------------------------------
    def _lead(self) -> None:
        now = timezone.now()
        logger.info("scheduler is active instance=%s", self.instance_id)
        sd_notify("STATUS=Active scheduler")
        # We hold the lock, so nobody else is running anything: a run left running died with
        # its scheduler. Queued runs stay queued and the pool takes them.
        runs_interrupt_orphans(now=now)
        # Browsers of a scheduler killed with kill -9 outlive it; nobody else would quit them.
        browser_reap_orphans()
        pool = WorkerPool(size=self.workers, sync_function=self.sync_function, session_factory=self.session_factory)
        recorder = jobs.RunRecorder(on_recorded=pool.wake, started_at=now)
        scheduler = BurstBlockingScheduler(
            timezone=UTC,
            jobstores={"default": MirroredDjangoJobStore()},
            executors={"default": RunDispatchExecutor()},
        )
        listener = ChangeListener(handle=self._on_change, on_gap=self._reconcile)
        self.scheduler, self.pool = scheduler, pool

        def on_started(_event) -> None:
            # The store has loaded the jobs and the loop has not run yet: reconcile first, so a
            # job dropped by the store (no longer unpickles) is back before anything fires.
            # Listen first, then reconcile: a change committed in between is seen either way.
            listener.start()
            listener.ready.wait(5)
            self._reconcile()
            pool.wake()
            self.role = Role.ACTIVE
            self._beat()
            if self.stop_requested.is_set():
                # Asked to stop while starting, before housekeeping could see a running scheduler.
                self._stop_scheduler()

        scheduler.add_listener(on_started, EVENT_SCHEDULER_STARTED)
        jobs.set_recorder(recorder)
        recorder.start()
        pool.start()
        try:
            if not self.stop_requested.is_set():
                scheduler.start()  # blocks until shutdown() (housekeeping, on stop or lost lock)
        finally:
            sd_notify("STOPPING=1")
            logger.info("scheduler stopping: no more fires; waiting for running scrapes")
            listener.stop()
            recorder.wait_idle(5)
            recorder.stop()
            jobs.set_recorder(None)
            finished = pool.stop(timeout=settings.SCHEDULER_SHUTDOWN_TIMEOUT)
            if not finished:
                logger.warning("scrapes still running at the shutdown timeout; marking them interrupted")
            close_old_connections()
            runs_interrupt_orphans(now=timezone.now(), worker_prefix=pool.worker_prefix)

    def _stop_scheduler(self) -> None:
        with self._stop_lock:
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=False)

    def _reconcile(self) -> None:
        if self.scheduler is None:
            return
        close_old_connections()
        try:
            jobs_reconcile(self.scheduler)
        except Exception:
            logger.exception("reconcile failed")

    def _on_change(self, kind: str, object_id: int) -> None:
        if kind == "user" and self.scheduler is not None:
            user_job_sync(self.scheduler, object_id)
        elif kind == "run" and self.pool is not None:
            self.pool.wake()

    # -- housekeeping ------------------------------------------------------------------------
    def _beat(self) -> None:
        jobs_scheduled, next_fire = 0, None
        scheduler = self.scheduler
        if self.role == Role.ACTIVE and scheduler is not None and scheduler.running:
            store = scheduler._lookup_jobstore("default")
            all_jobs = store.get_all_jobs()
            jobs_scheduled = len(all_jobs)
            next_fire = store.get_next_run_time()
        try:
            close_old_connections()
            scheduler_heartbeat(
                instance_id=self.instance_id,
                host=self.host,
                pid=self.pid,
                role=self.role,
                started_at=self.started_at,
                jobs_scheduled=jobs_scheduled,
                next_fire_at=next_fire,
                now=timezone.now(),
            )
        except Exception as exc:
            logger.warning("heartbeat failed error=%s", exc)
            connection.close()

    def _fire_is_near(self, *, seconds: float) -> bool:
        """A full reconcile checks every user's credentials: keep it away from the top of the
        hour, where it would compete with the burst of due jobs for the interpreter."""
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return False
        next_fire = scheduler._lookup_jobstore("default").get_next_run_time()
        return next_fire is not None and (next_fire - timezone.now()).total_seconds() < seconds

    def _housekeeping_loop(self) -> None:
        try:
            self._housekeep()
        finally:
            connection.close()

    def _housekeep(self) -> None:
        interval = settings.SCHEDULER_HEARTBEAT_SECONDS
        watchdog = watchdog_seconds()
        if watchdog:
            interval = min(interval, watchdog)
        last_reconcile = time.monotonic()
        last_prune = 0.0
        while True:
            self.stop_requested.wait(interval)
            if self.stop_requested.is_set():
                self._stop_scheduler()
                return
            self._beat()
            if watchdog:
                sd_notify("WATCHDOG=1")
            if self.role != Role.ACTIVE:
                continue
            if not self.lock.still_held():
                logger.error("leader lock lost to another scheduler; stopping this one")
                self.exit_code = 1
                self.stop_requested.set()
                continue
            try:
                close_old_connections()
                runs_expire_overdue(now=timezone.now())
                due = time.monotonic() - last_reconcile >= settings.SCHEDULER_RECONCILE_SECONDS
                if due and not self._fire_is_near(seconds=30):
                    last_reconcile = time.monotonic()
                    self._reconcile()
                if time.monotonic() - last_prune >= 3600:
                    last_prune = time.monotonic()
                    now = timezone.now()
                    scheduler_instances_prune(now=now)
                    SchedulerNotice.objects.filter(created_at__lt=now - timedelta(hours=1)).delete()
            except Exception as exc:
                logger.warning("housekeeping failed error=%s", exc)
                connection.close()
