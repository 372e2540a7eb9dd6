"""Shared set-up for the scraper benchmarks: Django on a throwaway database, and the demo portal
served by a separate `runserver` process (as a real portal is another machine)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(default_database_url: str | None = None) -> str:
    """Point Django at the benchmark database (DATABASE_URL wins), migrate it, return its URL."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if "DATABASE_URL" not in os.environ:
        if default_database_url is None:
            scratch = Path(tempfile.mkdtemp(prefix="wos-bench-"))
            default_database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = default_database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PortalServer:
    """`manage.py runserver` on a free port, sharing the benchmark's database."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> PortalServer:
        env = {**os.environ, "DEBUG": "true", "LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload", "--skip-checks"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{self.url}/demo-portal/login/", timeout=1):  # noqa: S310
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the demo portal server did not start")

    def __exit__(self, *exc_info: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


def demo_user(*, base_url: str, count: int, page_size: int, username: str = "bench@portal.test"):
    """A web user with credentials for a seeded demo-portal account."""
    from django.utils import timezone

    from accounts.models import User
    from credentials.services import credentials_store
    from demoportal.services import portal_account_ensure, portal_work_orders_seed

    password = "bench-Portal-pass"
    account = portal_account_ensure(username=username, password=password, page_size=page_size)
    account.clear_faults()
    account.save()
    portal_work_orders_seed(account=account, count=count, now=timezone.now())
    user, _ = User.objects.get_or_create(username=f"web-{username}", defaults={"timezone": "UTC"})
    credentials_store(
        user=user, portal="demo", base_url=f"{base_url}/demo-portal/", username=username, password=password,
        now=timezone.now(),
    )  # fmt: skip
    return user


def new_run(user):
    from django.utils import timezone

    from scheduling.models import RunStatus, ScrapeRun, Trigger

    now = timezone.now()
    return ScrapeRun.objects.create(
        user=user, trigger=Trigger.MANUAL, status=RunStatus.RUNNING, queued_at=now, started_at=now, worker="bench"
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt(seconds: float) -> str:
    return f"{seconds:.3f} s"
