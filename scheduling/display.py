"""How instants are written for people: one formatter for templates, the API and (mirrored) the JS.

``static/js/timefmt.js`` implements the same rules in the browser so an open page stays right
past midnight; change both together.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_clock(local: datetime) -> str:
    """12-hour clock, no leading zero on the hour: "9:00 AM", "12:30 PM"."""
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def format_next_run(when: datetime, *, now: datetime, tz: tzinfo) -> str:
    """``when`` in words relative to ``now``, both read in ``tz``.

    "Today at 2:00 PM" on the same local calendar date as ``now``, "Tomorrow at 9:00 AM" on the
    next local date, otherwise "Dec 3 at 9:00 AM". Dates are compared, not 24-hour spans, so a
    run 30 minutes after ``now`` at 23:45 is "Tomorrow", and a 23-hour or 25-hour DST day changes
    nothing. Both datetimes must be aware.
    """
    local = when.astimezone(tz)
    today = now.astimezone(tz).date()
    clock = format_clock(local)
    if local.date() == today:
        return f"Today at {clock}"
    if local.date() == today + timedelta(days=1):
        return f"Tomorrow at {clock}"
    return f"{MONTHS[local.month - 1]} {local.day} at {clock}"


def zone_abbreviation(when: datetime, tz: tzinfo) -> str:
    """The zone's name at ``when``: "EST"/"EDT"/"IST"/"UTC", or the offset "+0545" for zones whose
    database entry has no letters abbreviation (tzdata writes those as "+0545", "+11", "-03")."""
    local = when.astimezone(tz)
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    return local.strftime("%z")


def format_next_run_with_zone(when: datetime, *, now: datetime, tz: tzinfo) -> str:
    """``format_next_run`` followed by the zone: "Today at 2:00 PM EST"."""
    return f"{format_next_run(when, now=now, tz=tz)} {zone_abbreviation(when, tz)}"


def format_instant(when: datetime, *, tz: tzinfo) -> str:
    """An absolute instant for history tables: "Dec 3, 2026, 9:00 AM EST"."""
    local = when.astimezone(tz)
    return f"{MONTHS[local.month - 1]} {local.day}, {local.year}, {format_clock(local)} {zone_abbreviation(when, tz)}"


def format_duration(delta: timedelta | None) -> str:
    """ "42 s", "3 min 5 s", "1 h 2 min"; "" for None."""
    if delta is None:
        return ""
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


# Where each phase starts on the dashboard's progress bar (percent); extraction fills 20 → 90 by page.
PHASE_PROGRESS = {"queued": 0, "login": 5, "navigation": 12, "extraction": 20, "saving": 92, "done": 100}


def run_progress_percent(*, phase: str, page: int, page_count: int | None) -> int:
    """The progress bar's value for a run at ``phase`` (static/js/dashboard.js mirrors it)."""
    if phase == "extraction" and page_count:
        done = min(page, page_count) / page_count
        return round(
            PHASE_PROGRESS["extraction"] + done * (PHASE_PROGRESS["saving"] - 2 - PHASE_PROGRESS["extraction"])
        )
    return PHASE_PROGRESS.get(phase, 0)
