from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries
from tqdm import tqdm

from protocol import services
from protocol.models import Hold


class Command(BaseCommand):
    help = (
        "Re-evaluate holds now, in batches, with a progress bar: those that lag their facts or "
        "are due (default), or every hold (--all). Streams ids a batch at a time, so memory "
        "does not grow with the number of holds. Exits non-zero, naming the holds, if any "
        "evaluation failed (those holds are kept as they were)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", dest="every_hold", help="Re-evaluate every hold"
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, every_hold: bool, batch_size: int, no_progress: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        on = services.today()
        queryset = Hold.objects.all() if every_hold else services.holds_needing_evaluation(on=on)
        total = queryset.count()
        evaluated = changed = 0
        failed: list[str] = []
        # The progress bar draws on the real stream: Django's wrapper would end every redraw
        # with a new line.
        progress = tqdm(
            total=total,
            unit="hold",
            disable=no_progress,
            file=getattr(self.stderr, "_out", self.stderr),
            dynamic_ncols=True,
        )
        last_id = None
        while True:
            ids = services.hold_ids_after(queryset, limit=batch_size, after=last_id)
            if not ids:
                break
            last_id = ids[-1]
            result = services.holds_reevaluate_batch(
                hold_ids=ids, trigger=services.Trigger.COMMAND, on=on
            )
            evaluated += result.evaluated
            changed += result.changed
            failed.extend(result.failed)
            progress.update(len(ids))
            if settings.DEBUG:
                reset_queries()  # or DEBUG's query log would keep every batch's statements
        progress.close()
        self.stdout.write(
            f"Re-evaluated {evaluated} holds: {changed} changed, {len(failed)} failed."
        )
        if failed:
            for reference in failed:
                self.stderr.write(f"{reference}: evaluation failed; the hold was kept as it was")
            raise CommandError(f"{len(failed)} holds could not be evaluated.")
