"""`manage.py rotate_keys`: re-encrypt every secret under the newest key."""

import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from security.crypto import SecretDecryptionError
from security.rotation import keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the first key of FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            report = keys_rotate().as_dict()
        except (SecretDecryptionError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        for label, count in report["rotated"].items():
            current = report["already_current"][label]
            self.stdout.write(f"{label}: {count} re-encrypted, {current} already under the new key")
        self.stdout.write(f"Re-encrypted {report['total_rotated']} value(s).")
