"""Fixtures for the web's browser tests: the whole app served by ``manage.py runembedded`` (daphne
with websockets + the scheduler and its scrape workers, one process) against the test database, and
one headless Chromium per session driven by our own webdriver.

The server is a subprocess, so data reaches it only when committed: browser tests use
``transactional_db``. It is started once per session and stopped (with its process group) at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import TEST_KEY_A

BASE_DIR = Path(settings.BASE_DIR)


# The browser's own zone, deliberately unlike any test user's: pages must use the user's zone.
BROWSER_ZONE = "Asia/Kathmandu"


@dataclass(frozen=True)
class LiveApp:
    url: str  # "http://127.0.0.1:<port>" (no trailing slash)
    log: Path

    @property
    def portal_url(self) -> str:
        return f"{self.url}/demo-portal/"

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_database_url() -> str:
    """The URL of the database pytest-django created, for a server process to share."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"runembedded exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"runembedded did not answer within {timeout} s:\n{log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_app(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveApp]:
    """``manage.py runembedded`` on a free port, sharing the test database."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with django_db_blocker.unblock():
        database_url = shared_database_url()
    var_dir = tmp_path_factory.mktemp("runembedded")
    log = var_dir / "server.log"
    env = dict(
        os.environ,
        # Its own var/: with SQLite the scheduler's leader lock is a file there, and a shared one
        # would leave this server on standby, never running a sync, while another runs anywhere.
        VAR_DIR=str(var_dir),
        DATABASE_URL=database_url,
        CREDENTIAL_KEYS=TEST_KEY_A,
        DEMO_PORTAL_BASE_URL=f"{url}/demo-portal/",
        DEBUG="true",
        SCRAPE_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runembedded", "--port", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its browsers too
        )
    try:
        _wait_until_up(url, proc, log)
        yield LiveApp(url=url, log=log)
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session, with a fresh profile, living in BROWSER_ZONE."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # The scraper's own flag set (headless, no sandbox, no background traffic); importing the
    # driver module also sets SE_OFFLINE, so Selenium Manager never reaches for the network.
    from workorders.portals.browser import CHROMIUM_FLAGS

    profile = tempfile.mkdtemp(prefix="wos-web-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = settings.CHROMIUM_BINARY or "/usr/lib/chromium/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(
        service=Service(
            executable_path=settings.CHROMEDRIVER_PATH or "/usr/bin/chromedriver",
            env={**os.environ, "TZ": BROWSER_ZONE},
        ),
        options=options,
    )
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def fresh_browser(browser):
    """The session's browser with no cookies or storage left by an earlier test."""
    browser.delete_all_cookies()
    yield browser
    browser.delete_all_cookies()
