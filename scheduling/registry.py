"""Reconcile the scheduler's jobs with the database, the source of truth, by difference.

One job per schedulable user (schedule enabled and credentials passing pre-flight), id
``work_orders_<user_id>``. A full reconcile runs at start-up and periodically as a backup; a
change notification reconciles just that user. Only jobs that differ are touched: re-adding all
10,000 jobs with replace_existing took 26 s on PostgreSQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings

from accounts.models import User
from scheduling import jobs
from scheduling.schedule import user_trigger
from scheduling.services import user_is_schedulable

logger = logging.getLogger(__name__)


def misfire_grace_time() -> int:
    """300 s: a fire up to five minutes late (a restart) still runs; later ones are missed."""
    return settings.SCHEDULER_MISFIRE_GRACE_SECONDS


def job_trigger(user: User) -> CronTrigger:
    """The user's trigger; tests and benchmarks may make it fire every few seconds instead
    (settings.SCHEDULER_TEST_SECOND_FIELD, e.g. "*/5"), in the user's zone all the same."""
    second = settings.SCHEDULER_TEST_SECOND_FIELD
    if second:
        return CronTrigger(second=second, timezone=user.zone)
    return user_trigger(user)


def job_options(user: User) -> dict:
    """Everything ``add_job`` gets for a user (also what a stored job is compared against)."""
    return {
        "func": jobs.JOB_FUNCTION,
        "args": [user.pk],
        "id": jobs.job_id(user.pk),
        "name": f"work orders of {user.username}",
        "trigger": job_trigger(user),
        "misfire_grace_time": misfire_grace_time(),
        "coalesce": True,
        "max_instances": 1,
        "replace_existing": True,
    }


def _trigger_key(trigger) -> tuple[str, str]:
    return (str(trigger), str(getattr(trigger, "timezone", "")))


def _job_matches(job, options: dict) -> bool:
    return (
        _trigger_key(job.trigger) == _trigger_key(options["trigger"])
        and job.func_ref == options["func"]
        and list(job.args) == options["args"]
        and job.misfire_grace_time == options["misfire_grace_time"]
        and job.coalesce == options["coalesce"]
        and job.max_instances == options["max_instances"]
    )


@dataclass
class ReconcileReport:
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"added={self.added} removed={self.removed} changed={self.changed} unchanged={self.unchanged}"


def _apply(scheduler: BaseScheduler, user: User | None, job, report: ReconcileReport) -> None:
    if user is None or not user_is_schedulable(user):
        if job is not None:
            scheduler.remove_job(job.id)
            report.removed += 1
        return
    options = job_options(user)
    if job is None:
        scheduler.add_job(**options)
        report.added += 1
    elif _job_matches(job, options):
        report.unchanged += 1
    else:
        # A new trigger (zone, active hours) starts from now: no catch-up of the old schedule.
        scheduler.add_job(**options)
        report.changed += 1


def jobs_reconcile(scheduler: BaseScheduler) -> ReconcileReport:
    """Make the scheduler's jobs match the database for every user."""
    report = ReconcileReport()
    existing = {job.id: job for job in scheduler.get_jobs() if jobs.user_id_of(job.id) is not None}
    seen: set[str] = set()
    # Users without an enabled schedule or without saved secrets cannot pass pre-flight: skip them
    # (their jobs, if any, are removed below) rather than check and log each of them.
    candidates = User.objects.filter(schedule_enabled=True).exclude(portal_account__password_ciphertext="")
    for user in candidates.filter(portal_account__isnull=False).order_by("pk").iterator(chunk_size=2000):
        job_id = jobs.job_id(user.pk)
        seen.add(job_id)
        _apply(scheduler, user, existing.get(job_id), report)
    for job_id, job in existing.items():
        if job_id not in seen:
            _apply(scheduler, None, job, report)
    logger.info("jobs reconciled %s", report)
    return report


def user_job_sync(scheduler: BaseScheduler, user_id: int) -> ReconcileReport:
    """Reconcile one user's job after a change notification."""
    report = ReconcileReport()
    user = User.objects.filter(pk=user_id).first()
    _apply(scheduler, user, scheduler.get_job(jobs.job_id(user_id)), report)
    if report.added or report.removed or report.changed:
        logger.info("job reconciled user_id=%s %s", user_id, report)
    return report
