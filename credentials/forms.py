"""The form people (and operators, in the admin) use to enter portal credentials."""

from __future__ import annotations

from datetime import datetime

from django import forms

from accounts.models import User
from credentials.models import PortalAccount
from credentials.services import CredentialsError, credentials_store

# Where a refusal of credentials_store belongs on the form, and what it says there.
_STORE_ERRORS = {
    "unknown_portal": ("portal", "Choose one of the portals listed."),
    "empty_username": ("username", "Enter your portal username."),
    "empty_password": ("password", "Enter your portal password."),
}


def _portal_choices() -> list[tuple[str, str]]:
    from workorders.portals.registry import portal_choices

    return portal_choices()


class PortalCredentialsForm(forms.Form):
    """Portal, base URL, username and password.

    The secret fields are never pre-filled: bind it with ``initial=PortalCredentialsForm.initial_for(account)``
    to show the portal and base URL only. ``save(user=..., now=...)`` stores through credentials_store.
    """

    portal = forms.ChoiceField(label="Portal", choices=_portal_choices)
    base_url = forms.URLField(
        label="Portal address", max_length=500, assume_scheme="https", help_text="The address you log in at."
    )
    username = forms.CharField(
        label="Portal username",
        max_length=254,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Portal password",
        max_length=1000,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    @staticmethod
    def initial_for(account: PortalAccount | None) -> dict[str, str]:
        """What the form may show of saved credentials: never the username or the password."""
        if account is None:
            return {}
        return {"portal": account.portal, "base_url": account.base_url}

    def save(self, *, user: User, now: datetime) -> PortalAccount | None:
        """Store the credentials; None (with form errors added) when the service refuses them."""
        if not self.is_valid():
            raise ValueError("save() called on an invalid PortalCredentialsForm")
        data = self.cleaned_data
        try:
            return credentials_store(
                user=user,
                portal=data["portal"],
                base_url=data["base_url"],
                username=data["username"],
                password=data["password"],
                now=now,
            )
        except CredentialsError as error:
            field, message = _STORE_ERRORS.get(error.code, (None, str(error)))
            self.add_error(field, message)
            return None
