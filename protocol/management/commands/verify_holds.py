from django.core.management.base import BaseCommand

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
        on = services.today()
        checked = 0
        differing: list[str] = []
        last_id = None
        while True:
            page = Hold.objects.order_by("pk")
            if last_id is not None:
                page = page.filter(pk__gt=last_id)
            holds = list(page[:batch_size])
            if not holds:
                break
            last_id = holds[-1].pk
            snapshots = snapshots_for([hold.victim_id for hold in holds])
            for hold in holds:
                fresh = services.hold_verify(hold, snapshots[hold.victim_id], on)
                checked += 1
                if fresh is not None:
                    differing.append(
                        f"{hold.reference}: stored {hold.status} {sorted(hold.grounds)} "
                        f"until {hold.protected_until}, fresh {fresh.status} "
                        f"{sorted(fresh.grounds)} until {fresh.protected_until}"
                    )
        for line in differing:
            self.stderr.write(line)
        if differing:
            self.stderr.write(
                f"{len(differing)} of {checked} holds differ from a fresh evaluation."
            )
            raise SystemExit(1)
        self.stdout.write(f"All {checked} holds match a fresh evaluation.")
