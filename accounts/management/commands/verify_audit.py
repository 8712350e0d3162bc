from django.core.management.base import BaseCommand, CommandError

from accounts.audit import cut_chains, verify_chain


class Command(BaseCommand):
    help = (
        "Verify the access log's HMAC chain: print how many events were checked and exit 0 when "
        "it is intact; exit non-zero naming the first broken event otherwise."
    )

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"The access log is broken at event {broken.pk} (at {broken.at.isoformat()}): "
                f"it or the event before it was changed, removed or inserted. "
                f"{checked} events before it are intact."
            )
        cut = cut_chains()
        if cut:
            raise CommandError(
                f"Events were removed from the end of audit chain(s) {', '.join(map(str, cut))}: "
                f"the newest event of each no longer matches the chain's head (or the head itself "
                f"was removed). "
                f"{checked} events are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(f"{checked} access events checked: the chain is intact.")
        )
