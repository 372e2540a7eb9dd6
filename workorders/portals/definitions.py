"""Portal definitions: everything the scraper knows about a vendor portal, as data.

A definition says where the login form is and how a successful or rejected login looks, which
links lead to the work-order list, which column headers map to which WorkOrder field, how values
are written (date formats, money), and how to reach the next page. The scraper
(workorders/portals/scraper.py) is generic: adding a portal means adding a definition here and
its slug to the registry — see docs/portals.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoginSpec:
    path: str  # relative to the account's base URL
    username_selector: str
    password_selector: str
    submit_selector: str
    success_selector: str  # present once signed in
    error_selector: str  # present (with the portal's text) when the login is rejected


@dataclass(frozen=True)
class Column:
    field: str  # a WorkOrder field, or "external_id"
    header: str  # the header text as the portal shows it (compared case- and space-insensitively)
    kind: str = "text"  # text | multiline | datetime | date | money
    required: bool = True
    # Where "external_id" comes from when the column holds a link: a regex over the link's href
    # with one group; without it the cell text is the id.
    link_pattern: str = ""


@dataclass(frozen=True)
class ListingSpec:
    table_selector: str
    header_selector: str  # inside the table
    row_selector: str  # inside the table
    next_selector: str  # the "next page" link; absent on the last page
    empty_selector: str  # present when the portal says there is nothing to list
    page_indicator_selector: str = ""
    page_count_pattern: str = ""  # regex with one group (the page count) over the indicator text
    columns: tuple[Column, ...] = ()


@dataclass(frozen=True)
class PortalDefinition:
    slug: str
    name: str
    login: LoginSpec
    # CSS selectors of the links followed in turn from the page after login to the list.
    navigation: tuple[str, ...]
    listing: ListingSpec
    timezone: str = "UTC"  # the zone the portal writes its times in
    datetime_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M",)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    blank_values: tuple[str, ...] = ("", "-", "—", "n/a", "N/A")
    max_pages: int = 500
    notes: str = field(default="", compare=False)


DEMO = PortalDefinition(
    slug="demo",
    name="Demo vendor portal (bundled)",
    login=LoginSpec(
        path="login/",
        username_selector="#id_username",
        password_selector="#id_password",  # noqa: S106
        submit_selector="button#sign-in",
        success_selector="[data-portal-user]",
        error_selector=".alert-error",
    ),
    navigation=("nav.portal-menu a[data-menu='work-orders']",),
    listing=ListingSpec(
        table_selector="table#work-orders",
        header_selector="thead th",
        row_selector="tbody tr",
        next_selector="nav.pagination a[rel='next']",
        empty_selector=".empty-state",
        page_indicator_selector=".page-indicator",
        page_count_pattern=r"Page\s+\d+\s+of\s+(\d+)",
        columns=(
            Column("external_id", "WO #", link_pattern=r"/work-orders/([^/?#]+)/"),
            Column("number", "WO #"),
            Column("title", "Summary"),
            Column("description", "Description", kind="multiline", required=False),
            Column("status", "Status"),
            Column("priority", "Priority"),
            Column("site", "Location"),
            Column("trade", "Trade"),
            Column("scheduled_at", "Scheduled", kind="datetime", required=False),
            Column("due_at", "Due", kind="datetime", required=False),
            Column("nte_amount", "NTE", kind="money", required=False),
            Column("portal_updated_at", "Last Updated", kind="datetime"),
        ),
    ),
    timezone="America/New_York",
    datetime_formats=("%b %d, %Y %I:%M %p",),
)

# The same demo data behind older, table-and-form markup with other names, formats and links:
# proves the definition format is not shaped around one portal.
CLASSIC = PortalDefinition(
    slug="classic",
    name="Classic vendor portal (bundled demo)",
    login=LoginSpec(
        path="signon.asp",
        username_selector="input[name='login_id']",
        password_selector="input[name='passwd']",  # noqa: S106
        submit_selector="input[type='submit'][value='Log On']",
        success_selector="#welcome-bar",
        error_selector="font.err",
    ),
    navigation=("td.menu a[href*='mywork']", "a#open-tickets"),
    listing=ListingSpec(
        table_selector="div#results table.grid",
        header_selector="tr.hdr td",
        row_selector="tr.row",
        next_selector="a.pg-next",
        empty_selector="#no-records",
        page_indicator_selector="span.pg-info",
        page_count_pattern=r"(\d+)\s*$",
        columns=(
            Column("external_id", "Ticket", link_pattern=r"[?&]id=([^&#]+)"),
            Column("number", "Ticket"),
            Column("status", "Ticket Status"),
            Column("priority", "Pri."),
            Column("title", "Problem"),
            Column("description", "Notes", kind="multiline", required=False),
            Column("site", "Store"),
            Column("trade", "Craft"),
            Column("scheduled_at", "Sched. Date", kind="datetime", required=False),
            Column("due_at", "Due Date", kind="date", required=False),
            Column("nte_amount", "Not To Exceed", kind="money", required=False),
            Column("portal_updated_at", "Modified", kind="datetime"),
        ),
    ),
    timezone="America/Chicago",
    datetime_formats=("%Y-%m-%d %H:%M",),
    date_formats=("%m/%d/%Y",),
)

DEFINITIONS: dict[str, PortalDefinition] = {d.slug: d for d in (DEMO, CLASSIC)}
