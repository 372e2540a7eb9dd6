"""Reads of saved credentials that are safe to show to people: never a stored value."""

from __future__ import annotations

from credentials import crypto
from credentials.models import PortalAccount

MASK = "•••"


def mask_username(username: str) -> str:
    """A hint that lets a person recognise a username without revealing it.

    ``tech@example.com`` → ``t•••@example.com``; ``jsmith`` → ``j•••``; a username of fewer than
    four characters shows no character at all (one of three is too much of it).
    """
    username = username.strip()
    if not username:
        return ""
    local, at, domain = username.partition("@")
    if at and local and domain:
        return f"{local[0]}{MASK}@{domain}"
    if len(username) < 4:
        return MASK
    return f"{username[0]}{MASK}"


def portal_account_username_hint(account: PortalAccount | None) -> str:
    """The masked username of an account, or a short phrase saying why there is none."""
    if account is None or not account.username_ciphertext:
        return "not set"
    try:
        return mask_username(crypto.decrypt(account.username_ciphertext)) or "empty"
    except crypto.UndecryptableError:
        return "cannot be decrypted"
