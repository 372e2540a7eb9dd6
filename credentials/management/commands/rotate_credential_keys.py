from django.core.management.base import BaseCommand
from django.utils import timezone

from credentials.services import credentials_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored portal credential with the first key in CREDENTIAL_KEYS."

    def handle(self, *args, **options) -> None:
        report = credentials_rotate_keys(now=timezone.now())
        self.stdout.write(
            f"rotated={report.rotated} already_current={report.already_current} "
            f"undecryptable={len(report.undecryptable_ids)} total={report.total}"
        )
        if report.undecryptable_ids:
            ids = ", ".join(str(i) for i in report.undecryptable_ids)
            self.stderr.write(
                f"No configured key decrypts portal accounts {ids}; they are flagged and their users "
                "will be asked to enter their credentials again."
            )
