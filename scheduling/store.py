"""A DjangoJobStore that keeps up with 10,000 jobs due at the same instant, and the executor that
passes each job its scheduled fire time.

Stock DjangoJobStore spends ~90% of the scheduler thread's loop in ``update_job`` (3 transactions,
5 statements per due job), so 10,000 users due at 14:00 started up to 33 s late. Only the active
scheduler (it holds the leader lock) ever touches the job table, so this store keeps the jobs in
memory — every read the scheduler loop makes is served from a MemoryJobStore — and writes changes
to the same ``django_apscheduler_djangojob`` rows behind the loop, in one transaction per batch.
The table stays the persistent record (a restart, or the standby taking over, loads it and sees
each job's last next_run_time, which is how a missed hour is caught up), but never the funnel.

BurstBlockingScheduler is APScheduler 3's BlockingScheduler with one change to its loop: it first
calls every due job (the job only notes the run, see scheduling/jobs.py), then computes the next
fire times and updates the store, and it computes each distinct trigger's times once (10,000
users share a few hundred zones). The stock loop interleaves a cron computation, a pickle and a
store write between two users' jobs, so the 10,000th user started ~10,000 of those late.

Execution events are not logged to DjangoJobExecution: the ScrapeRun row is the execution record,
and the stock log's unique (job_id, run_time) hid double runs instead of preventing them.
"""

from __future__ import annotations

import gc
import logging
import pickle
import threading
from datetime import datetime, timedelta
from threading import TIMEOUT_MAX

from apscheduler.events import (
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.base import BaseExecutor, MaxInstancesReachedError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.db import close_old_connections, connection, transaction
from django_apscheduler.jobstores import DjangoJobStore
from django_apscheduler.models import DjangoJob

from scheduling import jobs

logger = logging.getLogger(__name__)

_DELETE = object()


class MirroredDjangoJobStore(DjangoJobStore):
    """DjangoJobStore whose reads come from memory and whose writes are batched (see module doc)."""

    def __init__(self, *, flush_interval: float = 0.5) -> None:
        super().__init__()
        self._memory = MemoryJobStore()
        self._pending: dict[str, object] = {}
        self._pending_lock = threading.Lock()
        self._flush_wanted = threading.Event()
        self._stopping = threading.Event()
        self._flush_interval = flush_interval
        self._flusher: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, scheduler, alias) -> None:
        super().start(scheduler, alias)
        self._memory.start(scheduler, alias)
        # Jobs that no longer unpickle are deleted here by DjangoJobStore; reconcile re-adds them.
        for job in self._get_jobs():
            self._memory.add_job(job)
        logger.info("job store loaded jobs=%s", len(self._memory.get_all_jobs()))
        self._stopping.clear()
        self._flusher = threading.Thread(target=self._flush_loop, name="job-store-writer", daemon=True)
        self._flusher.start()

    def register_event_listeners(self) -> None:
        """No DjangoJobExecution log: ScrapeRun is the execution record (see module doc)."""

    def shutdown(self) -> None:
        self._stopping.set()
        self._flush_wanted.set()
        if self._flusher is not None:
            self._flusher.join(10)
        self.flush()
        self._memory.remove_all_jobs()
        connection.close()

    # -- reads: memory -----------------------------------------------------------------------
    def lookup_job(self, job_id):
        return self._memory.lookup_job(job_id)

    def get_due_jobs(self, now):
        return self._memory.get_due_jobs(now)

    def get_next_run_time(self):
        # Called once at the end of each scheduler loop: the moment to write what the loop changed.
        self._flush_wanted.set()
        return self._memory.get_next_run_time()

    def get_all_jobs(self):
        return self._memory.get_all_jobs()

    # -- writes: memory now, table behind ----------------------------------------------------
    def add_job(self, job) -> None:
        self._memory.add_job(job)
        self._mark(job)

    def update_job(self, job) -> None:
        self._memory.update_job(job)
        self._mark(job)

    def remove_job(self, job_id) -> None:
        self._memory.remove_job(job_id)
        with self._pending_lock:
            self._pending[job_id] = _DELETE
        self._flush_wanted.set()

    def remove_all_jobs(self) -> None:
        self._memory.remove_all_jobs()
        with self._pending_lock:
            self._pending.clear()
        DjangoJob.objects.all().delete()

    def _mark(self, job) -> None:
        state = pickle.dumps(job.__getstate__(), self.pickle_protocol)
        with self._pending_lock:
            self._pending[job.id] = (job.next_run_time, state)

    # -- the writer ----------------------------------------------------------------------------
    def _flush_loop(self) -> None:
        try:
            while not self._stopping.is_set():
                self._flush_wanted.wait(self._flush_interval)
                self._flush_wanted.clear()
                try:
                    self.flush()
                except Exception as exc:
                    logger.warning("job store flush failed; retrying error=%s", exc)
        finally:
            connection.close()

    def flush(self) -> int:
        """Write pending changes in one transaction. Returns how many jobs were written."""
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        upserts = [
            DjangoJob(id=job_id, next_run_time=value[0], job_state=value[1])
            for job_id, value in pending.items()
            if value is not _DELETE
        ]
        deletes = [job_id for job_id, value in pending.items() if value is _DELETE]
        close_old_connections()
        try:
            with transaction.atomic():
                if deletes:
                    DjangoJob.objects.filter(id__in=deletes).delete()
                if upserts:
                    DjangoJob.objects.bulk_create(
                        upserts,
                        batch_size=1000,
                        update_conflicts=True,
                        unique_fields=["id"],
                        update_fields=["next_run_time", "job_state"],
                    )
        except Exception:
            # Put back what was not written, unless a newer change replaced it meanwhile.
            with self._pending_lock:
                for job_id, value in pending.items():
                    self._pending.setdefault(job_id, value)
            connection.close()
            raise
        return len(pending)


class RunDispatchExecutor(BaseExecutor):
    """Calls the job function in the scheduler thread with the fire time APScheduler computed.

    The job only hands a RunRequest to the recorder, so it returns in microseconds and no
    executor queue ever holds a due job long enough to pass its grace time. A fire later than
    ``misfire_grace_time`` (the scheduler was down) is recorded as a missed run instead.
    """

    def submit_job(self, job, run_times: list[datetime]) -> None:
        # No per-job instance count: the call is synchronous, and overlapping runs of one user are
        # prevented where runs execute (the pool runs one run per user at a time).
        self._do_submit_job(job, run_times)

    def _do_submit_job(self, job, run_times: list[datetime]) -> None:
        events = []
        user_id = job.args[0] if job.args else None
        for run_time in run_times:
            now = datetime.now(run_time.tzinfo)
            late = (now - run_time).total_seconds()
            if job.misfire_grace_time is not None and late > job.misfire_grace_time:
                if user_id is not None and job.func_ref == jobs.JOB_FUNCTION:
                    jobs.record_missed(user_id, run_time)
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, self._jobstore_alias(job), run_time))
                continue
            try:
                job.func(*job.args, scheduled_for=run_time, **job.kwargs)
            except Exception as exc:
                logger.exception("job failed job_id=%s", job.id)
                self._run_job_error(job.id, exc, None)
                return
            events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, self._jobstore_alias(job), run_time))
        for event in events:
            self._scheduler._dispatch_event(event)

    def _run_job_error(self, job_id, exc, traceback=None) -> None:
        # The base class decrements an instance count we never incremented.
        self._logger.error("Job %s raised %s", job_id, exc)

    @staticmethod
    def _jobstore_alias(job) -> str:
        return getattr(job, "_jobstore_alias", "default")


def _memo_key(trigger) -> tuple | None:
    """Identical cron triggers give identical fire times; None: do not share (jitter, others)."""
    if type(trigger) is not CronTrigger or trigger.jitter:
        return None
    return (str(trigger), str(trigger.timezone), trigger.start_date, trigger.end_date)


class BurstBlockingScheduler(BlockingScheduler):
    """BlockingScheduler whose loop calls all due jobs before any bookkeeping (see module doc)."""

    def _process_jobs(self):
        if self.state == STATE_PAUSED:
            self._logger.debug("Scheduler is paused -- not processing jobs")
            return None
        now = datetime.now(self.timezone)
        next_wakeup_time = None
        events = []
        with self._jobstores_lock:
            for jobstore_alias, jobstore in self._jobstores.items():
                try:
                    due_jobs = jobstore.get_due_jobs(now)
                except Exception as exc:
                    self._logger.warning("Error getting due jobs from job store %r: %s", jobstore_alias, exc)
                    retry_wakeup_time = now + timedelta(seconds=self.jobstore_retry_interval)
                    if not next_wakeup_time or next_wakeup_time > retry_wakeup_time:
                        next_wakeup_time = retry_wakeup_time
                    continue
                # A full garbage collection over 10,000 jobs' objects would stall the burst.
                gc_was_enabled = gc.isenabled()
                gc.disable()
                try:
                    fired = self._fire(due_jobs, jobstore_alias, now, events)
                finally:
                    if gc_was_enabled:
                        gc.enable()
                self._advance(fired, jobstore, jobstore_alias, now)
                jobstore_next_run_time = jobstore.get_next_run_time()
                if jobstore_next_run_time and (next_wakeup_time is None or jobstore_next_run_time < next_wakeup_time):
                    next_wakeup_time = jobstore_next_run_time.astimezone(self.timezone)
        for event in events:
            self._dispatch_event(event)
        if self.state == STATE_PAUSED or next_wakeup_time is None:
            return None
        wait = next_wakeup_time.timestamp() - datetime.now(self.timezone).timestamp()
        return min(max(wait, 0), TIMEOUT_MAX)

    def _fire(self, due_jobs, jobstore_alias, now, events) -> list:
        """Phase 1: hand every due job to its executor. Returns (job, last run time) pairs."""
        fired = []
        run_times_memo: dict = {}
        for job in due_jobs:
            try:
                executor = self._lookup_executor(job.executor)
            except BaseException:
                self._logger.error('Executor lookup ("%s") failed for job "%s" -- removing it', job.executor, job)
                self.remove_job(job.id, jobstore_alias)
                continue
            key = _memo_key(job.trigger)
            if key is None:
                run_times = job._get_run_times(now)
            else:
                memo = (key, job.next_run_time)
                if memo not in run_times_memo:
                    run_times_memo[memo] = job._get_run_times(now)
                run_times = run_times_memo[memo]
            run_times = run_times[-1:] if run_times and job.coalesce else run_times
            if not run_times:
                continue
            try:
                executor.submit_job(job, run_times)
            except MaxInstancesReachedError:
                self._logger.warning('Execution of job "%s" skipped: maximum number of running instances', job)
                events.append(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, jobstore_alias, run_times))
            except BaseException:
                self._logger.exception('Error submitting job "%s" to executor "%s"', job, job.executor)
            else:
                events.append(JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, jobstore_alias, run_times))
            fired.append((job, run_times[-1]))
        return fired

    def _advance(self, fired, jobstore, jobstore_alias, now) -> None:
        """Phase 2: each fired job's next run time (once per distinct trigger), into the store."""
        next_memo: dict = {}
        for job, last in fired:
            key = _memo_key(job.trigger)
            if key is None:
                job_next_run = job.trigger.get_next_fire_time(last, now)
            else:
                memo = (key, last)
                if memo not in next_memo:
                    next_memo[memo] = job.trigger.get_next_fire_time(last, now)
                job_next_run = next_memo[memo]
            if job_next_run:
                job._modify(next_run_time=job_next_run)
                jobstore.update_job(job)
            else:
                self.remove_job(job.id, jobstore_alias)
