"""Fernet encryption of portal secrets. Keys come from settings.CREDENTIAL_KEYS: the first key
encrypts, every key decrypts, so keys can be rotated without downtime (docs/operations.md)."""

from __future__ import annotations

import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableError(Exception):
    """No configured key decrypts this token. Carries no token or key material."""

    def __init__(self) -> None:
        super().__init__("The stored secret cannot be decrypted with any configured key.")


def key_fingerprint(key: str) -> str:
    """A short, non-reversible name for a key, stored beside each row it encrypted."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[list[Fernet], MultiFernet]:
    if not keys:
        raise ImproperlyConfigured("CREDENTIAL_KEYS is empty: at least one Fernet key is needed.")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # Never echo the key itself.
            raise ImproperlyConfigured(
                f"CREDENTIAL_KEYS entry {position} (fingerprint {key_fingerprint(key)}) is not a valid "
                "Fernet key: it must be 32 url-safe base64-encoded bytes "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            ) from None
    return fernets, MultiFernet(fernets)


def _configured() -> tuple[list[Fernet], MultiFernet]:
    return _fernets(tuple(settings.CREDENTIAL_KEYS))


def primary_fingerprint() -> str:
    _configured()  # validates the keys
    return key_fingerprint(settings.CREDENTIAL_KEYS[0])


def encrypt(plaintext: str) -> tuple[str, str]:
    """Encrypt with the primary key; returns (token, fingerprint of the key used)."""
    fernets, _ = _configured()
    return fernets[0].encrypt(plaintext.encode()).decode(), primary_fingerprint()


def decrypt(token: str) -> str:
    _, multi = _configured()
    try:
        return multi.decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, UnicodeDecodeError):
        raise UndecryptableError() from None


def fingerprint_that_decrypts(token: str) -> str | None:
    """Which configured key opens this token (None: none does)."""
    fernets, _ = _configured()
    for key, fernet in zip(settings.CREDENTIAL_KEYS, fernets, strict=True):
        try:
            fernet.decrypt(token.encode())
        except (InvalidToken, ValueError):
            continue
        return key_fingerprint(key)
    return None
