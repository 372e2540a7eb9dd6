"""Which portals the app knows: one definition per slug (workorders/portals/definitions.py)."""

from __future__ import annotations

from workorders.portals.definitions import DEFINITIONS, PortalDefinition

PORTAL_NAMES = {slug: definition.name for slug, definition in DEFINITIONS.items()}


def portal_slugs() -> list[str]:
    return list(PORTAL_NAMES)


def portal_choices() -> list[tuple[str, str]]:
    return list(PORTAL_NAMES.items())


def portal_definition(slug: str) -> PortalDefinition:
    """The definition for a slug. Raises KeyError for an unknown portal (the credentials
    pre-flight reports that as ``unknown_portal`` before a scrape gets here)."""
    return DEFINITIONS[slug]
