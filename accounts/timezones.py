"""The IANA zones a user may pick; one place that decides what a valid zone is."""

from __future__ import annotations

import functools
import zoneinfo

from django.core.exceptions import ValidationError

# Files in the system's zoneinfo directory that are not zones a person lives in: "localtime" is
# the server's own zone (it would silently follow the host), "Factory" a "-00" placeholder.
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Pick an IANA zone such as America/New_York.",
            code="invalid_timezone",
            params={"value": value},
        )
