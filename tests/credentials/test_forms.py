from datetime import UTC, datetime

import pytest

from credentials.forms import PortalCredentialsForm
from credentials.services import credentials_retrieve
from tests.credentials.conftest import PORTAL_PASSWORD, PORTAL_USERNAME

NOW = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def data(**overrides):
    values = {
        "portal": "demo",
        "base_url": "https://portal.example.com/",
        "username": PORTAL_USERNAME,
        "password": PORTAL_PASSWORD,
    }
    values.update(overrides)
    return values


def test_a_valid_form_stores_the_credentials(user):
    form = PortalCredentialsForm(data=data())

    assert form.is_valid(), form.errors
    account = form.save(user=user, now=NOW)

    assert account is not None and account.password_set_at == NOW
    credentials = credentials_retrieve(user=user)
    assert (credentials.username, credentials.password) == (PORTAL_USERNAME, PORTAL_PASSWORD)


def test_the_form_offers_the_registered_portals():
    form = PortalCredentialsForm()

    assert ("demo", form.fields["portal"].choices[0][1]) in form.fields["portal"].choices


def test_an_unknown_portal_is_a_field_error():
    form = PortalCredentialsForm(data=data(portal="acme-unknown"))

    assert not form.is_valid()
    assert "portal" in form.errors


@pytest.mark.parametrize(
    ("field", "value"), [("username", ""), ("username", "   "), ("password", ""), ("base_url", "not a url")]
)
def test_missing_or_invalid_values_are_field_errors(field, value):
    form = PortalCredentialsForm(data=data(**{field: value}))

    assert not form.is_valid()
    assert field in form.errors


def test_the_form_never_renders_a_submitted_password_back():
    form = PortalCredentialsForm(data=data(base_url="not a url"))
    assert not form.is_valid()

    html = form.as_div()

    assert PORTAL_PASSWORD not in html
    assert 'type="password"' in html
    assert 'autocomplete="new-password"' in html


def test_the_initial_data_for_saved_credentials_has_no_secrets(account):
    initial = PortalCredentialsForm.initial_for(account)
    html = PortalCredentialsForm(initial=initial).as_div()

    assert initial == {"portal": "demo", "base_url": account.base_url}
    assert PORTAL_USERNAME not in html and PORTAL_PASSWORD not in html
    assert account.base_url in html
    assert PortalCredentialsForm.initial_for(None) == {}


def test_a_refusal_of_the_service_becomes_a_form_error(user, monkeypatch):
    # The registry could lose a portal between validation and save (a deploy); the form says so.
    form = PortalCredentialsForm(data=data())
    assert form.is_valid()
    monkeypatch.setattr("credentials.services._known_portals", lambda: set())

    assert form.save(user=user, now=NOW) is None
    assert form.errors["portal"] == ["Choose one of the portals listed."]


def test_saving_an_invalid_form_is_a_programming_error(user):
    form = PortalCredentialsForm(data=data(password=""))

    with pytest.raises(ValueError, match="invalid"):
        form.save(user=user, now=NOW)
