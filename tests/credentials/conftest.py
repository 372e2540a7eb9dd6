import pytest

from tests.factories import make_portal_account, make_user

PORTAL_USERNAME = "field.tech@acme-plumbing.example"
PORTAL_PASSWORD = "Zq7!unique-portal-secret-93"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Web-user password hashing is not under test here; PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    return make_user(username="alice")


@pytest.fixture
def account(user):
    return make_portal_account(user, username=PORTAL_USERNAME, password=PORTAL_PASSWORD)
