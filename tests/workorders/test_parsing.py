from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from workorders.portals.definitions import CLASSIC, DEMO
from workorders.portals.parsing import (
    fingerprint_of,
    header_positions,
    missing_headers,
    parse_datetime,
    parse_money,
    parse_row,
)
from workorders.portals.scraper import PortalScraper
from workorders.services import _forensics, strip_password_values

DEMO_HEADERS = ["WO #", "Summary", "Description", "Status", "Priority", "Location", "Trade", "Scheduled", "Due",
                "NTE", "Last Updated"]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "amount"),
    [("$1,250.00", "1250.00"), ("USD 12,500.99", "12500.99"), ("150", "150.00"), ("(120.50)", "-120.50")],
)
def test_it_parses_amounts(text, amount):
    assert parse_money(text) == Decimal(amount)


def test_it_refuses_text_that_is_not_an_amount():
    with pytest.raises(ValueError, match="not an amount"):
        parse_money("call for quote")


def test_it_reads_portal_local_times_across_the_dst_change():
    new_york = ZoneInfo("America/New_York")
    formats = DEMO.datetime_formats
    # 8 March 2026: clocks spring forward at 2 AM in New York.
    assert parse_datetime("Mar 07, 2026 09:00 AM", formats=formats, zone=new_york) == datetime(
        2026, 3, 7, 14, tzinfo=UTC
    )
    assert parse_datetime("Mar 09, 2026 09:00 AM", formats=formats, zone=new_york) == datetime(
        2026, 3, 9, 13, tzinfo=UTC
    )


def test_it_parses_a_row_by_header_and_keeps_the_raw_values():
    cells = [
        ["WO-42", "http://portal/demo-portal/work-orders/WO-42/"],
        ["Leak  in\n restroom", None],
        ["Line one\n  Line two ", None],
        ["Open", None],
        ["P1 – Emergency", None],  # noqa: RUF001
        ["Café Olé — São Paulo", None],
        ["Plumbing", None],
        ["—", None],
        ["Dec 05, 2026 05:00 PM", None],
        ["$2,500.50", None],
        ["Nov 29, 2026 02:15 PM", None],
    ]
    order = parse_row(DEMO, header_positions(DEMO_HEADERS), cells)

    assert order.external_id == "WO-42"
    assert order.fields["title"] == "Leak in restroom"
    assert order.fields["description"] == "Line one\nLine two"
    assert order.fields["site"] == "Café Olé — São Paulo"
    assert order.fields["scheduled_at"] is None
    assert order.fields["due_at"] == datetime(2026, 12, 5, 22, tzinfo=UTC)
    assert order.fields["nte_amount"] == Decimal("2500.50")
    assert order.raw["NTE"] == "$2,500.50"
    assert order.problems == []


def test_an_unreadable_value_is_kept_raw_and_noted():
    cells = [["WO-1", None]] + [["x", None]] * 9 + [["yesterday-ish", None]]
    order = parse_row(DEMO, header_positions(DEMO_HEADERS), cells)

    assert order.fields["portal_updated_at"] is None
    assert order.raw["Last Updated"] == "yesterday-ish"
    assert "portal_updated_at" in order.problems


def test_a_row_without_an_id_is_not_a_work_order():
    assert parse_row(DEMO, header_positions(DEMO_HEADERS), [["", None]] * 11) is None


def test_it_takes_the_classic_id_from_the_link_query_string():
    headers = ["Ticket", "Ticket Status", "Pri.", "Problem", "Store", "Craft", "Sched. Date", "Due Date",
               "Not To Exceed", "Modified", "Notes"]  # fmt: skip
    cells = (
        [["WO-7", "http://x/demo-portal/classic/ticket.asp?id=WO-7"]]
        + [["", None]] * 6
        + [
            ["12/05/2026", None],
            ["USD 1,000.00", None],
            ["2026-11-29 08:30", None],
            ["", None],
        ]
    )
    order = parse_row(CLASSIC, header_positions(headers), cells)

    assert order.external_id == "WO-7"
    assert order.fields["due_at"] == datetime(2026, 12, 5, 6, tzinfo=UTC)  # midnight in Chicago
    assert order.fields["portal_updated_at"] == datetime(2026, 11, 29, 14, 30, tzinfo=UTC)


def test_a_renamed_required_column_is_reported_missing():
    renamed = ["State" if h == "Status" else h for h in DEMO_HEADERS]
    assert missing_headers(DEMO, renamed) == ["Status"]
    assert missing_headers(DEMO, [f"  {h.upper()} " for h in DEMO_HEADERS]) == []


def test_the_fingerprint_changes_with_any_field_and_only_then():
    values = {"title": "A", "nte_amount": Decimal("10.5"), "due_at": datetime(2026, 1, 1, tzinfo=UTC)}
    same = {"title": "A", "nte_amount": Decimal("10.50"), "due_at": datetime(2026, 1, 1, tzinfo=UTC)}
    assert fingerprint_of(values) == fingerprint_of(same)
    assert fingerprint_of(values) != fingerprint_of({**values, "title": "B"})


def test_it_strips_every_password_input_value():
    html = (
        '<form><input type="text" name="u" value="keep-me">'
        "<input name=passwd type=password value='s3cret'>"
        '<INPUT TYPE="PASSWORD" VALUE=hunter2></form>'
    )
    cleaned = strip_password_values(html)
    assert "s3cret" not in cleaned and "hunter2" not in cleaned
    assert 'value="keep-me"' in cleaned


class PageStandIn:
    """The three reads forensics make of a BrowserSession (a unit test of the scrubbing only)."""

    current_url = "https://portal.example/list?pw=Hunter-22"

    def page_html(self) -> str:
        return '<p>echo: Hunter-22</p><input type="password" value="Hunter-22">'

    def screenshot_png(self) -> bytes:
        return b"\x89PNG"


def test_forensics_remove_the_password_from_the_page_and_from_the_url():
    scraper = PortalScraper(definition=DEMO, browser=PageStandIn(), base_url="https://portal.example/")

    forensics = _forensics(scraper, PageStandIn(), ("Hunter-22",))

    assert forensics["error_url"] == "https://portal.example/list?pw=[removed]"
    assert "Hunter-22" not in forensics["error_html"]
    assert "echo: [removed]" in forensics["error_html"]
    assert forensics["error_screenshot"] == b"\x89PNG"
