"""Scheduler test helpers: real ``manage.py runscheduler`` subprocesses on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from accounts.models import User
from tests.factories import make_portal_account, make_user

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # make_user hashes a web password; the default hasher's slowness would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def wait_for(predicate: Callable[[], object], *, timeout: float = 20, interval: float = 0.1, what: str = "") -> object:
    """Poll until ``predicate()`` is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        close_old_connections()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def subprocess_database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    auth = params["USER"] + (f":{params['PASSWORD']}" if params.get("PASSWORD") else "")
    return f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


class SchedulerProcess:
    def __init__(self, *, env: dict[str, str], log_path: Path, args: list[str]) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runscheduler", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self._log.close()


@pytest.fixture
def start_scheduler(transactional_db, tmp_path, settings):
    """Start ``runscheduler`` subprocesses on the test database; all are killed afterwards.

    The processes share one VAR_DIR (so one SQLite lock file) and the test credential key. The
    sync is the fast fake unless ``real_sync=True``; the cron trigger fires every 2 seconds.
    """
    processes: list[SchedulerProcess] = []

    def start(*, real_sync: bool = False, args: list[str] | None = None, **overrides: str) -> SchedulerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": subprocess_database_url(),
            "CREDENTIAL_KEYS": ",".join(settings.CREDENTIAL_KEYS),
            "VAR_DIR": str(tmp_path),
            "SCHEDULER_HEARTBEAT_SECONDS": "1",
            "SCHEDULER_TEST_SECOND_FIELD": "*/2",
            "PYTHONUNBUFFERED": "1",
        }
        if not real_sync:
            env["SCHEDULER_SYNC_FUNCTION"] = "tests.scheduling.fakes.fast_sync"
        env.update(overrides)
        process = SchedulerProcess(env=env, log_path=tmp_path / f"scheduler-{len(processes)}.log", args=args or [])
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.close()
    close_old_connections()


def wait_active(process: SchedulerProcess, *, timeout: float = 30):
    from scheduling.models import SchedulerInstance

    def active():
        if process.proc.poll() is not None:
            raise AssertionError(f"scheduler exited with {process.proc.returncode}:\n{process.log()}")
        return SchedulerInstance.objects.filter(pid=process.pid, role="active", jobs_scheduled__gte=0).first()

    # The "active" beat is written after the first reconcile, so jobs exist by then.
    return wait_for(active, timeout=timeout, what=f"scheduler pid={process.pid} to become active")


def make_schedulable_user(**fields) -> User:
    user = make_user(**fields)
    make_portal_account(user)
    return user
