"""Seed or change a demo-portal account's work orders, and switch its faults.

manage.py demo_seed tech@demo-portal.test --count 500            # replace with 500 work orders
manage.py demo_seed tech@demo-portal.test --new 5 --updated 3 --removed 2
manage.py demo_seed tech@demo-portal.test --fault layout=renamed_column --fault delay_seconds=2
manage.py demo_seed tech@demo-portal.test --clear-faults
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demoportal.models import PortalUser
from demoportal.services import FAULT_TYPES, portal_account_ensure, portal_work_orders_mutate, portal_work_orders_seed


class Command(BaseCommand):
    help = "Seed, change or break a demo-portal account (see the module docstring)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", help="Create the account (or reset its password).")
        parser.add_argument("--page-size", type=int)
        parser.add_argument("--count", type=int, help="Replace the account's work orders with this many.")
        parser.add_argument("--new", type=int, default=0)
        parser.add_argument("--updated", type=int, default=0)
        parser.add_argument("--removed", type=int, default=0)
        parser.add_argument("--fault", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument("--clear-faults", action="store_true")

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        if options["password"]:
            account = portal_account_ensure(
                username=options["username"], password=options["password"], page_size=options["page_size"]
            )
        else:
            account = PortalUser.objects.filter(username=options["username"]).first()
            if account is None:
                raise CommandError(f"No demo-portal account {options['username']!r}; pass --password to create it.")
            if options["page_size"]:
                account.page_size = options["page_size"]
        if options["clear_faults"]:
            account.clear_faults()
        for item in options["fault"]:
            name, _, value = item.partition("=")
            if name not in FAULT_TYPES:
                raise CommandError(f"Unknown fault {name!r}; choose from {', '.join(FAULT_TYPES)}.")
            setattr(account, name, FAULT_TYPES[name](value))
        account.full_clean()
        account.save()
        if options["count"] is not None:
            portal_work_orders_seed(account=account, count=options["count"], now=now)
        if options["new"] or options["updated"] or options["removed"]:
            change = portal_work_orders_mutate(
                account=account, now=now, new=options["new"], updated=options["updated"], removed=options["removed"]
            )
            self.stdout.write(
                f"created={len(change.created)} updated={len(change.updated)} removed={len(change.removed)}"
            )
        self.stdout.write(
            f"{account.username}: {account.work_orders.count()} work orders, page size {account.page_size}"
        )
