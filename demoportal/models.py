"""The bundled demo vendor portal's own data: its accounts (not Django users) and work orders.

Each account carries fault-injection switches, so tests and demos can make the portal slow,
broken, forgetful or redesigned for one account without touching the others.
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password
from django.db import models


class Layout(models.TextChoices):
    STANDARD = "standard", "Standard"
    RENAMED_COLUMN = "renamed_column", "A column header renamed (Status → State)"
    MOVED_TABLE = "moved_table", "The work-order table moved into a new grid"


class PortalUser(models.Model):
    username = models.CharField(max_length=150, unique=True)
    password_hash = models.CharField(max_length=256)
    display_name = models.CharField(max_length=150, blank=True, default="")
    company = models.CharField(max_length=150, blank=True, default="Acme Facility Services")
    page_size = models.PositiveIntegerField(default=25)
    # Bumped to end every session of this account (a "log out everywhere").
    session_version = models.PositiveIntegerField(default=1)
    failed_logins = models.PositiveIntegerField(default=0)

    # --- fault injection ---------------------------------------------------------------------
    delay_seconds = models.FloatField(default=0, help_text="Every page of this account answers this much later.")
    error_500_on_page = models.PositiveIntegerField(
        null=True, blank=True, help_text="List page number that answers HTTP 500 (0 = the login page)."
    )
    reject_login = models.BooleanField(default=False, help_text="Reject even the right password.")
    lockout_after = models.PositiveIntegerField(default=0, help_text="Lock after this many failures (0 = never).")
    expire_session_after_page = models.PositiveIntegerField(
        null=True, blank=True, help_text="The session ends once this list page was served."
    )
    layout = models.CharField(max_length=20, choices=Layout, default=Layout.STANDARD)
    empty_list = models.BooleanField(default=False, help_text="The list says there are no work orders.")

    def __str__(self) -> str:
        return self.username

    def set_password(self, raw_password: str) -> None:
        self.password_hash = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        return check_password(raw_password, self.password_hash)

    @property
    def is_locked(self) -> bool:
        return bool(self.lockout_after) and self.failed_logins >= self.lockout_after

    def clear_faults(self) -> None:
        self.delay_seconds = 0
        self.error_500_on_page = None
        self.reject_login = False
        self.lockout_after = 0
        self.expire_session_after_page = None
        self.layout = Layout.STANDARD
        self.empty_list = False
        self.failed_logins = 0


class PortalWorkOrder(models.Model):
    account = models.ForeignKey(PortalUser, on_delete=models.CASCADE, related_name="work_orders")
    ref = models.CharField(max_length=30)
    summary = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=50)
    priority = models.CharField(max_length=50)
    location = models.CharField(max_length=300)
    trade = models.CharField(max_length=100)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    nte = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "ref"], name="demoportal_wo_unique_ref")]
        ordering = ["-updated_at", "ref"]

    def __str__(self) -> str:
        return f"{self.ref} {self.summary}"
