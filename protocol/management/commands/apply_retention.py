from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from protocol.services import retention


class Command(BaseCommand):
    help = (
        'Erase the identifying data that retention says is due (API.md "Data lifecycle"), in '
        "batches with a progress bar, each person in their own transaction with an access "
        "event. --dry-run counts only. Last line: 'Retention: N people erased' (or 'would be "
        "erased')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count only; erase nothing")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, dry_run: bool, batch_size: int | None, no_progress: bool, **options):
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        # The progress bar draws on the real stream (Django's wrapper would add new lines), and
        # counts without knowing the total: counting first would read every candidate twice.
        progress = tqdm(
            unit="person",
            disable=no_progress,
            file=getattr(self.stderr, "_out", self.stderr),
            dynamic_ncols=True,
        )
        result = retention.retention_apply(
            dry_run=dry_run, batch_size=batch_size, progress=progress.update
        )
        progress.close()
        if dry_run:
            self.stdout.write(f"Retention: {result.due} people would be erased")
        else:
            self.stdout.write(f"Retention: {result.erased} people erased")
