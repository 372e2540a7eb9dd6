"""Fernet encryption of portal secrets.

Keys come from settings.CREDENTIAL_KEYS: the first key encrypts, every key decrypts
(MultiFernet), so keys can be rotated without downtime (docs/security.md, "Key rotation").
Nothing in this module puts a key, a token or a plaintext into an exception or a log line.
"""

from __future__ import annotations

import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_HELP = (
    "Each entry must be a Fernet key: 32 url-safe base64-encoded bytes. Make one with: "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class UndecryptableError(Exception):
    """No configured key decrypts this token. Carries no token or key material."""

    def __init__(self) -> None:
        super().__init__("The stored secret cannot be decrypted with any configured key.")


def key_fingerprint(key: str) -> str:
    """A short, non-reversible name for a key, stored beside each row it encrypted.

    The first 12 hex digits of SHA-256 of the key: enough to tell keys apart in a list of a few,
    far too little to learn anything about a random 256-bit key.
    """
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[tuple[Fernet, ...], MultiFernet]:
    if not keys:
        raise ImproperlyConfigured(f"CREDENTIAL_KEYS is empty: at least one key is needed. {KEY_HELP}")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # Neither the key nor its fingerprint: a mistyped short value could be guessed from a hash.
            raise ImproperlyConfigured(
                f"CREDENTIAL_KEYS entry {position} of {len(keys)} is not a valid Fernet key. {KEY_HELP}"
            ) from None
    return tuple(fernets), MultiFernet(fernets)


def check_keys(keys: list[str] | tuple[str, ...]) -> None:
    """Raise ImproperlyConfigured when the list is empty or an entry is not a Fernet key.

    The message names the entry's position, never its value. Settings call this at start-up.
    """
    _fernets(tuple(keys))


def _keys() -> tuple[str, ...]:
    keys = settings.CREDENTIAL_KEYS
    if isinstance(keys, str):  # a bare string would otherwise be read character by character
        keys = keys.split(",")
    return tuple(k.strip() for k in keys if k and k.strip())


def _configured() -> tuple[tuple[Fernet, ...], MultiFernet]:
    return _fernets(_keys())


def primary_fingerprint() -> str:
    """Fingerprint of the key new secrets are encrypted with. Raises ImproperlyConfigured for bad keys."""
    _configured()
    return key_fingerprint(_keys()[0])


def configured_fingerprints() -> list[str]:
    """Fingerprints of every configured key, primary first."""
    _configured()
    return [key_fingerprint(k) for k in _keys()]


def encrypt(plaintext: str) -> tuple[str, str]:
    """Encrypt with the primary key; returns (token, fingerprint of the key used)."""
    if not isinstance(plaintext, str):
        raise TypeError("encrypt() takes a str")
    fernets, _ = _configured()
    return fernets[0].encrypt(plaintext.encode()).decode(), primary_fingerprint()


def decrypt(token: str) -> str:
    """The plaintext of a token made by ``encrypt`` under any configured key.

    Raises UndecryptableError for anything else: a token of a removed key, a truncated or
    garbage value, an empty string, a non-string.
    """
    if not isinstance(token, str) or not token:
        raise UndecryptableError()
    _, multi = _configured()
    try:
        return multi.decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, TypeError, UnicodeError):
        raise UndecryptableError() from None


def decrypt_with_fingerprint(token: str) -> tuple[str, str]:
    """Like ``decrypt``, and also which configured key opened the token: (plaintext, fingerprint)."""
    if not isinstance(token, str) or not token:
        raise UndecryptableError()
    fernets, _ = _configured()
    for fingerprint, fernet in zip(configured_fingerprints(), fernets, strict=True):
        try:
            return fernet.decrypt(token.encode()).decode(), fingerprint
        except (InvalidToken, ValueError, TypeError, UnicodeError):
            continue
    raise UndecryptableError()


def fingerprint_that_decrypts(token: str) -> str | None:
    """Which configured key opens this token (None: none does)."""
    try:
        return decrypt_with_fingerprint(token)[1]
    except UndecryptableError:
        return None
