"""Operator view of portal accounts: who, which portal, a masked username, when the password was
set and whether it works; a form to replace the credentials. Never a stored value or a token."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from credentials import crypto
from credentials.forms import PortalCredentialsForm
from credentials.models import PortalAccount
from credentials.selectors import portal_account_username_hint
from credentials.services import credentials_store


class UnfilledTextInput(forms.TextInput):
    """A text input that never renders a value, not even the one just submitted: an admin page
    re-shown after an error must not carry a portal username either."""

    def format_value(self, value) -> None:
        return None


class PortalAccountAdminForm(forms.ModelForm):
    """Portal and address of the row, plus new username and password (never pre-filled).

    Adding requires both; on a change both empty keeps the saved credentials, both filled
    replaces them, one alone is an error.
    """

    portal = PortalCredentialsForm.base_fields["portal"]
    username = forms.CharField(
        label="New portal username",
        required=False,
        strip=True,
        max_length=254,
        widget=UnfilledTextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label="New portal password",
        required=False,
        strip=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave both empty to keep the saved username and password.",
    )

    class Meta:
        model = PortalAccount
        fields = ("user", "portal", "base_url")
        labels = {"base_url": "Portal address"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Never show what is saved, whatever initial data a caller passes.
        self.initial.pop("username", None)
        self.initial.pop("password", None)
        if self.instance.pk is None:
            self.fields["username"].required = True
            self.fields["password"].required = True
            self.fields["username"].label = "Portal username"
            self.fields["password"].label = "Portal password"
            self.fields["password"].help_text = ""

    def clean(self) -> dict:
        cleaned = super().clean()
        username, password = cleaned.get("username"), cleaned.get("password")
        if bool(username) != bool(password) and not ({"username", "password"} & set(self.errors)):
            self.add_error(
                "password" if username else "username",
                "Enter both the username and the password to replace the saved credentials.",
            )
        return cleaned

    @property
    def replaces_credentials(self) -> bool:
        return bool(self.cleaned_data.get("username") and self.cleaned_data.get("password"))


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    form = PortalAccountAdminForm
    list_display = ("user", "portal", "masked_username", "password_set_on", "status", "checked_at", "key")
    list_filter = ("status", "portal", "key_fingerprint")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    readonly_fields = (
        "masked_username",
        "password_set_on",
        "status",
        "status_message",
        "checked_at",
        "key",
    )

    @method_decorator(sensitive_post_parameters("username", "password"))
    def changeform_view(self, request: HttpRequest, *args, **kwargs):
        # An error report of this page (debug page, error mail) shows the posted login as stars.
        return super().changeform_view(request, *args, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: PortalAccount | None = None):
        fieldsets = [(None, {"fields": ("user", "portal", "base_url")})]
        if obj is not None:
            fieldsets.append(
                (
                    "Saved credentials",
                    {"fields": ("masked_username", "password_set_on", "key")},
                )
            )
            fieldsets.append(("Validation", {"fields": ("status", "status_message", "checked_at")}))
        fieldsets.append(
            (
                "Replace credentials" if obj is not None else "Credentials",
                {"fields": ("username", "password")},
            )
        )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: PortalAccount | None = None):
        # The owner of a row never changes: its work orders belong to that user.
        return (*self.readonly_fields, "user") if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "user":
            # One portal account per user: offer only users who have none yet.
            kwargs["queryset"] = get_user_model().objects.filter(portal_account__isnull=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Username")
    def masked_username(self, obj: PortalAccount) -> str:
        return portal_account_username_hint(obj)

    @admin.display(description="Key", ordering="key_fingerprint")
    def key(self, obj: PortalAccount) -> str:
        """The fingerprint of the key that encrypted the row, and where that key stands now."""
        if not obj.key_fingerprint:
            return "—"
        configured = crypto.configured_fingerprints()
        if obj.key_fingerprint == configured[0]:
            state = "primary"
        elif obj.key_fingerprint in configured:
            state = "older key: run rotate_credential_keys"
        else:
            state = "key not configured"
        return f"{obj.key_fingerprint} ({state})"

    @admin.display(description="Password set on", ordering="password_set_at")
    def password_set_on(self, obj: PortalAccount) -> str:
        if obj.password_set_at is None:
            return "not set"
        return timezone.localtime(obj.password_set_at).strftime("%Y-%m-%d %H:%M %Z")

    def save_model(self, request: HttpRequest, obj: PortalAccount, form: PortalAccountAdminForm, change: bool) -> None:
        if not form.replaces_credentials:
            super().save_model(request, obj, form, change)
            return
        account = credentials_store(
            user=obj.user,
            portal=form.cleaned_data["portal"],
            base_url=form.cleaned_data["base_url"],
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            now=timezone.now(),
        )
        # The admin goes on to log and redirect with ``obj``: make it the saved row.
        obj.pk = account.pk
        obj._state.adding = False
        obj.refresh_from_db()
