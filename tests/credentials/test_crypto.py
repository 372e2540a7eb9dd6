import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from credentials import crypto
from tests.conftest import TEST_KEY_A, TEST_KEY_B


def test_it_round_trips_a_secret_with_the_primary_key():
    token, fingerprint = crypto.encrypt("pässwörd ✓")

    assert "pässwörd" not in token
    assert crypto.decrypt(token) == "pässwörd ✓"
    assert fingerprint == crypto.key_fingerprint(TEST_KEY_A) == crypto.primary_fingerprint()


def test_the_same_secret_encrypts_differently_each_time():
    first, _ = crypto.encrypt("same")
    second, _ = crypto.encrypt("same")

    assert first != second


def test_a_fingerprint_is_short_stable_and_reveals_nothing_of_the_key():
    fingerprint = crypto.key_fingerprint(TEST_KEY_A)

    assert len(fingerprint) == 12
    assert fingerprint == crypto.key_fingerprint(TEST_KEY_A)
    assert fingerprint != crypto.key_fingerprint(TEST_KEY_B)
    assert fingerprint not in TEST_KEY_A


def test_every_listed_key_decrypts_but_only_the_first_encrypts(settings):
    old_token, old_fingerprint = crypto.encrypt("secret")
    settings.CREDENTIAL_KEYS = [TEST_KEY_B, TEST_KEY_A]

    assert crypto.decrypt(old_token) == "secret"
    assert crypto.fingerprint_that_decrypts(old_token) == old_fingerprint
    new_token, new_fingerprint = crypto.encrypt("secret")
    assert new_fingerprint == crypto.key_fingerprint(TEST_KEY_B) != old_fingerprint
    assert crypto.fingerprint_that_decrypts(new_token) == new_fingerprint
    assert crypto.decrypt_with_fingerprint(old_token) == ("secret", old_fingerprint)
    assert crypto.decrypt_with_fingerprint(new_token) == ("secret", new_fingerprint)


def test_a_token_of_a_key_no_longer_listed_is_undecryptable(settings):
    token, _ = crypto.encrypt("secret")
    settings.CREDENTIAL_KEYS = [TEST_KEY_B]

    with pytest.raises(crypto.UndecryptableError) as raised:
        crypto.decrypt(token)
    assert crypto.fingerprint_that_decrypts(token) is None
    assert token not in str(raised.value)
    assert TEST_KEY_A not in str(raised.value) and TEST_KEY_B not in str(raised.value)


@pytest.mark.parametrize(
    "garbage",
    ["", "not a token", "gAAAAA", "gAAAAABtruncated==", "é" * 40, "\x00\x01", None, b"bytes-token", 42],
)
def test_garbage_is_undecryptable_and_never_another_exception(garbage):
    with pytest.raises(crypto.UndecryptableError):
        crypto.decrypt(garbage)
    assert crypto.fingerprint_that_decrypts(garbage) is None
    with pytest.raises(crypto.UndecryptableError):
        crypto.decrypt_with_fingerprint(garbage)


def test_a_tampered_token_is_undecryptable():
    token, _ = crypto.encrypt("secret")
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(crypto.UndecryptableError):
        crypto.decrypt(tampered)


def test_no_configured_key_is_a_configuration_error(settings):
    settings.CREDENTIAL_KEYS = []

    with pytest.raises(ImproperlyConfigured, match="CREDENTIAL_KEYS is empty"):
        crypto.encrypt("secret")
    with pytest.raises(ImproperlyConfigured, match="CREDENTIAL_KEYS is empty"):
        crypto.decrypt("anything")


def test_a_malformed_key_is_named_by_position_never_by_value(settings):
    malformed = "my-short-secret-passphrase"
    settings.CREDENTIAL_KEYS = [TEST_KEY_A, malformed]

    with pytest.raises(ImproperlyConfigured) as raised:
        crypto.encrypt("secret")

    message = str(raised.value)
    assert "entry 2 of 2" in message
    assert malformed not in message
    assert crypto.key_fingerprint(malformed) not in message
    assert TEST_KEY_A not in message


def test_a_comma_separated_string_setting_is_read_as_a_list(settings):
    settings.CREDENTIAL_KEYS = f" {TEST_KEY_B} , {TEST_KEY_A} "

    token, fingerprint = crypto.encrypt("secret")

    assert fingerprint == crypto.key_fingerprint(TEST_KEY_B)
    assert crypto.configured_fingerprints() == [crypto.key_fingerprint(TEST_KEY_B), crypto.key_fingerprint(TEST_KEY_A)]
    assert crypto.decrypt(token) == "secret"


def test_a_freshly_generated_key_is_accepted(settings):
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]

    token, _ = crypto.encrypt("x")

    assert crypto.decrypt(token) == "x"
