from __future__ import annotations

from django.conf import settings
from django.db import models


class WorkOrder(models.Model):
    """A work order as last seen on the user's portal. Never deleted by a sync: when it is no
    longer listed, ``delisted_at`` is set instead."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_orders")
    portal_account = models.ForeignKey(
        "credentials.PortalAccount", on_delete=models.CASCADE, related_name="work_orders"
    )
    external_id = models.CharField(max_length=100, help_text="The portal's own id.")
    number = models.CharField(max_length=100, blank=True, default="")
    title = models.CharField(max_length=500, blank=True, default="")
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=100, blank=True, default="")
    priority = models.CharField(max_length=100, blank=True, default="")
    site = models.CharField(max_length=300, blank=True, default="")
    trade = models.CharField(max_length=200, blank=True, default="")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    nte_amount = models.DecimalField("not-to-exceed", max_digits=12, decimal_places=2, null=True, blank=True)
    portal_updated_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True, help_text="The values as scraped, before parsing.")
    # Hash of the parsed fields: a sync compares it to count unchanged rows without a field walk.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    delisted_at = models.DateTimeField(null=True, blank=True, help_text="Set when no longer listed on the portal.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["portal_account", "external_id"], name="workorder_unique_per_account")
        ]
        indexes = [
            models.Index(fields=["user", "delisted_at", "-portal_updated_at"]),
            models.Index(fields=["user", "status"]),
        ]
        ordering = ["-portal_updated_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number or self.external_id} {self.title}".strip()

    @property
    def is_listed(self) -> bool:
        return self.delisted_at is None
