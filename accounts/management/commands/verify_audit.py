from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from redis.exceptions import RedisError

from accounts.audit_verify import (
    CheckpointError,
    checkpoint_latest,
    checkpoint_parse,
    checkpoint_save,
    verify_log,
)


class Command(BaseCommand):
    help = (
        "Verify the access log: recompute its HMAC chains, check each chain's signed head, and "
        "check that every event the latest checkpoint (in Redis, or --checkpoint) saw is still "
        "there. Exit 0 and take a new checkpoint when the log is intact; exit non-zero naming "
        "what was changed or cut otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            type=Path,
            help="a file holding a checkpoint copied from the service's log ('Access log "
            "checkpoint: {...}'), to check against instead of the one in Redis",
        )

    def handle(self, *args, checkpoint: Path | None = None, **options):
        # Read before the database, so that everything the checkpoint saw had committed.
        try:
            if checkpoint is not None:
                latest = checkpoint_parse(checkpoint.read_text())
                source = str(checkpoint)
            else:
                latest, source = checkpoint_latest(), "Redis"
        except (OSError, RedisError) as error:
            raise CommandError(f"Could not read the access log checkpoint: {error}") from error
        except CheckpointError as error:
            raise CommandError(
                f"The access log checkpoint in {checkpoint or 'Redis'} is unusable: "
                f"{error}. Someone may have forged it; check against one from the service's "
                f"log with --checkpoint."
            ) from error
        verification = verify_log(latest)
        if verification.problems:
            raise CommandError(
                "\n".join(
                    [
                        *verification.problems,
                        f"{verification.checked} events checked; the access log is NOT intact.",
                    ]
                )
            )
        if latest is None:
            self.stderr.write(
                self.style.WARNING(
                    "No access log checkpoint was found in Redis (a first run, or Redis lost "
                    "it): events cut from the log before now cannot be told. Check against one "
                    "from the service's log with --checkpoint."
                )
            )
        else:
            self.stdout.write(
                f"Every event the checkpoint of {latest.taken_at} ({source}) saw is there."
            )
        try:
            if checkpoint_save(verification.chains) is None:
                self.stdout.write("A newer checkpoint was taken while checking: it is kept.")
        except RedisError as error:
            raise CommandError(
                f"The access log is intact, but the new checkpoint could not be kept in Redis: "
                f"{error}"
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{verification.checked} access events checked: the chain is intact."
            )
        )
