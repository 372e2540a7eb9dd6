import re

import pytest
import yaml
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol():
    return make_user(username="carol", password="carol-long-password-1", timezone="Pacific/Chatham")


def test_a_token_is_obtained_with_username_and_password_and_then_authenticates(carol):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "carol", "password": "carol-long-password-1"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=carol).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/schedule/").json()["timezone"] == "Pacific/Chatham"


def test_asking_twice_gives_the_same_token(carol):
    first = APIClient().post("/api/auth/token/", {"username": "carol", "password": "carol-long-password-1"}).json()
    second = APIClient().post("/api/auth/token/", {"username": "carol", "password": "carol-long-password-1"}).json()
    assert first == second


def test_a_wrong_password_gets_a_400_and_no_token(carol):
    response = APIClient().post("/api/auth/token/", {"username": "carol", "password": "nope"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with the username and password given."]}
    assert not Token.objects.exists()


def test_a_missing_field_gets_a_field_error():
    response = APIClient().post("/api/auth/token/", {"username": "carol"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_an_inactive_user_gets_no_token(carol):
    carol.is_active = False
    carol.save()
    response = APIClient().post("/api/auth/token/", {"username": "carol", "password": "carol-long-password-1"})
    assert response.status_code == 400


def test_a_bad_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/schedule/")
    assert response.status_code == 403  # DRF answers 401 only when the first authenticator is Token
    assert response.json() == {"detail": "Invalid token."}


def test_password_guessing_is_throttled(carol):
    client = APIClient()
    statuses = [client.post("/api/auth/token/", {"username": "carol", "password": "x"}).status_code for _ in range(21)]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


def test_the_schema_is_served_and_valid_openapi():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/auth/token/",
        "/api/work-orders/",
        "/api/work-orders/{work_order_id}/",
        "/api/runs/",
        "/api/runs/{run_id}/",
        "/api/sync-now/",
        "/api/schedule/",
        "/api/schedule/next-runs/",
        "/api/credentials/",
    ):
        assert path in paths
    assert set(paths["/api/credentials/"]) == {"get", "put", "post", "delete"}
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    # The credentials read documents no username or password property.
    assert set(schema["components"]["schemas"]["CredentialsDetailOutput"]["properties"]).isdisjoint(
        {"username", "password"}
    )


def test_the_docs_page_loads_everything_from_this_site(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(src.startswith("/") for src in sources), sources
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources


def test_an_error_report_of_the_token_endpoint_would_hide_the_posted_password(carol):
    from django.views.debug import SafeExceptionReporterFilter

    response = APIClient().post("/api/auth/token/", {"username": "carol", "password": "carol-long-password-1"})

    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["username"] == "carol"
    assert "carol-long-password-1" not in shown.values()
