"""Template filters for the web pages; the wording comes from scheduling.display."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from django import template

from scheduling import display

register = template.Library()

STATE_LABELS = {
    "active": "Active",
    "paused": "Paused",
    "auto_paused": "Paused automatically",
    "needs_credentials": "Needs credentials",
}


@register.filter
def instant(value: datetime | None, zone: tzinfo) -> str:
    """{{ run.finished_at|instant:user.zone }} → "Dec 3, 2026, 9:00 AM EST"; "" for None."""
    return display.format_instant(value, tz=zone) if value else ""


@register.filter
def duration(value: timedelta | None) -> str:
    return display.format_duration(value)


@register.filter
def progress_percent(run) -> int:
    return display.run_progress_percent(phase=run.phase, page=run.page, page_count=run.page_count)


@register.filter
def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)
