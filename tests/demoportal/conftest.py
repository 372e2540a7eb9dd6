import pytest
from django.utils import timezone

from demoportal.services import portal_account_ensure, portal_work_orders_seed

PASSWORD = "Pörtal-pass 42"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def portal_user(db):
    account = portal_account_ensure(username="tech@portal.test", password=PASSWORD, page_size=5)
    portal_work_orders_seed(account=account, count=12, now=timezone.now())
    return account


@pytest.fixture
def signed_in(client, portal_user):
    response = client.post("/demo-portal/login/", {"username": portal_user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client
