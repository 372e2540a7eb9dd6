"""``runembedded`` (web + scheduler in one process), sd_notify, and the change notices."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from scheduling.models import SchedulerNotice
from scheduling.systemd import sd_notify, watchdog_seconds
from tests.factories import make_user
from tests.scheduling.conftest import BASE_DIR, subprocess_database_url, wait_for


def test_sd_notify_sends_one_datagram_to_the_notify_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)

        assert sd_notify("READY=1") is True
        assert server.recv(100) == b"READY=1"


def test_sd_notify_is_a_no_op_outside_systemd(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)

    assert sd_notify("READY=1") is False
    assert watchdog_seconds() is None


def test_the_watchdog_is_pinged_at_half_its_interval(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))

    assert watchdog_seconds() == 10


@pytest.mark.django_db
@pytest.mark.skipif("connection.vendor == 'postgresql'")
def test_saving_a_user_leaves_a_notice_for_the_scheduler_on_sqlite():
    user = make_user()
    SchedulerNotice.objects.all().delete()

    user.timezone = "Asia/Kolkata"
    user.save()

    assert list(SchedulerNotice.objects.values_list("kind", "object_id")) == [("user", user.pk)]
    assert connection.vendor == "sqlite"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_runembedded_serves_the_web_app_and_runs_the_scheduler_in_one_process(transactional_db, tmp_path, settings):
    call_command("demo_setup", stdout=StringIO())
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "CREDENTIAL_KEYS": ",".join(settings.CREDENTIAL_KEYS),
        "VAR_DIR": str(tmp_path),
        "SCHEDULER_HEARTBEAT_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "embedded.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runembedded", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return json.load(response)
            except OSError:
                return None

        body = wait_for(healthy, timeout=30, what="runembedded's /healthz to answer 200")
        assert body["scheduler"]["pid"] == process.pid
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    output = (tmp_path / "embedded.log").read_text()
    assert f"http://127.0.0.1:{port}/" in output
    assert "Stopping the scheduler" in output
    assert "demo / demo-password" in output
    assert "demo's first scheduled sync: " in output and ":00 " in output and "(America/New_York)" in output
