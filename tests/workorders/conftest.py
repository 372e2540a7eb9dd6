"""Fixtures for the scraper tests: demo-portal accounts on the session's live server, web users
whose credentials point at them, and a record of every browser a sync starts (to prove none of
its processes survive)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import User
from demoportal.models import PortalUser
from demoportal.services import portal_account_ensure, portal_work_orders_seed
from scheduling.models import RunStatus, ScrapeRun
from tests.factories import make_portal_account, make_run, make_user
from workorders import services
from workorders.portals.browser import BrowserSession, processes_matching

PORTAL_PASSWORD = "Pörtal-pass 42"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Portal and web passwords are hashed and checked on every login; the default hasher's
    # deliberate slowness would dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class PortalSetup:
    user: User
    portal: PortalUser
    base_url: str


@pytest.fixture
def demo_portal(transactional_db, live_server):
    """Make a demo-portal account with work orders and a web user whose credentials use it."""
    made = iter(range(1, 1000))

    def make(*, count: int = 7, page_size: int = 3, portal: str = "demo", **faults) -> PortalSetup:
        n = next(made)
        account = portal_account_ensure(username=f"tech{n}@portal.test", password=PORTAL_PASSWORD, page_size=page_size)
        for name, value in faults.items():
            setattr(account, name, value)
        account.save()
        portal_work_orders_seed(account=account, count=count, now=timezone.now(), seed=n)
        base_url = f"{live_server.url}/demo-portal/" + ("classic/" if portal == "classic" else "")
        user = make_user()
        make_portal_account(user, portal=portal, base_url=base_url, username=account.username, password=PORTAL_PASSWORD)
        return PortalSetup(user=user, portal=account, base_url=base_url)

    return make


@pytest.fixture(scope="session")
def shared_browser():
    """One browser for the tests that only care about what a sync reads (as a worker reuses one)."""
    with BrowserSession() as session:
        yield session


def running_run(user: User) -> ScrapeRun:
    """A run as the scheduler hands it over: claimed and running."""
    now = timezone.now()
    return make_run(user, status=RunStatus.RUNNING, started_at=now, worker="test:1", queued_at=now)


class RecordingBrowserSession(BrowserSession):
    profiles: list[str] = []

    def start(self) -> None:
        super().start()
        if self.user_data_dir and self.user_data_dir not in self.profiles:
            self.profiles.append(self.user_data_dir)


@pytest.fixture
def browsers(monkeypatch):
    """Every browser the sync service starts itself; ``.leftovers()`` lists surviving processes."""

    class Recorder(RecordingBrowserSession):
        profiles: list[str] = []

    monkeypatch.setattr(services, "BrowserSession", Recorder)

    class Record:
        @property
        def profiles(self) -> list[str]:
            return Recorder.profiles

        def leftovers(self) -> list:
            return [proc for profile in Recorder.profiles for proc in processes_matching(profile)]

    return Record()
