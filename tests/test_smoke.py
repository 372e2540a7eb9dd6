import pytest
from django.db import connection


@pytest.mark.django_db
def test_it_migrates_and_serves_the_login_page(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in" in response.content
    assert connection.vendor in {"postgresql", "sqlite"}


@pytest.mark.django_db
def test_the_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
