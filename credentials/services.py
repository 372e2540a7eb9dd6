"""The only way the rest of the app reads or writes portal credentials."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from accounts.models import User
from credentials import crypto
from credentials.models import CredentialStatus, PortalAccount

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortalCredentials:
    """Decrypted credentials, for the scraper only. Neither repr nor str shows the secrets."""

    portal: str
    base_url: str
    username: str = field(repr=False)
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.portal} credentials (username and password hidden)"

    def __repr__(self) -> str:
        return f"PortalCredentials(portal={self.portal!r}, base_url={self.base_url!r}, username=***, password=***)"


@dataclass(frozen=True)
class CredentialCheck:
    """Outcome of the pre-flight check. ``code`` is stable (stored, tested, used by the API);
    ``message`` is written for the user."""

    ok: bool
    code: str
    message: str


MESSAGES = {
    "ok": "Your portal credentials are saved and readable.",
    "missing": "No portal credentials are saved yet — add your portal login to start syncing.",
    "undecryptable": "Your saved password can no longer be read — please enter it again.",
    "empty_username": "The saved portal username is empty — please enter your portal login again.",
    "empty_password": "The saved portal password is empty — please enter your portal login again.",
    "unknown_portal": "The portal these credentials are for is no longer configured — choose a portal again.",
    "rejected": "The portal rejected this password — please enter your current portal login.",
}


class CredentialsError(Exception):
    """Credentials cannot be used; ``code`` is one of MESSAGES' keys."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(MESSAGES[code])


def _check(code: str) -> CredentialCheck:
    return CredentialCheck(ok=code == "ok", code=code, message=MESSAGES[code])


def _known_portals() -> set[str]:
    from workorders.portals.registry import portal_slugs

    return set(portal_slugs())


@transaction.atomic
def credentials_store(
    *, user: User, portal: str, base_url: str, username: str, password: str, now: datetime
) -> PortalAccount:
    """Encrypt and save a user's portal login (replacing any previous one)."""
    if portal not in _known_portals():
        raise CredentialsError("unknown_portal")
    if not username.strip():
        raise CredentialsError("empty_username")
    if not password:
        raise CredentialsError("empty_password")
    username_token, fingerprint = crypto.encrypt(username.strip())
    password_token, _ = crypto.encrypt(password)
    account, _ = PortalAccount.objects.select_for_update().get_or_create(
        user=user, defaults={"portal": portal, "base_url": base_url}
    )
    account.portal = portal
    account.base_url = base_url
    account.username_ciphertext = username_token
    account.password_ciphertext = password_token
    account.key_fingerprint = fingerprint
    account.password_set_at = now
    account.status = CredentialStatus.UNCHECKED
    account.status_message = ""
    account.checked_at = None
    account.save()
    logger.info("credentials stored user_id=%s portal=%s key=%s", user.pk, portal, fingerprint)
    return account


def credentials_clear(*, user: User) -> None:
    """Forget the secrets but keep the account row, so synced work orders stay attached.

    Saved with ``save()``, not ``update()``: post_save tells the running scheduler (scheduling.receivers).
    """
    account = PortalAccount.objects.filter(user=user).first()
    if account is None:
        return
    account.username_ciphertext = ""
    account.password_ciphertext = ""
    account.key_fingerprint = ""
    account.password_set_at = None
    account.status = CredentialStatus.UNCHECKED
    account.status_message = ""
    account.checked_at = None
    account.save()
    logger.info("credentials cleared user_id=%s", user.pk)


def _decrypted(account: PortalAccount) -> PortalCredentials:
    return PortalCredentials(
        portal=account.portal,
        base_url=account.base_url,
        username=crypto.decrypt(account.username_ciphertext),
        password=crypto.decrypt(account.password_ciphertext),
    )


def credentials_retrieve(*, user: User) -> PortalCredentials:
    """Decrypt a user's credentials. Raises CredentialsError when they cannot be used."""
    check, credentials = _inspect(user)
    if not check.ok:
        raise CredentialsError(check.code)
    assert credentials is not None
    return credentials


def _inspect(user: User) -> tuple[CredentialCheck, PortalCredentials | None]:
    account = PortalAccount.objects.filter(user=user).first()
    if account is None or not account.has_secrets:
        return _check("missing"), None
    if account.portal not in _known_portals():
        return _check("unknown_portal"), None
    if account.status == CredentialStatus.UNDECRYPTABLE:
        return _check("undecryptable"), None
    try:
        credentials = _decrypted(account)
    except crypto.UndecryptableError:
        logger.warning("credentials undecryptable user_id=%s key=%s", user.pk, account.key_fingerprint)
        return _check("undecryptable"), None
    if not credentials.username.strip():
        return _check("empty_username"), None
    if not credentials.password:
        return _check("empty_password"), None
    if account.status == CredentialStatus.AUTH_FAILED:
        return _check("rejected"), None
    return _check("ok"), credentials


def validate_credentials(user: User) -> CredentialCheck:
    """Pre-flight check before anything is scheduled or scraped. Never raises for bad data:
    every problem comes back as a CredentialCheck with a stable code and a message for people."""
    check, _ = _inspect(user)
    if not check.ok:
        logger.info("credentials check failed user_id=%s code=%s", user.pk, check.code)
    return check


def credentials_record_check(*, user: User, ok: bool, message: str, now: datetime) -> None:
    """Remember what the portal said of these credentials at a live login (test or sync).

    A change of verdict is saved with ``save()`` so post_save tells the running scheduler; the
    same verdict again (every successful hourly sync) is a quiet UPDATE.
    """
    status = CredentialStatus.OK if ok else CredentialStatus.AUTH_FAILED
    fields = {"status": status, "status_message": message[:300], "checked_at": now}
    account = PortalAccount.objects.filter(user=user).only("pk", "user_id", "status").first()
    if account is None:
        return
    if account.status == status:
        PortalAccount.objects.filter(pk=account.pk).update(**fields)
        return
    for name, value in fields.items():
        setattr(account, name, value)
    account.save(update_fields=[*fields, "updated_at"])
    logger.info("credentials check recorded user_id=%s status=%s", user.pk, status)


class RotationVerifyError(Exception):
    """A re-encrypted row did not decrypt back to its values; that row was left as it was and the
    rotation stopped (rows before it are rotated, and a re-run resumes)."""

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id
        super().__init__(f"Re-encryption did not verify for portal account {account_id}; it was left unchanged.")


@dataclass
class RotationReport:
    rotated: int = 0
    already_current: int = 0
    undecryptable_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.rotated + self.already_current + len(self.undecryptable_ids)


def _unflag(account: PortalAccount) -> None:
    account.status = CredentialStatus.UNCHECKED
    account.status_message = ""
    account.checked_at = None


def credentials_rotate_keys(*, now: datetime, dry_run: bool = False) -> RotationReport:
    """Re-encrypt every credential with the primary key, verifying each by decrypting it again.

    One row, one transaction: safe to interrupt and to run again (rows already on the primary
    key and readable are left alone). Rows no key opens are flagged UNDECRYPTABLE, so the user
    is asked to re-enter them, and reported by id. ``dry_run``: the same report, nothing written
    (``rotated`` counts the rows that would be re-encrypted).
    """
    report = RotationReport()
    primary = crypto.primary_fingerprint()
    ids = list(PortalAccount.objects.exclude(password_ciphertext="").order_by("pk").values_list("pk", flat=True))
    for account_id in ids:
        with transaction.atomic():
            account = PortalAccount.objects.select_for_update().filter(pk=account_id).first()
            if account is None or not account.has_secrets:
                continue
            try:
                username, username_key = crypto.decrypt_with_fingerprint(account.username_ciphertext)
                password, password_key = crypto.decrypt_with_fingerprint(account.password_ciphertext)
            except crypto.UndecryptableError:
                report.undecryptable_ids.append(account.pk)
                logger.warning("rotation cannot decrypt credentials account_id=%s", account.pk)
                if not dry_run:
                    account.status = CredentialStatus.UNDECRYPTABLE
                    account.status_message = MESSAGES["undecryptable"]
                    account.checked_at = now
                    account.save(update_fields=["status", "status_message", "checked_at", "updated_at"])
                continue
            if account.key_fingerprint == primary == username_key == password_key:
                if account.status == CredentialStatus.UNDECRYPTABLE and not dry_run:
                    # Flagged while a key was missing; the key is back, so the row is usable again.
                    _unflag(account)
                    account.save(update_fields=["status", "status_message", "checked_at", "updated_at"])
                report.already_current += 1
                continue
            if dry_run:
                report.rotated += 1
                continue
            username_token, fingerprint = crypto.encrypt(username)
            password_token, _ = crypto.encrypt(password)
            if crypto.decrypt(username_token) != username or crypto.decrypt(password_token) != password:
                raise RotationVerifyError(account.pk)
            account.username_ciphertext = username_token
            account.password_ciphertext = password_token
            account.key_fingerprint = fingerprint
            if account.status == CredentialStatus.UNDECRYPTABLE:
                _unflag(account)
            account.save()
            report.rotated += 1
            logger.debug("credentials re-encrypted account_id=%s key=%s", account.pk, fingerprint)
    logger.info(
        "credential key rotation %s rotated=%s current=%s undecryptable=%s",
        "checked (dry run)" if dry_run else "done",
        report.rotated,
        report.already_current,
        len(report.undecryptable_ids),
    )
    return report
