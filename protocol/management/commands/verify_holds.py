from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction

from protocol import services
from protocol.models import Hold
from protocol.snapshot import snapshots_for


class Command(BaseCommand):
    help = (
        "Compare every stored hold with a fresh evaluation of its facts. Exits non-zero and names "
        "each hold whose stored decision differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        on = services.today()
        checked = 0
        problems: list[str] = []
        last_id = None
        while True:
            holds, snapshots = self._read_batch(last_id, batch_size)
            if not holds:
                break
            last_id = holds[-1].id
            for hold in holds:
                checked += 1
                try:
                    fresh = services.hold_verify(hold, snapshots[hold.victim_id], on)
                except Exception as error:
                    problems.append(f"{hold.reference}: evaluation failed ({error!r})")
                    continue
                if fresh is not None:
                    problems.append(
                        f"{hold.reference}: stored {hold.status} {list(hold.grounds)} "
                        f"until {hold.protected_until} flags {list(hold.flags)} "
                        f"ruleset {(hold.ruleset or {}).get('version')}; "
                        f"fresh {fresh.status} {list(fresh.grounds)} "
                        f"until {fresh.protected_until} flags {list(fresh.flags)} "
                        f"ruleset {fresh.ruleset}"
                    )
            if settings.DEBUG:
                reset_queries()
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(
                f"{len(problems)} of {checked} holds differ from a fresh evaluation."
            )
        self.stdout.write(f"All {checked} holds match a fresh evaluation.")

    def _read_batch(self, last_id, batch_size: int):
        """The next batch of holds and their facts, read from one snapshot of the database (at
        the top level, a repeatable-read transaction), so that a change committed while the
        batch is read cannot pass for a difference."""
        top_level = not connection.in_atomic_block
        with transaction.atomic():
            if top_level:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            page = Hold.objects.order_by("pk")
            if last_id is not None:
                page = page.filter(pk__gt=last_id)
            holds = [
                services.StoredHold(*row)
                for row in page.values_list(*services.STORED_FIELDS)[:batch_size]
            ]
            snapshots = snapshots_for([hold.victim_id for hold in holds]) if holds else {}
        return holds, snapshots
