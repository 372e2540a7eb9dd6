"""The Selenium driver: the only module that imports selenium.

It starts headless Chromium with the system chromedriver through an explicit Service, so Selenium
Manager never reaches for the network, or a ``webdriver.Remote`` when SELENIUM_REMOTE_URL is set.
Everything the scraper does goes through ``BrowserSession``'s small vocabulary (open a URL, run a
script, fill, click), and every Selenium failure is translated
into an exception of this module, so callers never see a Selenium type.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import urllib3
from django.conf import settings

# Selenium Manager must never reach for the network (we always pass an explicit driver path).
os.environ["SE_OFFLINE"] = "true"

from selenium import webdriver
from selenium.common.exceptions import (
    InvalidSessionIdException,
    NoSuchElementException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

logger = logging.getLogger(__name__)

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-pings",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,"
    "PasswordLeakDetection,NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater",
    "--window-size=1280,900",
)
CHROMIUM_PREFS = {
    "credentials_enable_service": False,
    "profile.password_manager_enabled": False,
    "profile.password_manager_leak_detection": False,
    "password_manager_leak_detection": False,
    "autofill.profile_enabled": False,
    "translate.enabled": False,
    "safebrowsing.enabled": False,
}


class BrowserError(Exception):
    """Base of this module's errors. ``code`` is the scrape error code the failure maps to."""

    code = "unexpected"


class BrowserUnavailable(BrowserError):
    """No browser could be started (missing binary or driver, remote grid unreachable)."""

    code = "browser_unavailable"


class PageUnreachable(BrowserError):
    """The page could not be loaded: connection refused, DNS, or the page load timed out."""

    code = "portal_unavailable"


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    rss_bytes: int
    cmdline: str


def _read_proc(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, RSS bytes, command line) of a live process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        statm = Path(f"/proc/{pid}/statm").read_text().split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # Fields after the command name (which may contain spaces) start after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(statm[1]) * os.sysconf("SC_PAGE_SIZE"), cmdline


def processes_matching(text: str) -> list[ProcessInfo]:
    """Live processes whose command line contains ``text`` (e.g. a user-data-dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        info = _read_proc(int(entry.name))
        if info and text in info[2]:
            found.append(ProcessInfo(int(entry.name), info[1], info[2]))
    return found


def process_tree(root_pid: int) -> list[ProcessInfo]:
    """A process and all its live descendants."""
    table: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (info := _read_proc(int(entry.name))):
            table[int(entry.name)] = info
    tree, frontier = [], [root_pid]
    while frontier:
        pid = frontier.pop()
        if pid in table:
            tree.append(ProcessInfo(pid, table[pid][1], table[pid][2]))
            frontier.extend(child for child, (ppid, _, _) in table.items() if ppid == pid)
    return tree


PROFILE_PREFIX = "wos-chromium-"


def browser_reap_orphans(*, owners: set[int] | None = None) -> int:
    """Kill the browsers (and their chromedriver) of processes that died without quitting them,
    and delete their profiles.

    Call it when a process that runs scrapes starts (a scheduler restarted after ``kill -9``).
    Only profiles named by a BrowserSession (``wos-chromium-<pid>-…``) whose owner pid is gone are
    touched; ``owners`` narrows it to those pids. Returns the number of processes killed."""
    pattern = re.compile(rf"--user-data-dir=(\S*/{PROFILE_PREFIX}(\d+)-\S+)")
    doomed: set[int] = set()
    profiles: set[str] = set()
    for proc in processes_matching(f"/{PROFILE_PREFIX}"):
        match = pattern.search(proc.cmdline)
        if not match:
            continue
        owner = int(match.group(2))
        if (owners is not None and owner not in owners) or Path(f"/proc/{owner}").exists():
            continue
        doomed.add(proc.pid)
        profiles.add(match.group(1))
        parent = _read_proc(proc.pid)
        if parent and (driver := _read_proc(parent[0])) and "chromedriver" in driver[2]:
            doomed.add(parent[0])
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)
    if doomed:
        logger.warning("orphaned browser processes killed count=%s profiles=%s", len(doomed), len(profiles))
    return len(doomed)


class BrowserSession:
    """One browser, started lazily on first use, always quit by ``close()`` (or the context manager).

    A worker may reuse one session for consecutive users: ``begin_user(origin)`` clears cookies
    and storage of the portal's origin. The browser is recycled (quit, and started afresh on next
    use) after ``mark_failed()`` and after ``recycle_after`` users.
    """

    def __init__(self, *, recycle_after: int | None = None, page_load_timeout: int | None = None) -> None:
        self.recycle_after = recycle_after or settings.BROWSER_RECYCLE_AFTER
        self.page_load_timeout = page_load_timeout or settings.BROWSER_PAGE_LOAD_TIMEOUT
        self._driver: Any = None
        self._service: Service | None = None
        self._user_data_dir: str | None = None
        self.users_served = 0
        self.starts = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def is_started(self) -> bool:
        return self._driver is not None

    @property
    def user_data_dir(self) -> str | None:
        """The profile directory of the local browser (None before start or when remote)."""
        return self._user_data_dir

    @property
    def driver_pid(self) -> int | None:
        if self._service is not None and self._service.process is not None:
            return self._service.process.pid
        return None

    def _options(self) -> webdriver.ChromeOptions:
        options = webdriver.ChromeOptions()
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_experimental_option("prefs", CHROMIUM_PREFS)
        options.add_experimental_option("excludeSwitches", ["enable-automation"])
        options.page_load_strategy = "normal"
        return options

    def start(self) -> None:
        if self._driver is not None:
            return
        options = self._options()
        remote_url = settings.SELENIUM_REMOTE_URL
        try:
            if remote_url:
                self._driver = webdriver.Remote(command_executor=remote_url, options=options)
            else:
                binary, driver_path = settings.CHROMIUM_BINARY, settings.CHROMEDRIVER_PATH
                if not (Path(driver_path).is_file() and os.access(driver_path, os.X_OK)):
                    raise BrowserUnavailable(
                        f"No chromedriver at CHROMEDRIVER_PATH={driver_path}; install it or set CHROMEDRIVER_PATH."
                    )
                if not (Path(binary).is_file() and os.access(binary, os.X_OK)):
                    raise BrowserUnavailable(
                        f"No Chromium at CHROMIUM_BINARY={binary}; install it or set CHROMIUM_BINARY."
                    )
                options.binary_location = binary
                # The owner's pid in the name lets browser_reap_orphans() find browsers whose
                # process was killed (kill -9 skips every cleanup).
                self._user_data_dir = tempfile.mkdtemp(prefix=f"{PROFILE_PREFIX}{os.getpid()}-")
                options.add_argument(f"--user-data-dir={self._user_data_dir}")
                self._service = Service(executable_path=driver_path)
                self._driver = webdriver.Chrome(service=self._service, options=options)
            self._driver.set_page_load_timeout(self.page_load_timeout)
            self._driver.set_script_timeout(self.page_load_timeout)
        except BrowserUnavailable:
            self._cleanup()
            raise
        except Exception as exc:
            self._cleanup()
            where = (
                f"SELENIUM_REMOTE_URL={_without_userinfo(remote_url)}"
                if remote_url
                else f"CHROMIUM_BINARY={settings.CHROMIUM_BINARY}"
            )
            logger.warning("browser start failed where=%s error=%s", where, type(exc).__name__)
            raise BrowserUnavailable(f"The browser could not be started ({where}): {_short(exc)}") from exc
        self.starts += 1
        self.users_served = 0

    def close(self) -> None:
        """Quit the browser and make sure no process of it survives."""
        self._cleanup()

    def _cleanup(self) -> None:
        driver, self._driver = self._driver, None
        if driver is not None:
            try:
                driver.quit()
            except Exception as exc:
                logger.warning("browser quit failed error=%s", type(exc).__name__)
        service, self._service = self._service, None
        if service is not None:
            try:
                service.stop()
            except Exception as exc:
                logger.warning("chromedriver stop failed error=%s", type(exc).__name__)
        profile, self._user_data_dir = self._user_data_dir, None
        if profile:
            # quit() normally ends every Chromium process; a hung renderer is killed here.
            for _ in range(20):
                left = processes_matching(profile)
                if not left:
                    break
                for proc in left:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, signal.SIGKILL)
                time.sleep(0.05)
            shutil.rmtree(profile, ignore_errors=True)

    def mark_failed(self) -> None:
        """After an error the browser's state is unknown: start afresh next time."""
        self._cleanup()

    def begin_user(self, origin: str) -> None:
        """Prepare for the next user: recycle when due, else forget the previous user's cookies
        and storage for ``origin`` (the caller then proves the login form shows)."""
        if self._driver is not None and self.users_served >= self.recycle_after:
            logger.info("browser recycled users=%s", self.users_served)
            self._cleanup()
        self.start()
        if self.users_served:
            self._clear_origin(origin)
        self.users_served += 1

    def _clear_origin(self, origin: str) -> None:
        driver = self._driver
        try:
            driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
            driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
            return
        except Exception as exc:  # a Remote driver has no CDP: clear through the page instead
            logger.debug("cdp clear unavailable error=%s", type(exc).__name__)
        try:
            driver.get(origin.rstrip("/") + "/")
            driver.delete_all_cookies()
            driver.execute_script("try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}")
        except Exception as exc:
            raise self._translate(exc) from exc

    # -- page vocabulary ---------------------------------------------------------------------
    @property
    def driver(self) -> Any:
        self.start()
        return self._driver

    def get(self, url: str) -> None:
        try:
            self.driver.get(url)
        except Exception as exc:
            raise self._translate(exc) from exc

    def script(self, source: str, *args: Any) -> Any:
        try:
            return self.driver.execute_script(source, *args)
        except Exception as exc:
            raise self._translate(exc) from exc

    def fill(self, selector: str, value: str) -> bool:
        """Type into a field; False when the field is missing."""
        try:
            element = self.driver.find_element(By.CSS_SELECTOR, selector)
            element.clear()
            element.send_keys(value)
            return True
        except NoSuchElementException:
            return False
        except Exception as exc:
            raise self._translate(exc) from exc

    def click(self, selector: str) -> bool:
        """Click an element; False when it is missing."""
        try:
            self.driver.find_element(By.CSS_SELECTOR, selector).click()
            return True
        except NoSuchElementException:
            return False
        except Exception as exc:
            raise self._translate(exc) from exc

    @property
    def current_url(self) -> str:
        try:
            return self._driver.current_url if self._driver else ""
        except Exception:
            return ""

    def screenshot_png(self) -> bytes | None:
        try:
            return self._driver.get_screenshot_as_png() if self._driver else None
        except Exception:
            return None

    def page_html(self) -> str:
        """The current DOM with every password input emptied (value property and attribute)."""
        if self._driver is None:
            return ""
        try:
            return self._driver.execute_script(
                "document.querySelectorAll('input[type=password]').forEach(i => {"
                " i.value = ''; i.removeAttribute('value'); });"
                "return document.documentElement.outerHTML;"
            )
        except Exception:
            return ""

    def _translate(self, exc: Exception) -> BrowserError:
        if isinstance(exc, BrowserError):
            return exc
        if isinstance(exc, TimeoutException):
            return PageUnreachable("The portal did not load in time.")
        message = getattr(exc, "msg", None) or ""
        if isinstance(exc, InvalidSessionIdException | urllib3.exceptions.HTTPError | ConnectionError) or any(
            sign in message for sign in ("tab crashed", "page crash", "chrome not reachable", "disconnected")
        ):
            return BrowserUnavailable("The browser crashed or went away during the sync.")
        if isinstance(exc, WebDriverException) and "net::ERR_" in (exc.msg or ""):
            reason = (exc.msg or "").split("net::", 1)[1].split()[0]
            return PageUnreachable(f"The portal could not be reached ({reason}).")
        error = BrowserError(f"Browser error: {_short(exc)}")
        error.__cause__ = exc
        return error


def _without_userinfo(url: str) -> str:
    """The URL as it may be logged or shown to a user: a grid's ``user:password@`` is dropped."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _short(exc: Exception) -> str:
    text = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0][:300]
