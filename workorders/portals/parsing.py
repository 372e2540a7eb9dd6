"""Turning the cell texts a page shows into WorkOrder field values (pure functions, no browser)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from workorders.portals.definitions import PortalDefinition

# The fields a fingerprint covers: a change to any of them makes the work order "updated".
FINGERPRINT_FIELDS = (
    "number",
    "title",
    "description",
    "status",
    "priority",
    "site",
    "trade",
    "scheduled_at",
    "due_at",
    "nte_amount",
    "portal_updated_at",
)

MONEY_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


@dataclass
class ScrapedWorkOrder:
    external_id: str
    fields: dict[str, object]
    raw: dict[str, str]
    problems: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.fields)


def fingerprint_of(values: dict[str, object]) -> str:
    """A stable hash of the parsed fields (the same instant in any zone, 10.5 == 10.50)."""
    parts = []
    for name in FINGERPRINT_FIELDS:
        value = values.get(name)
        if value is None:
            parts.append("\x00")
        elif isinstance(value, datetime):
            parts.append(repr(value.timestamp()))
        elif isinstance(value, Decimal):
            parts.append(f"{value:.2f}")
        else:
            parts.append(str(value))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def clean_text(text: str, *, multiline: bool = False) -> str:
    if multiline:
        lines = [" ".join(line.split()) for line in text.strip().splitlines()]
        return "\n".join(lines).strip()
    return " ".join(text.split())


def parse_money(text: str) -> Decimal:
    """'$1,250.00' → Decimal('1250.00'); '(120.50)' is negative. Raises ValueError."""
    negative = text.strip().startswith("(") and text.strip().endswith(")")
    match = MONEY_RE.search(text)
    if not match:
        raise ValueError(f"not an amount: {text!r}")
    try:
        amount = Decimal(match.group(0).replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    return -amount if negative and amount > 0 else amount


def parse_datetime(text: str, *, formats: tuple[str, ...], zone: ZoneInfo) -> datetime:
    """A portal-local wall time → an aware datetime in UTC. Raises ValueError."""
    for fmt in formats:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone).astimezone(UTC)
    raise ValueError(f"not a date/time in {formats}: {text!r}")


def parse_row(
    definition: PortalDefinition,
    header_index: dict[str, int],
    cells: list[list[str | None]],
) -> ScrapedWorkOrder | None:
    """One table row (each cell is [text, link href or None]) → a ScrapedWorkOrder.

    Returns None when the row has no id (it cannot be matched to a work order). A value that
    cannot be parsed is saved as empty, kept in ``raw``, and noted in ``problems``.
    """
    zone = ZoneInfo(definition.timezone)
    values: dict[str, object] = {}
    raw: dict[str, str] = {}
    problems: list[str] = []
    external_id = ""
    for column in definition.listing.columns:
        index = header_index.get(normalise_header(column.header))
        if index is None or index >= len(cells):
            continue
        text, href = cells[index][0] or "", cells[index][1]
        if column.field == "external_id":
            if column.link_pattern and href:
                match = re.search(column.link_pattern, href)
                external_id = match.group(1) if match else ""
            if not external_id:
                external_id = clean_text(text)
            continue
        raw[column.header] = text
        cleaned = clean_text(text, multiline=column.kind == "multiline")
        if column.kind in ("text", "multiline"):
            values[column.field] = cleaned
            continue
        if cleaned in definition.blank_values:
            values[column.field] = None
            continue
        try:
            if column.kind == "money":
                values[column.field] = parse_money(cleaned)
            elif column.kind == "datetime":
                values[column.field] = parse_datetime(cleaned, formats=definition.datetime_formats, zone=zone)
            elif column.kind == "date":
                values[column.field] = parse_datetime(cleaned, formats=definition.date_formats, zone=zone)
            else:
                raise ValueError(f"unknown column kind {column.kind!r}")
        except ValueError:
            values[column.field] = None
            problems.append(column.field)
    if not external_id:
        return None
    for name in FINGERPRINT_FIELDS:
        values.setdefault(name, "" if name in TEXT_FIELDS else None)
    return ScrapedWorkOrder(external_id=external_id, fields=values, raw=raw, problems=problems)


TEXT_FIELDS = {"number", "title", "description", "status", "priority", "site", "trade"}


def normalise_header(text: str) -> str:
    return " ".join(text.split()).casefold()


def missing_headers(definition: PortalDefinition, headers: list[str]) -> list[str]:
    """Required column headers the page does not show (the layout changed)."""
    shown = {normalise_header(h) for h in headers}
    return [c.header for c in definition.listing.columns if c.required and normalise_header(c.header) not in shown]


def header_positions(headers: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(normalise_header(header), index)
    return positions
