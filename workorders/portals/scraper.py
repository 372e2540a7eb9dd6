"""Drive a portal described by a PortalDefinition: log in, navigate to the list, read every page.

Generic over definitions; talks to the browser only through BrowserSession. Every failure is a
ScrapeError with a stable code and a message written for the user.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from workorders.portals.browser import BrowserError, BrowserSession
from workorders.portals.definitions import PortalDefinition
from workorders.portals.parsing import (
    ScrapedWorkOrder,
    header_positions,
    missing_headers,
    parse_row,
)

MESSAGES = {
    "auth_failed": "The portal rejected your login{detail}. Check your portal username and password and "
    "save them again.",
    "portal_unavailable": "The portal could not be reached or returned an error{detail}. Nothing was changed; "
    "the next sync will try again.",
    "layout_changed": "The portal's pages look different from what the sync expects{detail}. Nothing was changed; "
    "the portal definition needs an update.",
    "session_expired": "The portal ended the session while work orders were being read{detail}. Nothing was "
    "changed; the next sync will try again.",
    "browser_unavailable": "The browser used for syncing could not be started{detail}.",
    "unexpected": "Something unexpected went wrong during the sync. Nothing was changed; the error was logged.",
}


def message_for(code: str, detail: str = "") -> str:
    return MESSAGES[code].format(detail=f" ({detail})" if detail else "")


class ScrapeError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(message_for(code, detail))

    @property
    def message(self) -> str:
        return str(self)


class StillLoggedIn(Exception):
    """The login page showed a signed-in user: the browser kept a previous session."""


# One call per page: status, where we are, and every row's cell texts and links.
READ_PAGE_JS = """
const [spec, loginSelector] = arguments;
const nav = performance.getEntriesByType('navigation')[0];
const out = {
  status: nav && nav.responseStatus ? nav.responseStatus : 0,
  url: location.href,
  neterror: location.href.startsWith('chrome-error:')
    ? ((document.querySelector('.error-code') || {}).textContent || 'network error') : '',
  login: !!document.querySelector(loginSelector),
  empty: !!document.querySelector(spec.empty),
  table: false, headers: [], rows: [], next: null, indicator: null,
};
const table = document.querySelector(spec.table);
if (table) {
  out.table = true;
  out.headers = Array.from(table.querySelectorAll(spec.header)).map(h => h.textContent);
  out.rows = Array.from(table.querySelectorAll(spec.row)).map(tr =>
    Array.from(tr.children).map(td => {
      const a = td.querySelector('a[href]');
      return [td.textContent, a ? a.href : null];
    }));
}
const next = spec.next ? document.querySelector(spec.next) : null;
out.next = next && next.href ? next.href : null;
const indicator = spec.indicator ? document.querySelector(spec.indicator) : null;
out.indicator = indicator ? indicator.textContent : null;
return out;
"""

PROBE_JS = """
const [selectors] = arguments;
const nav = performance.getEntriesByType('navigation')[0];
return {
  fresh: !window.__wosBefore,
  ready: document.readyState,
  status: nav && nav.responseStatus ? nav.responseStatus : 0,
  url: location.href,
  neterror: location.href.startsWith('chrome-error:')
    ? ((document.querySelector('.error-code') || {}).textContent || 'network error') : '',
  hits: selectors.map(s => !!document.querySelector(s)),
  texts: selectors.map(s => { const e = document.querySelector(s); return e ? e.textContent.trim() : ''; }),
};
"""

LINK_JS = "const a = document.querySelector(arguments[0]); return a && a.href ? a.href : null;"


@dataclass
class ScrapeResult:
    orders: list[ScrapedWorkOrder] = field(default_factory=list)
    failed_rows: int = 0
    pages: int = 0
    empty: bool = False


@dataclass
class PortalScraper:
    definition: PortalDefinition
    browser: BrowserSession
    base_url: str
    where: str = ""  # the last URL the scraper saw, for forensics

    def _url(self, path: str) -> str:
        return urljoin(self.base_url if self.base_url.endswith("/") else self.base_url + "/", path)

    def _check_answer(self, probe: dict, where: str) -> None:
        """Raise portal_unavailable for a browser error page or an HTTP error status."""
        if probe.get("neterror"):
            raise ScrapeError("portal_unavailable", f"{probe['neterror'].strip()} {where}".strip())
        status = int(probe.get("status") or 0)
        if status >= 500:
            raise ScrapeError("portal_unavailable", f"HTTP {status} {where}".strip())
        if status in (404, 410):
            raise ScrapeError("portal_unavailable", f"HTTP {status} {where}: check the portal address")

    def _open(self, url: str, *, check: bool = True) -> None:
        try:
            self.browser.get(url)
        except BrowserError as error:
            self.where = url
            raise ScrapeError(error.code, str(error).rstrip(".")) from error
        self.where = url
        if not check:
            return  # the caller reads the status with the page
        self._check_answer(self.browser.script(PROBE_JS, []), f"at {url}")

    # -- login ---------------------------------------------------------------------------------
    def login(self, username: str, password: str) -> None:
        spec = self.definition.login
        self._open(self._url(spec.path))
        probe = self.browser.script(PROBE_JS, [spec.username_selector, spec.success_selector])
        if probe["hits"][1]:
            raise StillLoggedIn()
        if not probe["hits"][0]:
            raise ScrapeError("layout_changed", "no login form")
        filled = self.browser.fill(spec.username_selector, username) and self.browser.fill(
            spec.password_selector, password
        )
        if not filled:
            raise ScrapeError("layout_changed", "no password field on the login form")
        self.browser.script("window.__wosBefore = true;")
        try:
            clicked = self.browser.click(spec.submit_selector)
        except BrowserError as error:
            raise ScrapeError(error.code, str(error).rstrip(".")) from error
        if not clicked:
            raise ScrapeError("layout_changed", "no sign-in button on the login form")
        outcome = self._await_new_page([spec.success_selector, spec.error_selector])
        self.where = self.browser.current_url
        self._check_answer(outcome, "after signing in")
        if outcome["hits"][1] and not outcome["hits"][0]:
            portal_text = outcome["texts"][1][:200]
            raise ScrapeError("auth_failed", f"the portal said: “{portal_text}”" if portal_text else "")
        if not outcome["hits"][0]:
            raise ScrapeError("layout_changed", "neither a signed-in page nor a login error after signing in")

    def _await_new_page(self, selectors: list[str]) -> dict:
        deadline = time.monotonic() + self.browser.page_load_timeout
        while True:
            try:
                probe = self.browser.script(PROBE_JS, selectors)
            except BrowserError as error:
                if error.code != "unexpected":
                    raise ScrapeError(error.code, str(error).rstrip(".")) from error
                probe = None  # the page was replaced while the probe ran
            if probe and probe["fresh"] and (any(probe["hits"]) or probe["ready"] == "complete"):
                return probe
            # A portal that signs in without a page load (script-driven form) changes the page in place.
            if probe and not probe["fresh"] and (probe["hits"][0] or probe["texts"][1]):
                return probe
            if time.monotonic() > deadline:
                raise ScrapeError("portal_unavailable", "the portal did not answer in time")
            time.sleep(0.05)

    # -- navigation ----------------------------------------------------------------------------
    def open_list(self) -> None:
        for selector in self.definition.navigation:
            href = self.browser.script(LINK_JS, selector)
            if not href:
                if self.browser.script(PROBE_JS, [self.definition.login.username_selector])["hits"][0]:
                    raise ScrapeError("session_expired", "before the work-order list opened")
                raise ScrapeError("layout_changed", f"the menu link {selector!r} is missing")
            self._open(href)

    # -- extraction ----------------------------------------------------------------------------
    def read_all(self, on_page: Callable[[int, int | None, int], None] | None = None) -> ScrapeResult:
        listing = self.definition.listing
        spec = {
            "table": listing.table_selector,
            "header": listing.header_selector,
            "row": listing.row_selector,
            "next": listing.next_selector,
            "empty": listing.empty_selector,
            "indicator": listing.page_indicator_selector,
        }
        result = ScrapeResult()
        seen_urls: set[str] = set()
        by_id: dict[str, ScrapedWorkOrder] = {}
        page_count: int | None = None
        page = 0
        while True:
            page += 1
            data = self.browser.script(READ_PAGE_JS, spec, self.definition.login.username_selector)
            self.where = data["url"]
            seen_urls.add(data["url"])
            self._check_answer(data, f"on page {page}")
            if data["login"]:
                raise ScrapeError("session_expired", f"on page {page}")
            if not data["table"]:
                if data["empty"] and page == 1:
                    result.empty = True
                    break
                raise ScrapeError("layout_changed", f"no work-order table on page {page}")
            missing = missing_headers(self.definition, data["headers"])
            if missing:
                raise ScrapeError("layout_changed", "missing column " + ", ".join(f"“{m}”" for m in missing))
            positions = header_positions(data["headers"])
            for cells in data["rows"]:
                order = parse_row(self.definition, positions, cells)
                if order is None:
                    result.failed_rows += 1
                else:
                    by_id[order.external_id] = order
            if page == 1 and data["indicator"] and listing.page_count_pattern:
                match = re.search(listing.page_count_pattern, data["indicator"].strip())
                page_count = int(match.group(1)) if match else None
            if on_page:
                on_page(page, page_count, len(by_id))
            next_url = data["next"]
            if not next_url:
                break
            if next_url in seen_urls or page >= self.definition.max_pages:
                raise ScrapeError("layout_changed", "the pagination does not end")
            self._open(next_url, check=False)
        result.orders = list(by_id.values())
        result.pages = page
        return result
