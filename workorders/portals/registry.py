"""Which portals the app knows. The scraper issue fills in the definitions."""

from __future__ import annotations

PORTAL_NAMES = {"demo": "Demo vendor portal (bundled)"}


def portal_slugs() -> list[str]:
    return list(PORTAL_NAMES)


def portal_choices() -> list[tuple[str, str]]:
    return list(PORTAL_NAMES.items())
