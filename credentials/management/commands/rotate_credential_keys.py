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
        f"{EXIT_UNDECRYPTABLE}: some rows no configured key decrypts (listed and flagged); 1: an error."
    )

    def handle(self, *args, **options) -> None:
        try:
            primary = crypto.primary_fingerprint()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Primary key {primary}; configured keys: {', '.join(crypto.configured_fingerprints())}")
        try:
            report = credentials_rotate_keys(now=timezone.now())
        except RotationVerifyError as error:
            raise CommandError(f"{error} Rotation stopped; run the command again after checking the keys.") from None
        self.stdout.write(
            f"rotated={report.rotated} already_current={report.already_current} "
            f"undecryptable={len(report.undecryptable_ids)} total={report.total}"
        )
        if report.undecryptable_ids:
            ids = ", ".join(str(i) for i in report.undecryptable_ids)
            raise CommandError(
                f"No configured key decrypts portal accounts {ids}. They are flagged and their users will be "
                "asked to enter their credentials again (or add the missing key to CREDENTIAL_KEYS and run "
                "this command again to unflag them).",
                returncode=EXIT_UNDECRYPTABLE,
            )
        self.stdout.write(self.style.SUCCESS("Every stored credential is encrypted with the primary key."))
