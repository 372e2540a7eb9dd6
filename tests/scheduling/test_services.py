"""What the web app asks of the scheduler: its state, Sync now, auto-pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from credentials.services import credentials_clear, credentials_record_check
from scheduling.models import RunStatus, ScrapeRun, Trigger
from scheduling.services import (
    SyncRefused,
    run_sync_now,
    schedule_auto_pause_if_rejected,
    schedule_resume_after_login_check,
    schedule_state,
)
from tests.factories import make_run, make_user
from tests.scheduling.conftest import make_schedulable_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 1, 14, 20, tzinfo=UTC)


def test_an_enabled_user_with_good_credentials_is_active_with_the_next_five_runs_in_their_zone():
    user = make_schedulable_user(timezone="Asia/Kolkata")

    state = schedule_state(user=user, now=NOW)

    assert (state.state, state.reason, state.zone_name) == ("active", "", "Asia/Kolkata")
    assert state.next_run == datetime(2026, 7, 1, 14, 30, tzinfo=UTC)
    assert len(state.next_runs) == 5
    assert state.next_runs[1] == datetime(2026, 7, 1, 15, 30, tzinfo=UTC)


def test_it_refuses_to_schedule_without_readable_credentials_and_says_why():
    user = make_schedulable_user()
    credentials_clear(user=user)

    state = schedule_state(user=user, now=NOW)

    assert state.state == "needs_credentials"
    assert state.reason.startswith("Invalid credentials — cannot schedule: ")
    assert "No portal credentials" in state.reason
    assert state.next_run is None and state.next_runs == []


def test_a_user_pause_and_an_automatic_pause_read_differently():
    paused = make_schedulable_user(schedule_enabled=False)
    auto = make_schedulable_user(schedule_enabled=False, schedule_paused_reason="auth_failed")

    assert schedule_state(user=paused, now=NOW).state == "paused"
    auto_state = schedule_state(user=auto, now=NOW)
    assert auto_state.state == "auto_paused"
    assert "rejected your password twice" in auto_state.reason
    assert auto_state.next_run is None


def test_sync_now_queues_a_manual_run_without_an_hour():
    user = make_schedulable_user()

    run = run_sync_now(user=user, now=NOW)

    assert (run.trigger, run.status, run.scheduled_for, run.queued_at) == (Trigger.MANUAL, RunStatus.QUEUED, None, NOW)


def test_sync_now_is_refused_while_a_run_is_in_progress():
    user = make_schedulable_user()
    make_run(user, status=RunStatus.RUNNING, trigger=Trigger.SCHEDULED)

    with pytest.raises(SyncRefused) as refused:
        run_sync_now(user=user, now=NOW)

    assert refused.value.code == "run_in_progress"
    assert ScrapeRun.objects.count() == 1


def test_sync_now_is_refused_with_credentials_that_fail_pre_flight():
    user = make_user()

    with pytest.raises(SyncRefused) as refused:
        run_sync_now(user=user, now=NOW)

    assert refused.value.code == "credentials_invalid"
    assert "No portal credentials" in refused.value.message
    assert not ScrapeRun.objects.exists()


def finished(user, code: str, n: int) -> ScrapeRun:
    return make_run(
        user,
        status=RunStatus.FAILED if code else RunStatus.SUCCEEDED,
        error_code=code,
        finished_at=datetime(2026, 7, 1, n, tzinfo=UTC),
    )


def test_it_pauses_itself_after_two_rejected_passwords_in_a_row():
    user = make_schedulable_user()
    finished(user, "", 1)
    finished(user, "auth_failed", 2)
    assert schedule_auto_pause_if_rejected(user_id=user.pk) is False

    finished(user, "auth_failed", 3)
    assert schedule_auto_pause_if_rejected(user_id=user.pk) is True

    user.refresh_from_db()
    assert (user.schedule_enabled, user.schedule_paused_reason) == (False, "auth_failed")
    assert schedule_state(user=user, now=NOW).state == "auto_paused"


def test_a_pre_flight_refusal_of_the_already_rejected_password_counts_as_the_second_rejection():
    user = make_schedulable_user()
    finished(user, "auth_failed", 1)
    credentials_record_check(user=user, ok=False, message="Invalid login", now=NOW)
    finished(user, "credentials_invalid", 2)

    assert schedule_auto_pause_if_rejected(user_id=user.pk) is True


def test_a_pre_flight_failure_for_another_reason_does_not_count_as_a_rejection():
    user = make_schedulable_user()
    finished(user, "auth_failed", 1)
    finished(user, "credentials_invalid", 2)  # e.g. undecryptable: the account is not flagged rejected

    assert schedule_auto_pause_if_rejected(user_id=user.pk) is False


def test_other_failures_do_not_pause_the_schedule():
    user = make_schedulable_user()
    finished(user, "auth_failed", 1)
    finished(user, "portal_unavailable", 2)

    assert schedule_auto_pause_if_rejected(user_id=user.pk) is False
    user.refresh_from_db()
    assert user.schedule_enabled


def test_a_passing_login_check_resumes_only_an_automatic_pause():
    auto = make_schedulable_user(schedule_enabled=False, schedule_paused_reason="auth_failed")
    chosen = make_schedulable_user(schedule_enabled=False)

    assert schedule_resume_after_login_check(user=auto, now=NOW, ok=False) is False
    assert schedule_resume_after_login_check(user=auto, now=NOW) is True
    assert schedule_resume_after_login_check(user=chosen, now=NOW) is False

    auto.refresh_from_db()
    chosen.refresh_from_db()
    assert (auto.schedule_enabled, auto.schedule_paused_reason) == (True, "")
    assert chosen.schedule_enabled is False


def test_a_password_rejected_once_still_shows_the_schedule_as_active():
    user = make_schedulable_user()
    credentials_record_check(user=user, ok=False, message="Invalid login", now=NOW)

    assert schedule_state(user=user, now=NOW).state == "active"
