"""A DjangoJobStore that keeps up with 10,000 jobs due at the same instant, and the executor that
passes each job its scheduled fire time.

Stock DjangoJobStore spends ~90% of the scheduler thread's loop in ``update_job`` (3 transactions,
5 statements per due job), so 10,000 users due at 14:00 started up to 33 s late. Only the active
scheduler (it holds the leader lock) ever touches the job table, so this store keeps the jobs in
memory — every read the scheduler loop makes is served from a MemoryJobStore — and writes changes
to the same ``django_apscheduler_djangojob`` rows behind the loop, in one transaction per batch.
The table stays the persistent record (a restart, or the standby taking over, loads it and sees
each job's last next_run_time, which is how a missed hour is caught up), but never the funnel.

Execution events are not logged to DjangoJobExecution: the ScrapeRun row is the execution record,
and the stock log's unique (job_id, run_time) hid double runs instead of preventing them.
"""

from __future__ import annotations

import logging
import pickle
import threading
from datetime import datetime

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.jobstores.memory import MemoryJobStore
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
                except Exception:
                    logger.exception("job store flush failed; retrying")
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
