"""Idempotent demo set-up: the demo portal's account and work orders, and the web user ``demo``
whose stored credentials point at the bundled portal (settings.DEMO_PORTAL_BASE_URL)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from credentials.models import PortalAccount
from credentials.services import credentials_retrieve, credentials_store, validate_credentials
from demoportal.services import portal_account_ensure, portal_work_orders_seed

WEB_USERNAME = "demo"
WEB_PASSWORD = "demo-password"  # noqa: S105 (the documented demo login)
PORTAL_USERNAME = "tech@demo-portal.test"
PORTAL_PASSWORD = "demo-portal-pass"  # noqa: S105
WORK_ORDERS = 60


class Command(BaseCommand):
    help = "Create the demo web user and its demo-portal account with work orders (safe to run again)."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        portal_user = portal_account_ensure(
            username=PORTAL_USERNAME, password=PORTAL_PASSWORD, display_name="Demo Technician", page_size=25
        )
        if not portal_user.work_orders.exists():
            portal_work_orders_seed(account=portal_user, count=WORK_ORDERS, now=now)

        user = User.objects.filter(username=WEB_USERNAME).first()
        if user is None:
            user = User(username=WEB_USERNAME, timezone="America/New_York", schedule_enabled=True)
        user.timezone = user.timezone or "America/New_York"
        if not user.has_usable_password() or not user.check_password(WEB_PASSWORD):
            user.set_password(WEB_PASSWORD)
        user.save()

        if self._needs_credentials(user):
            credentials_store(
                user=user,
                portal="demo",
                base_url=settings.DEMO_PORTAL_BASE_URL,
                username=PORTAL_USERNAME,
                password=PORTAL_PASSWORD,
                now=now,
            )
        self.stdout.write(
            f"Demo ready: sign in as {WEB_USERNAME} / {WEB_PASSWORD}; "
            f"demo portal {settings.DEMO_PORTAL_BASE_URL} as {PORTAL_USERNAME} / {PORTAL_PASSWORD} "
            f"({portal_user.work_orders.count()} work orders)."
        )

    def _needs_credentials(self, user: User) -> bool:
        account = PortalAccount.objects.filter(user=user).first()
        if account is None or account.base_url != settings.DEMO_PORTAL_BASE_URL or account.portal != "demo":
            return True
        if not validate_credentials(user).ok:
            return True
        stored = credentials_retrieve(user=user)
        return stored.username != PORTAL_USERNAME or stored.password != PORTAL_PASSWORD
