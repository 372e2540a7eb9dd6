"""format_next_run and the zone name: the one place instants become words (templates, API, JS mirror)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.display import (
    format_duration,
    format_instant,
    format_next_run,
    format_next_run_with_zone,
    zone_abbreviation,
)

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
CHATHAM = ZoneInfo("Pacific/Chatham")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_it_says_today_for_the_same_utc_date():
    assert format_next_run(utc(2026, 3, 10, 14), now=utc(2026, 3, 10, 10), tz=UTC) == "Today at 2:00 PM"


def test_it_says_tomorrow_for_the_next_utc_date():
    assert format_next_run(utc(2026, 3, 11, 9), now=utc(2026, 3, 10, 23, 59), tz=UTC) == "Tomorrow at 9:00 AM"


def test_it_writes_month_and_day_beyond_tomorrow_without_the_date_fns_bug():
    text = format_next_run(utc(2026, 12, 3, 9), now=utc(2026, 11, 29, 8), tz=UTC)
    assert text == "Dec 3 at 9:00 AM"


def test_it_writes_an_earlier_date_as_month_and_day():
    assert format_next_run(utc(2026, 3, 9, 13, 5), now=utc(2026, 3, 10, 10), tz=UTC) == "Mar 9 at 1:05 PM"


@pytest.mark.parametrize(
    ("hour", "minute", "clock"),
    [
        (0, 0, "12:00 AM"),
        (0, 30, "12:30 AM"),
        (1, 0, "1:00 AM"),
        (11, 59, "11:59 AM"),
        (12, 0, "12:00 PM"),
        (13, 0, "1:00 PM"),
        (23, 45, "11:45 PM"),
    ],
)
def test_it_uses_a_twelve_hour_clock_without_leading_zero(hour, minute, clock):
    assert format_next_run(utc(2026, 3, 10, hour, minute), now=utc(2026, 3, 10), tz=UTC) == f"Today at {clock}"


def test_it_says_tomorrow_across_the_new_year():
    assert format_next_run(utc(2027, 1, 1, 0), now=utc(2026, 12, 31, 23), tz=UTC) == "Tomorrow at 12:00 AM"
    assert format_next_run(utc(2027, 1, 2, 0), now=utc(2026, 12, 31, 23), tz=UTC) == "Jan 2 at 12:00 AM"


def test_it_decides_today_by_the_users_date_not_the_utc_date():
    # 8 PM EST on Jan 15 is already Jan 16 in UTC; 10 PM the same evening is still "Today".
    now = datetime(2026, 1, 15, 20, tzinfo=NY)
    assert now.astimezone(UTC).date().day == 16
    assert format_next_run(datetime(2026, 1, 15, 22, tzinfo=NY), now=now, tz=NY) == "Today at 10:00 PM"
    assert format_next_run(datetime(2026, 1, 16, 0, tzinfo=NY), now=now, tz=NY) == "Tomorrow at 12:00 AM"


def test_it_compares_calendar_dates_not_24_hour_spans():
    now = datetime(2026, 5, 4, 23, 45, tzinfo=NY)
    assert format_next_run(now + timedelta(minutes=30), now=now, tz=NY) == "Tomorrow at 12:15 AM"
    early = datetime(2026, 5, 4, 0, 5, tzinfo=NY)
    assert format_next_run(early + timedelta(hours=23, minutes=50), now=early, tz=NY) == "Today at 11:55 PM"


def test_it_handles_the_spring_forward_day_in_new_york():
    # 2026-03-08: 2:00 AM EST jumps to 3:00 AM EDT; the day has 23 hours.
    now = utc(2026, 3, 8, 5, 30)  # 12:30 AM EST
    assert format_next_run(utc(2026, 3, 8, 7), now=now, tz=NY) == "Today at 3:00 AM"
    assert zone_abbreviation(utc(2026, 3, 8, 7), NY) == "EDT"
    assert zone_abbreviation(now, NY) == "EST"
    # 23 hours after 00:00 EST is already the next midnight (EDT).
    assert format_next_run(utc(2026, 3, 9, 4), now=utc(2026, 3, 8, 5), tz=NY) == "Tomorrow at 12:00 AM"
    assert format_next_run(utc(2026, 3, 9, 3, 59), now=utc(2026, 3, 8, 5), tz=NY) == "Today at 11:59 PM"


def test_it_handles_the_repeated_1_am_on_the_fall_back_day_in_new_york():
    # 2026-11-01: 1:00 AM EDT (05:00Z), then 1:00 AM again as EST (06:00Z); the day has 25 hours.
    now = utc(2026, 11, 1, 4, 30)  # 12:30 AM EDT
    first, second = utc(2026, 11, 1, 5), utc(2026, 11, 1, 6)
    assert format_next_run(first, now=now, tz=NY) == "Today at 1:00 AM"
    assert format_next_run(second, now=now, tz=NY) == "Today at 1:00 AM"
    assert format_next_run_with_zone(first, now=now, tz=NY) == "Today at 1:00 AM EDT"
    assert format_next_run_with_zone(second, now=now, tz=NY) == "Today at 1:00 AM EST"
    # 24.5 hours after local midnight is still the same (25-hour) day.
    assert format_next_run(utc(2026, 11, 2, 4, 30), now=utc(2026, 11, 1, 4), tz=NY) == "Today at 11:30 PM"
    assert format_next_run(utc(2026, 11, 2, 5), now=utc(2026, 11, 1, 4), tz=NY) == "Tomorrow at 12:00 AM"


def test_it_handles_a_half_hour_offset_at_midnight_in_kolkata():
    now = utc(2026, 6, 1, 18)  # 11:30 PM IST
    assert format_next_run(utc(2026, 6, 1, 18, 29), now=now, tz=KOLKATA) == "Today at 11:59 PM"
    assert format_next_run(utc(2026, 6, 1, 18, 30), now=now, tz=KOLKATA) == "Tomorrow at 12:00 AM"
    assert zone_abbreviation(now, KOLKATA) == "IST"


def test_it_handles_a_quarter_hour_offset_at_midnight_in_kathmandu():
    now = utc(2026, 6, 1, 18, 14)  # 11:59 PM +0545
    assert format_next_run(utc(2026, 6, 1, 18, 15), now=now, tz=KATHMANDU) == "Tomorrow at 12:00 AM"
    assert format_next_run(utc(2026, 6, 1, 18, 14), now=now, tz=KATHMANDU) == "Today at 11:59 PM"
    assert format_next_run_with_zone(utc(2026, 6, 2, 3, 15), now=now, tz=KATHMANDU) == "Tomorrow at 9:00 AM +0545"


def test_it_handles_lord_howes_half_hour_dst_shift():
    # 2026-04-05: 2:00 AM +11 falls back to 1:30 AM +1030; 1:30-2:00 happens twice.
    now = utc(2026, 4, 4, 13)  # 12:00 AM +11 on Apr 5
    assert format_next_run(utc(2026, 4, 4, 14, 30), now=now, tz=LORD_HOWE) == "Today at 1:30 AM"
    assert format_next_run(utc(2026, 4, 4, 15), now=now, tz=LORD_HOWE) == "Today at 1:30 AM"
    assert zone_abbreviation(utc(2026, 4, 4, 14, 30), LORD_HOWE) == "+1100"
    assert zone_abbreviation(utc(2026, 4, 4, 15), LORD_HOWE) == "+1030"
    # Midnight after the shift is 13:30Z.
    assert format_next_run(utc(2026, 4, 5, 13, 29), now=now, tz=LORD_HOWE) == "Today at 11:59 PM"
    assert format_next_run(utc(2026, 4, 5, 13, 30), now=now, tz=LORD_HOWE) == "Tomorrow at 12:00 AM"
    # 2026-10-04: 2:00 AM +1030 springs forward to 2:30 AM +11.
    before = utc(2026, 10, 3, 15, 29)  # 1:59 AM +1030
    assert format_next_run(before + timedelta(minutes=1), now=before, tz=LORD_HOWE) == "Today at 2:30 AM"


def test_it_handles_chatham_where_the_local_date_runs_ahead_of_utc():
    # +1245 in winter (June): 11:15Z is local midnight.
    now = utc(2026, 6, 1, 11, 14)  # 11:59 PM Jun 1
    assert format_next_run(utc(2026, 6, 1, 11, 15), now=now, tz=CHATHAM) == "Tomorrow at 12:00 AM"
    assert format_next_run(utc(2026, 6, 2, 11, 15), now=now, tz=CHATHAM) == "Jun 3 at 12:00 AM"
    assert zone_abbreviation(now, CHATHAM) == "+1245"
    assert zone_abbreviation(utc(2026, 1, 1), CHATHAM) == "+1345"


@pytest.mark.parametrize(
    ("zone", "when", "expected"),
    [
        ("UTC", utc(2026, 1, 1), "UTC"),
        ("America/New_York", utc(2026, 1, 1), "EST"),
        ("America/New_York", utc(2026, 7, 1), "EDT"),
        ("Asia/Kolkata", utc(2026, 1, 1), "IST"),
        ("Asia/Kathmandu", utc(2026, 1, 1), "+0545"),
        ("America/Sao_Paulo", utc(2026, 1, 1), "-0300"),
    ],
)
def test_it_names_the_zone_by_abbreviation_or_offset(zone, when, expected):
    assert zone_abbreviation(when, ZoneInfo(zone)) == expected


def test_it_formats_an_absolute_instant_with_year_and_zone():
    assert format_instant(utc(2026, 12, 3, 14), tz=NY) == "Dec 3, 2026, 9:00 AM EST"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (42.4, "42 s"), (60, "1 min"), (185, "3 min 5 s"), (3600, "1 h"), (3720, "1 h 2 min")],
)
def test_it_writes_durations_briefly(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text


def test_it_writes_no_duration_as_empty():
    assert format_duration(None) == ""
