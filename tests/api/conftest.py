import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import make_portal_account, make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The token endpoint's throttle counts in the default cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user_a(db):
    return make_user(username="alice", timezone="America/New_York")


@pytest.fixture
def user_b(db):
    return make_user(username="bob", timezone="Asia/Kolkata")


@pytest.fixture
def client_a(user_a):
    client = APIClient()
    client.force_login(user_a)
    return client


@pytest.fixture
def client_b(user_b):
    client = APIClient()
    client.force_login(user_b)
    return client


@pytest.fixture
def account_a(user_a):
    return make_portal_account(user_a, username="alice-portal-login", password="Alice-Portal-Secret-1")


@pytest.fixture
def account_b(user_b):
    return make_portal_account(user_b, username="bob-portal-login", password="Bob-Portal-Secret-2")
