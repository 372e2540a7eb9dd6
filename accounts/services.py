"""Writes to a user's schedule preferences. The scheduler reads them; it never writes them here."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError

from accounts.models import User

logger = logging.getLogger(__name__)

SCHEDULE_FIELDS = frozenset(
    {
        "timezone",
        "schedule_enabled",
        "schedule_paused_reason",
        "active_from_hour",
        "active_until_hour",
        "active_weekdays",
    }
)


def user_schedule_update(*, user: User, **fields) -> User:
    """Set schedule preferences, validate them (field validators and ``User.clean``), save only
    those fields, and return the user. The save's post_save tells the running scheduler.

    Raises ValidationError with field errors (``error.message_dict``) when a value is invalid,
    e.g. an unknown time zone; nothing is saved then and ``user`` keeps its previous values.
    Turning the schedule on clears an automatic pause reason: the user has acted on it.
    """
    unknown = set(fields) - SCHEDULE_FIELDS
    if unknown:
        raise TypeError(f"user_schedule_update() got unexpected fields: {', '.join(sorted(unknown))}")
    if fields.get("schedule_enabled") is True and "schedule_paused_reason" not in fields:
        fields["schedule_paused_reason"] = ""
    previous = {name: getattr(user, name) for name in fields}
    for name, value in fields.items():
        setattr(user, name, value)
    try:
        user.full_clean(exclude=_unrelated_fields(user))
    except ValidationError:
        for name, value in previous.items():
            setattr(user, name, value)
        raise
    user.save(update_fields=sorted(fields))
    logger.info("schedule updated user_id=%s fields=%s", user.pk, ",".join(sorted(fields)))
    return user


def _unrelated_fields(user: User) -> list[str]:
    # Validate only the schedule: a legacy username or password hash must not block a zone change.
    return [f.name for f in user._meta.fields if f.name not in SCHEDULE_FIELDS]


def user_schedule_pause(*, user: User, reason: str = "") -> User:
    """Stop the hourly sync. ``reason`` empty: the user paused; a code (e.g. "auth_failed"): the system did."""
    return user_schedule_update(user=user, schedule_enabled=False, schedule_paused_reason=reason)


def user_schedule_resume(*, user: User) -> User:
    return user_schedule_update(user=user, schedule_enabled=True, schedule_paused_reason="")
