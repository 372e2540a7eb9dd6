from __future__ import annotations

from django.conf import settings
from django.db import models


class CredentialStatus(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked yet"
    OK = "ok", "Valid"
    UNDECRYPTABLE = "undecryptable", "Cannot be decrypted — re-enter"
    AUTH_FAILED = "auth_failed", "Rejected by the portal"


class PortalAccount(models.Model):
    """A user's login to their vendor portal. Username and password are stored only as Fernet
    tokens (credentials.crypto); use credentials.services to read or write them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account")
    portal = models.CharField(max_length=50, help_text="Portal definition slug, e.g. 'demo'.")
    base_url = models.URLField(max_length=500)
    username_ciphertext = models.TextField(blank=True, default="", editable=False)
    password_ciphertext = models.TextField(blank=True, default="", editable=False)
    key_fingerprint = models.CharField(max_length=16, blank=True, default="", editable=False)
    password_set_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=20, choices=CredentialStatus, default=CredentialStatus.UNCHECKED)
    status_message = models.CharField(max_length=300, blank=True, default="")
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["key_fingerprint"])]

    def __str__(self) -> str:
        return f"{self.portal} account of user {self.user_id}"

    def __repr__(self) -> str:
        return f"<PortalAccount id={self.pk} user_id={self.user_id} portal={self.portal!r}>"

    @property
    def has_secrets(self) -> bool:
        return bool(self.username_ciphertext and self.password_ciphertext)
