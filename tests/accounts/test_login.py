import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-web-password-5521"


def test_a_user_logs_in_and_lands_on_the_dashboard(client):
    make_user(username="tech", password=PASSWORD)

    response = client.post(reverse("accounts:login"), {"username": "tech", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:dashboard")
    assert client.get(reverse("workorders:dashboard")).status_code == 200


def test_a_wrong_password_shows_an_error_and_does_not_echo_the_password(client):
    make_user(username="tech", password=PASSWORD)

    response = client.post(reverse("accounts:login"), {"username": "tech", "password": "wrong-guess-7781"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "didn't match" in html
    assert "wrong-guess-7781" not in html
    assert "_auth_user_id" not in client.session


def test_login_returns_to_the_page_asked_for(client):
    make_user(username="tech", password=PASSWORD)
    target = reverse("workorders:run-list")

    response = client.post(
        reverse("accounts:login") + f"?next={target}", {"username": "tech", "password": PASSWORD, "next": target}
    )

    assert response["Location"] == target


def test_login_refuses_to_redirect_off_site(client):
    make_user(username="tech", password=PASSWORD)

    response = client.post(
        reverse("accounts:login"), {"username": "tech", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("workorders:dashboard")


def test_logout_is_a_post_and_ends_the_session(client):
    client.force_login(make_user(username="tech"))

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("workorders:dashboard")).status_code == 302


def test_an_inactive_user_cannot_log_in(client):
    make_user(username="gone", password=PASSWORD, is_active=False)

    response = client.post(reverse("accounts:login"), {"username": "gone", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_login_form_is_protected_by_csrf():
    from django.test import Client

    make_user(username="tech", password=PASSWORD)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(reverse("accounts:login"), {"username": "tech", "password": PASSWORD})

    assert response.status_code == 403
