from django.core.management.base import BaseCommand
from django.db.models import F
from tqdm import tqdm

from protocol import services
from protocol.models import Hold


class Command(BaseCommand):
    help = (
        "Re-evaluate holds now, in batches, with a progress bar: those that lag their facts or "
        "are due (default), or every hold (--all). Streams ids; memory does not grow with holds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Re-evaluate every hold")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, all: bool, batch_size: int, no_progress: bool, **options):
        on = services.today()
        queryset = Hold.objects.all()
        if not all:
            queryset = queryset.filter(evaluated_version__lt=F("victim__facts_version")) | (
                queryset.filter(next_due_on__lte=on)
            )
        total = queryset.count()
        evaluated = changed = 0
        failed: list = []
        progress = tqdm(
            total=total, unit="hold", disable=no_progress, file=self.stderr, dynamic_ncols=True
        )
        last_id = None
        while True:
            page = queryset.order_by("pk")
            if last_id is not None:
                page = page.filter(pk__gt=last_id)
            ids = list(page.values_list("pk", flat=True)[:batch_size])
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
        progress.close()
        self.stdout.write(
            f"Re-evaluated {evaluated} holds: {changed} changed, {len(failed)} failed."
        )
        for victim_id in failed:
            self.stderr.write(f"  evaluation failed for victim {victim_id}; its hold was kept")
        if failed:
            raise SystemExit(1)
