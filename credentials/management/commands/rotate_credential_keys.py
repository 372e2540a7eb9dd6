from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from credentials import crypto
from credentials.services import RotationVerifyError, credentials_rotate_keys

# Distinct from 1 (an error stopped the rotation): everything readable was rotated, but some
# rows are flagged for their users to re-enter. Scripts can tell the two apart.
EXIT_UNDECRYPTABLE = 2


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored portal credential with the first key in CREDENTIAL_KEYS, verifying "
        "each. Idempotent and safe to interrupt. Exit status 0: all rotated or already current; "
        f"{EXIT_UNDECRYPTABLE}: some rows no configured key decrypts (listed and flagged); 1: an error. "
        "--dry-run reports the same without changing anything."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be rotated and which rows are undecryptable; change nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        try:
            primary = crypto.primary_fingerprint()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Primary key {primary}; configured keys: {', '.join(crypto.configured_fingerprints())}")
        try:
            report = credentials_rotate_keys(now=timezone.now(), dry_run=dry_run)
        except RotationVerifyError as error:
            raise CommandError(f"{error} Rotation stopped; run the command again after checking the keys.") from None
        counts = (
            f"already_current={report.already_current} undecryptable={len(report.undecryptable_ids)} "
            f"total={report.total}"
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing changed: would_rotate={report.rotated} {counts}")
        else:
            self.stdout.write(f"rotated={report.rotated} {counts}")
        if report.undecryptable_ids:
            ids = ", ".join(str(i) for i in report.undecryptable_ids)
            what_next = (
                "Not flagged (dry run)."
                if dry_run
                else "They are flagged and their users will be asked to enter their credentials again "
                "(or add the missing key to CREDENTIAL_KEYS and run this command again to unflag them)."
            )
            raise CommandError(
                f"No configured key decrypts portal accounts {ids}. {what_next}", returncode=EXIT_UNDECRYPTABLE
            )
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Every stored credential is encrypted with the primary key."))
