"""The worker pool's claim, deadlines and clean-up after a dead scheduler."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling.models import RunStatus, Trigger
from scheduling.workers import WorkerPool, runs_expire_overdue, runs_interrupt_orphans, scrape_run_claim
from tests.factories import make_run, make_user
from tests.scheduling.conftest import wait_for


class FakeSession:
    closed = False

    def close(self):
        self.closed = True


def session_recorder():
    """A session factory for the pool that keeps every session it made."""
    sessions: list[FakeSession] = []

    def factory():
        sessions.append(FakeSession())
        return sessions[-1]

    return sessions, factory


def succeed(*, run, session):
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    return run


@pytest.mark.django_db
def test_only_one_worker_can_claim_a_queued_run():
    run = make_run(make_user())
    now = timezone.now()

    first = scrape_run_claim(run_id=run.pk, worker="a", now=now)
    second = scrape_run_claim(run_id=run.pk, worker="b", now=now)

    assert first is not None and second is None
    run.refresh_from_db()
    assert (run.status, run.worker, run.started_at) == (RunStatus.RUNNING, "a", now)


@pytest.mark.django_db
def test_a_scheduled_run_that_waited_a_whole_hour_is_recorded_missed_not_started():
    now = timezone.now()
    run = make_run(make_user(), trigger=Trigger.SCHEDULED, scheduled_for=now - timedelta(hours=1, seconds=1))

    assert scrape_run_claim(run_id=run.pk, worker="a", now=now) is None

    run.refresh_from_db()
    assert (run.status, run.error_code, run.started_at) == (RunStatus.MISSED, "missed", None)


@pytest.mark.django_db
def test_overdue_queued_runs_are_swept_to_missed_and_others_left_alone():
    now = timezone.now()
    user = make_user()
    old = make_run(user, trigger=Trigger.SCHEDULED, scheduled_for=now - timedelta(hours=2))
    fresh = make_run(user, trigger=Trigger.SCHEDULED, scheduled_for=now - timedelta(minutes=5))
    manual = make_run(user, queued_at=now - timedelta(hours=3))

    assert runs_expire_overdue(now=now) == 1

    statuses = {r.pk: r.status for r in (old, fresh, manual) if not r.refresh_from_db()}
    assert statuses == {old.pk: RunStatus.MISSED, fresh.pk: RunStatus.QUEUED, manual.pk: RunStatus.QUEUED}


@pytest.mark.django_db
def test_runs_left_running_are_marked_interrupted_optionally_by_worker():
    user = make_user()
    mine = make_run(user, status=RunStatus.RUNNING, worker="host:1:w0")
    theirs = make_run(make_user(), status=RunStatus.RUNNING, worker="host:2:w0")
    done = make_run(user, status=RunStatus.SUCCEEDED)

    assert runs_interrupt_orphans(now=timezone.now(), worker_prefix="host:1") == 1
    assert runs_interrupt_orphans(now=timezone.now()) == 1

    for run in (mine, theirs, done):
        run.refresh_from_db()
    assert (mine.status, theirs.status, done.status) == (RunStatus.INTERRUPTED, RunStatus.INTERRUPTED, "succeeded")
    assert mine.error_code == "interrupted" and mine.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_pool_runs_every_queued_run_reusing_its_session():
    calls = []
    sessions, factory = session_recorder()

    def sync(*, run, session):
        calls.append((run.pk, id(session)))
        return succeed(run=run, session=session)

    user = make_user()
    runs = [make_run(user), make_run(make_user()), make_run(make_user())]
    pool = WorkerPool(size=1, sync_function=sync, session_factory=factory, poll_seconds=0.2)
    pool.start()
    pool.wake()
    try:
        wait_for(lambda: len(calls) == 3, what="three runs")
    finally:
        assert pool.stop(timeout=5)

    assert sorted(pk for pk, _ in calls) == sorted(r.pk for r in runs)
    assert len(sessions) == 1 and len({sid for _, sid in calls}) == 1
    assert sessions[0].closed


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_two_runs_of_one_user_at_once():
    # With one worker an overlap cannot happen, so the guard needs two: here two workers find two
    # queued runs of the same user at the same moment.
    running: set[int] = set()
    overlaps: list[int] = []
    finished: list[int] = []
    lock = threading.Lock()

    def sync(*, run, session):
        with lock:
            if run.user_id in running:
                overlaps.append(run.pk)
            running.add(run.user_id)
        time.sleep(0.3)  # widens the window in which a second worker could start the same user
        with lock:
            running.discard(run.user_id)
            finished.append(run.pk)
        return succeed(run=run, session=session)

    user = make_user()
    runs = [make_run(user), make_run(user)]
    pool = WorkerPool(size=2, sync_function=sync, session_factory=FakeSession, poll_seconds=0.2)
    pool.start()
    try:
        wait_for(lambda: len(finished) == 2, what="both runs of the user")
    finally:
        assert pool.stop(timeout=5)

    assert sorted(finished) == sorted(r.pk for r in runs)
    assert overlaps == []


@pytest.mark.django_db(transaction=True)
def test_a_sync_that_raises_fails_the_run_as_unexpected_and_the_pool_goes_on():
    def sync(*, run, session):
        raise RuntimeError("boom")

    run = make_run(make_user())
    pool = WorkerPool(size=1, sync_function=sync, session_factory=lambda: None, poll_seconds=0.2)
    pool.start()
    try:
        wait_for(lambda: run.__class__.objects.get(pk=run.pk).status == RunStatus.FAILED, what="failed run")
    finally:
        pool.stop(timeout=5)

    run.refresh_from_db()
    assert run.error_code == "unexpected"
    assert "RuntimeError" in run.error_message


@pytest.mark.django_db(transaction=True)
def test_the_pool_closes_its_browser_when_the_batch_is_done_and_opens_a_new_one_for_the_next():
    sessions, factory = session_recorder()
    pool = WorkerPool(size=1, sync_function=succeed, session_factory=factory, poll_seconds=0.2)
    first = make_run(make_user())
    pool.start()
    try:
        wait_for(lambda: len(sessions) == 1 and sessions[0].closed, what="the first batch's browser closed")
        # Held idle between batches it is not: the pool is still running, the browser is gone.
        assert first.__class__.objects.get(pk=first.pk).status == RunStatus.SUCCEEDED
        make_run(make_user())
        pool.wake()
        wait_for(lambda: len(sessions) == 2 and sessions[1].closed, what="a fresh browser for the next batch")
    finally:
        assert pool.stop(timeout=5)
