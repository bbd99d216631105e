"""Delete old ended conversations (run daily from a timer; see docs/safety.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from safety.retention import retention_run


class Command(BaseCommand):
    help = "Delete ended conversations older than SAFETY_RETENTION_DAYS that are not under review."

    def handle(self, *args, **options):
        total = 0
        while True:  # retention_run deletes in batches
            deleted = retention_run()
            total += deleted
            if deleted == 0:
                break
        self.stdout.write(f"Deleted {total} conversation(s) older than {settings.SAFETY_RETENTION_DAYS} days.")
