"""Apply every retention rule now (the scheduler also does, hourly; see docs/privacy.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safety.retention import retention_preview, retention_run


class Command(BaseCommand):
    help = (
        "Delete or scrub what is past its retention period (docs/privacy.md), in batches until nothing is due. "
        "--dry-run prints what would go, by kind, and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; change nothing.")
        parser.add_argument(
            "--batch-size", type=int, default=None, help="Rows per batch (default SAFETY_RETENTION_BATCH)."
        )

    def handle(self, *args, dry_run=False, batch_size=None, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if dry_run:
            counts = retention_preview()
            self.stdout.write("Dry run: nothing was changed. Due now, by kind:")
            for kind, count in counts.items():
                shown = "unknown (the session store expires its own)" if count is None else count
                self.stdout.write(f"  {kind}: {shown}")
            return
        totals = retention_run(batch_size=batch_size)
        if not totals:
            self.stdout.write("Nothing was due.")
            return
        for kind, count in sorted(totals.items()):
            self.stdout.write(f"  {kind}: {count}")
        self.stdout.write(f"Deleted or scrubbed {sum(totals.values())} row(s).")
