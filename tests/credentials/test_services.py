from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from credentials import crypto
from credentials.models import CredentialStatus, PortalAccount
from credentials.services import (
    MESSAGES,
    CredentialsError,
    PortalCredentials,
    credentials_clear,
    credentials_record_check,
    credentials_retrieve,
    credentials_store,
    validate_credentials,
)
from tests.conftest import TEST_KEY_A, TEST_KEY_B
from tests.credentials.conftest import PORTAL_PASSWORD, PORTAL_USERNAME
from tests.factories import make_user

NOW = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def store(user, **overrides):
    fields = {
        "portal": "demo",
        "base_url": "https://portal.example.com/",
        "username": PORTAL_USERNAME,
        "password": PORTAL_PASSWORD,
        "now": NOW,
    }
    fields.update(overrides)
    return credentials_store(user=user, **fields)


def test_it_stores_encrypted_and_retrieves_the_same_credentials(user):
    account = store(user)

    assert account.username_ciphertext and PORTAL_USERNAME not in account.username_ciphertext
    assert account.password_ciphertext and PORTAL_PASSWORD not in account.password_ciphertext
    assert account.key_fingerprint == crypto.key_fingerprint(TEST_KEY_A)
    assert account.password_set_at == NOW
    assert account.status == CredentialStatus.UNCHECKED
    credentials = credentials_retrieve(user=user)
    assert credentials == PortalCredentials(
        portal="demo", base_url="https://portal.example.com/", username=PORTAL_USERNAME, password=PORTAL_PASSWORD
    )


def test_storing_again_replaces_the_credentials_and_resets_the_check(user):
    store(user)
    credentials_record_check(user=user, ok=False, message="Invalid login", now=NOW)

    store(user, username="other@example.com", password="new-pass")

    assert PortalAccount.objects.filter(user=user).count() == 1
    account = PortalAccount.objects.get(user=user)
    assert (account.status, account.status_message, account.checked_at) == (CredentialStatus.UNCHECKED, "", None)
    assert credentials_retrieve(user=user).password == "new-pass"


def test_the_username_is_stored_without_surrounding_spaces_but_the_password_verbatim(user):
    store(user, username="  tech@example.com \n", password=" spaced pass ")

    credentials = credentials_retrieve(user=user)

    assert (credentials.username, credentials.password) == ("tech@example.com", " spaced pass ")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"portal": "nonexistent"}, "unknown_portal"),
        ({"username": "   "}, "empty_username"),
        ({"password": ""}, "empty_password"),
    ],
)
def test_storing_refuses_unusable_credentials_with_a_code(user, overrides, code):
    with pytest.raises(CredentialsError) as raised:
        store(user, **overrides)

    assert raised.value.code == code
    assert str(raised.value) == MESSAGES[code]
    assert not PortalAccount.objects.filter(user=user).exists()


# --- validate_credentials: one test per reason code -------------------------------------------


def test_validation_is_ok_for_readable_unchecked_credentials(account, user):
    check = validate_credentials(user)

    assert (check.ok, check.code, check.message) == (True, "ok", MESSAGES["ok"])


def test_validation_reports_missing_when_nothing_was_saved(user):
    check = validate_credentials(user)

    assert (check.ok, check.code) == (False, "missing")
    assert "add your portal login" in check.message


def test_validation_reports_missing_after_the_credentials_were_cleared(account, user):
    credentials_clear(user=user)

    assert validate_credentials(user).code == "missing"
    account.refresh_from_db()
    assert (account.username_ciphertext, account.password_ciphertext, account.password_set_at) == ("", "", None)


def test_validation_reports_undecryptable_when_the_key_is_gone(account, user, settings):
    settings.CREDENTIAL_KEYS = [TEST_KEY_B]

    check = validate_credentials(user)

    assert (check.ok, check.code) == (False, "undecryptable")
    assert "enter it again" in check.message


def test_validation_reports_undecryptable_for_a_garbage_token(account, user):
    PortalAccount.objects.filter(pk=account.pk).update(password_ciphertext="garbage-not-a-fernet-token")

    assert validate_credentials(user).code == "undecryptable"


def test_validation_reports_undecryptable_for_a_row_flagged_by_rotation(account, user):
    PortalAccount.objects.filter(pk=account.pk).update(status=CredentialStatus.UNDECRYPTABLE)

    assert validate_credentials(user).code == "undecryptable"


def test_validation_reports_an_empty_username(account, user):
    token, _ = crypto.encrypt("  ")
    PortalAccount.objects.filter(pk=account.pk).update(username_ciphertext=token)

    check = validate_credentials(user)

    assert (check.ok, check.code, check.message) == (False, "empty_username", MESSAGES["empty_username"])


def test_validation_reports_an_empty_password(account, user):
    token, _ = crypto.encrypt("")
    PortalAccount.objects.filter(pk=account.pk).update(password_ciphertext=token)

    check = validate_credentials(user)

    assert (check.ok, check.code, check.message) == (False, "empty_password", MESSAGES["empty_password"])


def test_validation_reports_a_portal_that_is_no_longer_configured(account, user):
    PortalAccount.objects.filter(pk=account.pk).update(portal="retired-portal")

    check = validate_credentials(user)

    assert (check.ok, check.code, check.message) == (False, "unknown_portal", MESSAGES["unknown_portal"])


def test_validation_reports_credentials_the_portal_rejected(account, user):
    credentials_record_check(user=user, ok=False, message="Invalid username or password.", now=NOW)

    check = validate_credentials(user)

    assert (check.ok, check.code, check.message) == (False, "rejected", MESSAGES["rejected"])


def test_a_successful_live_check_makes_rejected_credentials_ok_again(account, user):
    credentials_record_check(user=user, ok=False, message="Invalid", now=NOW)
    credentials_record_check(user=user, ok=True, message="Logged in", now=NOW)

    account.refresh_from_db()
    assert (account.status, account.status_message, account.checked_at) == (CredentialStatus.OK, "Logged in", NOW)
    assert validate_credentials(user).code == "ok"


def test_every_reason_code_has_a_message_and_is_covered():
    assert set(MESSAGES) == {
        "ok",
        "missing",
        "undecryptable",
        "empty_username",
        "empty_password",
        "unknown_portal",
        "rejected",
    }


def test_validation_never_raises_for_any_bad_row(account, user):
    for username, password in [("", ""), ("garbage", "garbage"), ("x" * 5000, "y")]:
        PortalAccount.objects.filter(pk=account.pk).update(username_ciphertext=username, password_ciphertext=password)
        assert validate_credentials(user).ok is False


# --- retrieve ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["missing", "undecryptable", "rejected"])
def test_retrieve_raises_a_credentials_error_carrying_the_code(user, settings, code):
    if code != "missing":
        store(user)
    if code == "undecryptable":
        settings.CREDENTIAL_KEYS = [TEST_KEY_B]
    if code == "rejected":
        credentials_record_check(user=user, ok=False, message="no", now=NOW)

    with pytest.raises(CredentialsError) as raised:
        credentials_retrieve(user=user)

    assert raised.value.code == code
    assert PORTAL_PASSWORD not in str(raised.value) and PORTAL_USERNAME not in str(raised.value)


def test_credentials_stored_under_an_old_key_still_decrypt_while_it_is_listed(account, user, settings):
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]

    assert credentials_retrieve(user=user).password == PORTAL_PASSWORD
    assert validate_credentials(user).ok


def test_without_any_key_the_services_refuse_with_a_configuration_error(account, user, settings):
    settings.CREDENTIAL_KEYS = []

    with pytest.raises(ImproperlyConfigured, match="CREDENTIAL_KEYS"):
        store(user)
    with pytest.raises(ImproperlyConfigured, match="CREDENTIAL_KEYS"):
        credentials_retrieve(user=user)


def test_a_user_without_an_account_row_is_separate_from_one_with_credentials(account):
    other = make_user()

    assert validate_credentials(other).code == "missing"
    credentials_clear(user=other)  # nothing to clear: a no-op, not an error
    assert not PortalAccount.objects.filter(user=other).exists()


# --- the scheduler hears about changes (scheduling.receivers listens to post_save) --------------


@pytest.fixture
def saved_accounts():
    from django.db.models.signals import post_save

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append((instance.pk, kwargs.get("update_fields")))

    post_save.connect(receiver, sender=PortalAccount, dispatch_uid="test-saved-accounts")
    yield seen
    post_save.disconnect(dispatch_uid="test-saved-accounts", sender=PortalAccount)


def test_clearing_credentials_sends_post_save(account, user, saved_accounts):
    credentials_clear(user=user)

    assert [pk for pk, _ in saved_accounts] == [account.pk]


def test_a_new_verdict_sends_post_save_but_the_same_verdict_again_is_quiet(account, user, saved_accounts):
    credentials_record_check(user=user, ok=False, message="Invalid login", now=NOW)
    credentials_record_check(user=user, ok=False, message="Invalid login again", now=NOW)
    credentials_record_check(user=user, ok=True, message="Logged in", now=NOW)
    credentials_record_check(user=user, ok=True, message="Logged in", now=NOW)

    assert [pk for pk, _ in saved_accounts] == [account.pk, account.pk]
    account.refresh_from_db()
    assert (account.status, account.status_message) == (CredentialStatus.OK, "Logged in")


def test_recording_a_check_without_an_account_does_nothing(user):
    credentials_record_check(user=user, ok=True, message="Logged in", now=NOW)

    assert not PortalAccount.objects.exists()
