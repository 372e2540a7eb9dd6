"""Syncing work orders from a user's portal: the one entry point the scheduler and "Sync now" call."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from credentials.models import PortalAccount
from credentials.services import (
    CredentialsError,
    PortalCredentials,
    credentials_record_check,
    credentials_retrieve,
)
from scheduling.models import Phase, RunStatus, ScrapeRun
from scheduling.progress import run_progress_publish
from workorders.models import WorkOrder
from workorders.portals.browser import BrowserError, BrowserSession, BrowserUnavailable
from workorders.portals.parsing import FINGERPRINT_FIELDS, ScrapedWorkOrder
from workorders.portals.registry import portal_definition
from workorders.portals.scraper import PortalScraper, ScrapeError, StillLoggedIn, message_for

logger = logging.getLogger(__name__)

SAVED_FIELDS = (*FINGERPRINT_FIELDS, "raw", "fingerprint", "last_seen_at", "delisted_at")
LOGIN_OK_MESSAGE = "Signed in to the portal."


@dataclass(frozen=True)
class LoginCheck:
    """Outcome of "Test connection": ``code`` is "ok" or a scrape error code."""

    ok: bool
    code: str
    message: str


@dataclass(frozen=True)
class SaveCounts:
    found: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    delisted: int = 0


# -- saving ------------------------------------------------------------------------------------
def work_orders_save(
    *, account: PortalAccount, orders: list[ScrapedWorkOrder], now: datetime, complete: bool = True
) -> SaveCounts:
    """Upsert a scraped listing in one transaction and in bulk.

    New work orders are created, changed ones (by fingerprint, or listed again after being
    delisted) updated, the rest counted as unchanged. When ``complete`` is true (the whole
    listing was read), listed work orders missing from it get ``delisted_at = now``. Nothing is
    ever deleted.
    """
    with transaction.atomic():
        existing = {
            external_id: (pk, fingerprint, delisted_at)
            for pk, external_id, fingerprint, delisted_at in WorkOrder.objects.filter(
                portal_account=account
            ).values_list("pk", "external_id", "fingerprint", "delisted_at")
        }
        upserts: list[ScrapedWorkOrder] = []
        created = updated = 0
        seen: set[str] = set()
        for order in orders:
            seen.add(order.external_id)
            previous = existing.get(order.external_id)
            if previous is not None and previous[1] == order.fingerprint and previous[2] is None:
                continue
            if previous is None:
                created += 1
            else:
                updated += 1
            upserts.append(order)
        if upserts:
            _upsert(account, upserts, now)
        delisted_ids = []
        if complete:
            delisted_ids = [pk for ext, (pk, _, gone) in existing.items() if gone is None and ext not in seen]
            for start in range(0, len(delisted_ids), 500):
                WorkOrder.objects.filter(pk__in=delisted_ids[start : start + 500]).update(delisted_at=now)
        # Everything still listed was seen now (one statement rather than a write per row).
        WorkOrder.objects.filter(portal_account=account, delisted_at__isnull=True).exclude(last_seen_at=now).update(
            last_seen_at=now
        )
    return SaveCounts(
        found=len(seen),
        created=created,
        updated=updated,
        unchanged=len(seen) - created - updated,
        delisted=len(delisted_ids),
    )


# An insert also sets the keys and first_seen_at; an update sets only SAVED_FIELDS.
UPSERT_NAMES = ("user", "portal_account", "external_id", "first_seen_at", *SAVED_FIELDS)


def _upsert(account: PortalAccount, orders: list[ScrapedWorkOrder], now: datetime) -> None:
    """Insert new and update changed work orders with one INSERT … ON CONFLICT DO UPDATE
    (first_seen_at is kept on update).

    What bulk_create(update_conflicts=True) does, without building model instances or compiling
    thousands of placeholders: on PostgreSQL the rows are COPYed into a temporary table first;
    elsewhere (SQLite) the statement is prepared once and executed for every row. Measured in
    benchmarks/bench_upsert.py: 3-6 times faster than bulk_create for 10,000 rows.
    """
    quote = connection.ops.quote_name
    fields = [WorkOrder._meta.get_field(name) for name in UPSERT_NAMES]
    table = quote(WorkOrder._meta.db_table)
    column_list = ", ".join(quote(f.column) for f in fields)
    assignments = ", ".join(
        f"{quote(column)} = EXCLUDED.{quote(column)}"
        for column in (WorkOrder._meta.get_field(name).column for name in SAVED_FIELDS)
    )
    conflict = f"ON CONFLICT ({quote('portal_account_id')}, {quote('external_id')}) DO UPDATE SET {assignments}"
    rows = (
        (
            account.user_id,
            account.pk,
            order.external_id,
            now,
            *(order.fields.get(name) for name in FINGERPRINT_FIELDS),
            order.raw,
            order.fingerprint,
            now,
            None,
        )
        for order in orders
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMPORARY TABLE wos_incoming ON COMMIT DROP AS "  # noqa: S608 (names from the model)
                f"SELECT {column_list} FROM {table} WITH NO DATA"
            )
            raw_index = UPSERT_NAMES.index("raw")
            with cursor.cursor.copy(f"COPY wos_incoming ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row[:raw_index], json.dumps(row[raw_index]), *row[raw_index + 1 :]))
            cursor.execute(f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM wos_incoming {conflict}")  # noqa: S608
            cursor.execute("DROP TABLE wos_incoming")
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}) {conflict}",  # noqa: S608
                [tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)) for row in rows],
            )


# -- the run -----------------------------------------------------------------------------------
def _set_phase(run: ScrapeRun, phase: str) -> None:
    run.phase = phase
    run.save(update_fields=["phase"])
    run_progress_publish(run, force=True)


def _finish(run: ScrapeRun, *, status: str, now: datetime, fields: dict | None = None) -> ScrapeRun:
    run.status = status
    run.finished_at = now
    for name, value in (fields or {}).items():
        setattr(run, name, value)
    # An UPDATE only: a run row deleted under us (user removed mid-run) must not come back.
    run.save(force_update=True)
    run_progress_publish(run, force=True)
    return run


def _fail(run: ScrapeRun, code: str, message: str, **forensics) -> ScrapeRun:
    logger.info("sync failed run_id=%s user_id=%s code=%s phase=%s", run.pk, run.user_id, code, run.phase)
    return _finish(
        run,
        status=RunStatus.FAILED,
        now=timezone.now(),
        fields={"error_code": code, "error_message": message, **forensics},
    )


def _forensics(scraper: PortalScraper, browser: BrowserSession, secrets: tuple[str, ...]) -> dict:
    def scrub(text: str) -> str:
        for secret in secrets:
            if len(secret) >= 3:
                text = text.replace(secret, "[removed]")
        return text

    html = scrub(strip_password_values(browser.page_html()))  # before the screenshot: it empties the inputs
    return {
        "error_url": scrub(scraper.where or browser.current_url)[:1000],
        "error_screenshot": browser.screenshot_png(),
        "error_html": html,
    }


PASSWORD_INPUT_RE = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
PASSWORD_TYPE_RE = re.compile(r"""\btype\s*=\s*["']?password\b""", re.IGNORECASE)
VALUE_ATTR_RE = re.compile(r"""\svalue\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


def strip_password_values(html: str) -> str:
    """Remove the value attribute of every password input."""

    def clean(match: re.Match) -> str:
        tag = match.group(0)
        return VALUE_ATTR_RE.sub("", tag) if PASSWORD_TYPE_RE.search(tag) else tag

    return PASSWORD_INPUT_RE.sub(clean, html)


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _login(browser: BrowserSession, scraper: PortalScraper, credentials: PortalCredentials) -> None:
    """Sign in from a clean state: a login page that shows a signed-in user means the browser
    kept someone's session, so it is recycled and the login retried once."""
    browser.begin_user(_origin(credentials.base_url))
    try:
        scraper.login(credentials.username, credentials.password)
    except StillLoggedIn:
        logger.warning("browser was still signed in; recycling it")
        browser.mark_failed()
        browser.begin_user(_origin(credentials.base_url))
        try:
            scraper.login(credentials.username, credentials.password)
        except StillLoggedIn as exc:
            raise ScrapeError("unexpected") from exc


def _record_login(user: User, error: ScrapeError | None) -> None:
    if error is None:
        credentials_record_check(user=user, ok=True, message=LOGIN_OK_MESSAGE, now=timezone.now())
    elif error.code == "auth_failed":
        credentials_record_check(user=user, ok=False, message=error.message, now=timezone.now())


def work_orders_sync(*, run: ScrapeRun, session: BrowserSession | None = None) -> ScrapeRun:
    """Run a claimed sync to the end and return the finished run (succeeded or failed).

    Never raises for a domain failure: the run carries the error code, a message for the user
    and, for the operator, forensics. Work orders change only if the whole listing was read.
    ``session`` lets a worker reuse one browser across users; without it a browser is started
    and always quit here.
    """
    user = run.user
    try:
        credentials = credentials_retrieve(user=user)  # the pre-flight: its error carries the check's message
    except CredentialsError as exc:
        return _fail(run, "credentials_invalid", str(exc))
    account = PortalAccount.objects.get(user=user)
    definition = portal_definition(credentials.portal)

    browser = session or BrowserSession()
    scraper = PortalScraper(definition=definition, browser=browser, base_url=credentials.base_url)
    secrets = (credentials.password,)
    try:
        _set_phase(run, Phase.LOGIN)
        try:
            _login(browser, scraper, credentials)
        except ScrapeError as error:
            _record_login(user, error)
            raise
        _record_login(user, None)

        _set_phase(run, Phase.NAVIGATION)
        scraper.open_list()

        _set_phase(run, Phase.EXTRACTION)

        def on_page(page: int, page_count: int | None, rows: int) -> None:
            run.page, run.page_count, run.rows_found = page, page_count, rows
            run.save(update_fields=["page", "page_count", "rows_found"])
            run_progress_publish(run)

        result = scraper.read_all(on_page)
        unreadable = sum(1 for order in result.orders if order.problems)
        if unreadable or result.failed_rows:
            logger.warning(
                "sync read rows with problems run_id=%s unreadable_values=%s rows_without_id=%s",
                run.pk,
                unreadable,
                result.failed_rows,
            )

        _set_phase(run, Phase.SAVING)
        now = timezone.now()
        counts = work_orders_save(account=account, orders=result.orders, now=now, complete=result.failed_rows == 0)
        return _finish(
            run,
            status=RunStatus.SUCCEEDED,
            now=timezone.now(),
            fields={
                "phase": Phase.DONE,
                "found_count": counts.found,
                "created_count": counts.created,
                "updated_count": counts.updated,
                "unchanged_count": counts.unchanged,
                "delisted_count": counts.delisted,
                "failed_count": result.failed_rows,
                "error_code": "",
                "error_message": "",
            },
        )
    except BrowserUnavailable as error:
        logger.warning("browser unavailable run_id=%s detail=%s", run.pk, error)
        browser.mark_failed()
        return _fail(run, "browser_unavailable", message_for("browser_unavailable", str(error).rstrip(".")))
    except ScrapeError as error:
        forensics = _forensics(scraper, browser, secrets)
        browser.mark_failed()
        return _fail(run, error.code, error.message, **forensics)
    except BrowserError as error:
        # A browser failure outside a step the scraper classifies (e.g. a script timing out).
        if error.code == "unexpected":
            logger.exception("sync browser error run_id=%s user_id=%s phase=%s", run.pk, run.user_id, run.phase)
        forensics = _forensics(scraper, browser, secrets)
        browser.mark_failed()
        return _fail(run, error.code, message_for(error.code, str(error).rstrip(".")), **forensics)
    except Exception:
        logger.exception("sync crashed run_id=%s user_id=%s phase=%s", run.pk, run.user_id, run.phase)
        forensics = _forensics(scraper, browser, secrets)
        browser.mark_failed()
        return _fail(run, "unexpected", message_for("unexpected"), **forensics)
    finally:
        if session is None:
            browser.close()


def portal_test_login(*, user: User) -> LoginCheck:
    """Only the login phase, for "Test connection"; the outcome is recorded on the credentials."""
    try:
        credentials = credentials_retrieve(user=user)
    except CredentialsError as exc:
        return LoginCheck(ok=False, code="credentials_invalid", message=str(exc))
    definition = portal_definition(credentials.portal)
    with BrowserSession() as browser:
        scraper = PortalScraper(definition=definition, browser=browser, base_url=credentials.base_url)
        try:
            _login(browser, scraper, credentials)
        except BrowserUnavailable as error:
            return LoginCheck(False, "browser_unavailable", message_for("browser_unavailable", str(error).rstrip(".")))
        except ScrapeError as error:
            _record_login(user, error)
            return LoginCheck(ok=False, code=error.code, message=error.message)
        except Exception:
            logger.exception("test login crashed user_id=%s", user.pk)
            return LoginCheck(ok=False, code="unexpected", message=message_for("unexpected"))
    _record_login(user, None)
    return LoginCheck(ok=True, code="ok", message=LOGIN_OK_MESSAGE)
