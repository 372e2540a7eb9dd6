import pytest

from credentials.models import PortalAccount
from credentials.selectors import mask_username, portal_account_username_hint
from tests.credentials.conftest import PORTAL_USERNAME


@pytest.mark.parametrize(
    ("username", "masked"),
    [
        ("tech@example.com", "t•••@example.com"),
        ("  tech@example.com ", "t•••@example.com"),
        ("jsmith", "j•••"),
        ("abcd", "a•••"),
        ("abc", "•••"),
        ("a", "•••"),
        ("", ""),
        ("@example.com", "@•••"),
        ("user@", "u•••"),
        ("DOMAIN\\jsmith", "D•••"),
    ],
)
def test_mask_username_keeps_only_a_recognisable_hint(username, masked):
    assert mask_username(username) == masked


def test_a_masked_username_never_contains_the_full_local_part():
    for username in ("tech@example.com", "ab@example.com", "field.tech.long@example.com"):
        assert username.split("@")[0] not in mask_username(username)


@pytest.mark.django_db
def test_the_hint_of_an_account_says_why_there_is_no_username(account):
    assert portal_account_username_hint(account) == "f•••@acme-plumbing.example"
    assert PORTAL_USERNAME not in portal_account_username_hint(account)
    assert portal_account_username_hint(None) == "not set"
    PortalAccount.objects.filter(pk=account.pk).update(username_ciphertext="garbage")
    account.refresh_from_db()
    assert portal_account_username_hint(account) == "cannot be decrypted"
    PortalAccount.objects.filter(pk=account.pk).update(username_ciphertext="")
    account.refresh_from_db()
    assert portal_account_username_hint(account) == "not set"
