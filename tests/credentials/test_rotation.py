from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from credentials import crypto
from credentials.models import CredentialStatus, PortalAccount
from credentials.services import credentials_retrieve, credentials_rotate_keys, validate_credentials
from tests.conftest import TEST_KEY_A, TEST_KEY_B
from tests.factories import make_portal_account, make_user

NOW = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
FP_A = crypto.key_fingerprint(TEST_KEY_A)
FP_B = crypto.key_fingerprint(TEST_KEY_B)

pytestmark = pytest.mark.django_db


def accounts_under_key_a(count: int) -> list[PortalAccount]:
    return [
        make_portal_account(make_user(), username=f"tech{n}@example.com", password=f"secret-{n}") for n in range(count)
    ]


def run_command() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_credential_keys", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_rotation_re_encrypts_every_row_under_the_new_primary_key(settings):
    accounts = accounts_under_key_a(3)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]

    report = credentials_rotate_keys(now=NOW)

    assert (report.rotated, report.already_current, report.undecryptable_ids, report.total) == (3, 0, [], 3)
    for n, account in enumerate(accounts):
        before = account.password_ciphertext
        account.refresh_from_db()
        assert account.key_fingerprint == FP_B
        assert account.password_ciphertext != before
        assert crypto.fingerprint_that_decrypts(account.username_ciphertext) == FP_B
        assert crypto.fingerprint_that_decrypts(account.password_ciphertext) == FP_B
        assert credentials_retrieve(user=account.user).password == f"secret-{n}"


def test_after_rotation_the_old_key_can_be_dropped(settings):
    (account,) = accounts_under_key_a(1)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    credentials_rotate_keys(now=NOW)

    settings.CREDENTIAL_KEYS = [TEST_KEY_B]

    assert validate_credentials(account.user).ok
    assert credentials_retrieve(user=account.user).password == "secret-0"


def test_rotation_is_idempotent(settings):
    accounts_under_key_a(2)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    credentials_rotate_keys(now=NOW)
    tokens = list(PortalAccount.objects.order_by("pk").values_list("password_ciphertext", flat=True))

    again = credentials_rotate_keys(now=NOW)

    assert (again.rotated, again.already_current, again.undecryptable_ids) == (0, 2, [])
    assert list(PortalAccount.objects.order_by("pk").values_list("password_ciphertext", flat=True)) == tokens


def test_rotation_resumes_where_an_interrupted_run_stopped(settings):
    first, _second = accounts_under_key_a(2)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    # An interrupted run committed the first row only (each row is its own transaction).
    username, _ = crypto.encrypt("tech0@example.com")
    password, fingerprint = crypto.encrypt("secret-0")
    PortalAccount.objects.filter(pk=first.pk).update(
        username_ciphertext=username, password_ciphertext=password, key_fingerprint=fingerprint
    )

    report = credentials_rotate_keys(now=NOW)

    assert (report.rotated, report.already_current) == (1, 1)
    assert set(PortalAccount.objects.values_list("key_fingerprint", flat=True)) == {FP_B}


def test_a_row_whose_fingerprint_is_stale_is_rotated_even_if_labelled_current(settings):
    (account,) = accounts_under_key_a(1)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    PortalAccount.objects.filter(pk=account.pk).update(key_fingerprint=FP_B)  # label lies: tokens are under A

    report = credentials_rotate_keys(now=NOW)

    assert report.rotated == 1
    account.refresh_from_db()
    assert crypto.fingerprint_that_decrypts(account.password_ciphertext) == FP_B


def test_rotation_flags_and_reports_undecryptable_rows_and_rotates_the_others(settings):
    good, bad, also_good = accounts_under_key_a(3)
    PortalAccount.objects.filter(pk=bad.pk).update(password_ciphertext="gAAAAAB-not-really-a-token")
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]

    report = credentials_rotate_keys(now=NOW)

    assert (report.rotated, report.undecryptable_ids) == (2, [bad.pk])
    bad.refresh_from_db()
    assert (bad.status, bad.checked_at) == (CredentialStatus.UNDECRYPTABLE, NOW)
    assert validate_credentials(bad.user).code == "undecryptable"
    for account in (good, also_good):
        account.refresh_from_db()
        assert account.key_fingerprint == FP_B
        assert account.status == CredentialStatus.UNCHECKED

    again = credentials_rotate_keys(now=NOW)
    assert (again.rotated, again.already_current, again.undecryptable_ids) == (0, 2, [bad.pk])


def test_rows_of_a_dropped_key_are_flagged_until_the_key_is_back(settings):
    (account,) = accounts_under_key_a(1)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B]  # key A dropped too early

    assert credentials_rotate_keys(now=NOW).undecryptable_ids == [account.pk]
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]  # operator restores it
    assert validate_credentials(account.user).code == "undecryptable"  # still flagged until rotation

    report = credentials_rotate_keys(now=NOW)

    assert (report.rotated, report.undecryptable_ids) == (1, [])
    account.refresh_from_db()
    assert (account.status, account.key_fingerprint) == (CredentialStatus.UNCHECKED, FP_B)
    assert validate_credentials(account.user).ok


def test_a_flagged_row_already_on_the_primary_key_is_unflagged_when_it_decrypts():
    (account,) = accounts_under_key_a(1)
    PortalAccount.objects.filter(pk=account.pk).update(status=CredentialStatus.UNDECRYPTABLE)

    report = credentials_rotate_keys(now=NOW)

    assert (report.already_current, report.undecryptable_ids) == (1, [])
    account.refresh_from_db()
    assert account.status == CredentialStatus.UNCHECKED


def test_rows_without_secrets_are_skipped():
    (account,) = accounts_under_key_a(1)
    PortalAccount.objects.filter(pk=account.pk).update(username_ciphertext="", password_ciphertext="")

    assert credentials_rotate_keys(now=NOW).total == 0


def test_the_command_reports_counts_and_exits_zero_when_all_rows_rotate(settings):
    accounts_under_key_a(2)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]

    out, err = run_command()

    assert "rotated=2 already_current=0 undecryptable=0 total=2" in out
    assert f"Primary key {FP_B}" in out
    assert err == ""
    out, _ = run_command()
    assert "rotated=0 already_current=2 undecryptable=0 total=2" in out


def test_the_command_lists_undecryptable_rows_and_exits_with_status_2(settings):
    _good, bad = accounts_under_key_a(2)
    PortalAccount.objects.filter(pk=bad.pk).update(username_ciphertext="garbage")
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    out = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("rotate_credential_keys", stdout=out)

    assert raised.value.returncode == 2
    assert f"portal accounts {bad.pk}." in str(raised.value)
    assert "rotated=1 already_current=0 undecryptable=1 total=2" in out.getvalue()


def test_the_command_turns_a_malformed_key_into_a_clear_error_without_the_key(settings):
    settings.CREDENTIAL_KEYS = ["not-a-fernet-key"]

    with pytest.raises(CommandError) as raised:
        run_command()

    assert "entry 1 of 1 is not a valid Fernet key" in str(raised.value)
    assert "not-a-fernet-key" not in str(raised.value)
    assert raised.value.returncode == 1


def test_a_re_encryption_that_does_not_verify_leaves_the_row_and_stops(settings, monkeypatch):
    first, second = accounts_under_key_a(2)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    real_encrypt = crypto.encrypt

    def encrypt_badly_for_the_second_row(plaintext):
        return real_encrypt("corrupted" if plaintext == "secret-1" else plaintext)

    monkeypatch.setattr(crypto, "encrypt", encrypt_badly_for_the_second_row)
    before = PortalAccount.objects.get(pk=second.pk).password_ciphertext

    with pytest.raises(CommandError) as raised:
        run_command()

    assert f"portal account {second.pk}" in str(raised.value) and raised.value.returncode == 1
    assert "secret-1" not in str(raised.value)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.key_fingerprint == FP_B
    assert (second.key_fingerprint, second.password_ciphertext) == (FP_A, before)
    monkeypatch.setattr(crypto, "encrypt", real_encrypt)
    assert credentials_rotate_keys(now=NOW).rotated == 1


def test_a_dry_run_reports_without_changing_anything(settings):
    good, bad = accounts_under_key_a(2)
    PortalAccount.objects.filter(pk=bad.pk).update(password_ciphertext="garbage")
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    before = list(PortalAccount.objects.order_by("pk").values_list("password_ciphertext", "key_fingerprint", "status"))
    out = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("rotate_credential_keys", "--dry-run", stdout=out)

    assert raised.value.returncode == 2
    assert f"portal accounts {bad.pk}. Not flagged (dry run)." in str(raised.value)
    assert "Dry run, nothing changed: would_rotate=1 already_current=0 undecryptable=1 total=2" in out.getvalue()
    after = list(PortalAccount.objects.order_by("pk").values_list("password_ciphertext", "key_fingerprint", "status"))
    assert after == before
    report = credentials_rotate_keys(now=NOW, dry_run=True)
    assert (report.rotated, report.undecryptable_ids) == (1, [bad.pk])
    assert credentials_retrieve(user=good.user).password == "secret-0"
