"""The plaintext username and password exist only in memory of whoever retrieved them: never in
a database column, a log record, a repr/str or an exception message. (Admin pages: tests/test_admin.py.)"""

import logging
import pickle
from datetime import UTC, datetime

import pytest
from django.db import connection

from credentials import crypto
from credentials.models import PortalAccount
from credentials.services import (
    CredentialsError,
    credentials_record_check,
    credentials_retrieve,
    credentials_rotate_keys,
    credentials_store,
    validate_credentials,
)
from tests.conftest import TEST_KEY_A, TEST_KEY_B
from tests.credentials.conftest import PORTAL_PASSWORD, PORTAL_USERNAME

NOW = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
SECRETS = (PORTAL_USERNAME, PORTAL_PASSWORD)

pytestmark = pytest.mark.django_db


def all_database_cells():
    """Every value of every table in the test database, read with raw SQL."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected names)
            for row in cursor.fetchall():
                for value in row:
                    yield table, value


def as_text(value) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def full_cycle(user, settings) -> None:
    credentials_store(
        user=user,
        portal="demo",
        base_url="https://portal.example.com/",
        username=PORTAL_USERNAME,
        password=PORTAL_PASSWORD,
        now=NOW,
    )
    assert credentials_retrieve(user=user).password == PORTAL_PASSWORD
    assert validate_credentials(user).ok
    credentials_record_check(user=user, ok=True, message="Logged in", now=NOW)
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]
    assert credentials_rotate_keys(now=NOW).rotated == 1
    settings.CREDENTIAL_KEYS = [TEST_KEY_B]
    assert credentials_retrieve(user=user).username == PORTAL_USERNAME
    # And the failure paths, which are the ones that tend to log too much.
    settings.CREDENTIAL_KEYS = [TEST_KEY_A]
    assert validate_credentials(user).code == "undecryptable"
    assert credentials_rotate_keys(now=NOW).undecryptable_ids


def test_no_database_column_holds_the_plaintext(user, settings):
    full_cycle(user, settings)

    cells = list(all_database_cells())

    assert any(table == PortalAccount._meta.db_table for table, _ in cells), "the walk must reach the table"
    leaks = [(table, as_text(value)[:40]) for table, value in cells for s in SECRETS if s in as_text(value)]
    assert leaks == []


def test_the_stored_columns_hold_fernet_tokens_only(account):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT username_ciphertext, password_ciphertext, key_fingerprint FROM {PortalAccount._meta.db_table}"  # noqa: S608
        )
        username_token, password_token, fingerprint = cursor.fetchone()

    assert username_token.startswith("gAAAAA") and password_token.startswith("gAAAAA")
    assert fingerprint == crypto.key_fingerprint(TEST_KEY_A)
    assert crypto.decrypt(password_token) == PORTAL_PASSWORD


def test_no_log_record_holds_the_plaintext_at_debug_level(user, settings, caplog):
    caplog.set_level(logging.DEBUG)

    full_cycle(user, settings)

    assert any(r.name.startswith("credentials") for r in caplog.records), "the cycle must log something"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.args)
        for secret in SECRETS:
            assert secret not in text, f"{record.name}: {record.getMessage()}"


def test_retrieved_credentials_hide_the_secrets_in_repr_str_and_format(account, user):
    credentials = credentials_retrieve(user=user)

    for shown in (repr(credentials), str(credentials), f"{credentials}", f"{credentials!r}", repr([credentials])):
        for secret in SECRETS:
            assert secret not in shown
    assert "demo" in repr(credentials)


def test_a_portal_account_hides_the_secrets_in_repr_and_str(account):
    for shown in (repr(account), str(account), repr(PortalAccount.objects.all())):
        for secret in SECRETS:
            assert secret not in shown
        assert "gAAAAA" not in shown


def test_exception_messages_carry_no_secret_token_or_key(account, user, settings):
    settings.CREDENTIAL_KEYS = [TEST_KEY_B]
    errors = []
    try:
        credentials_retrieve(user=user)
    except CredentialsError as error:
        errors.append(error)
    try:
        crypto.decrypt(account.password_ciphertext)
    except crypto.UndecryptableError as error:
        errors.append(error)
    try:
        credentials_store(
            user=user, portal="demo", base_url="https://x.example/", username=PORTAL_USERNAME, password="", now=NOW
        )
    except CredentialsError as error:
        errors.append(error)

    assert len(errors) == 3
    for error in errors:
        text = str(error) + repr(error) + repr(error.args) + repr(error.__cause__) + repr(error.__context__)
        for forbidden in (*SECRETS, account.password_ciphertext, account.username_ciphertext, TEST_KEY_A, TEST_KEY_B):
            assert forbidden not in text


def test_a_pickled_credentials_object_is_not_a_way_around_the_repr(account, user):
    # Pickling is allowed (a worker may pass it along in-process) but its repr stays masked.
    restored = pickle.loads(pickle.dumps(credentials_retrieve(user=user)))  # noqa: S301

    assert restored.password == PORTAL_PASSWORD
    assert PORTAL_PASSWORD not in repr(restored)
