from datetime import date

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from protocol.services import simulation


class Command(BaseCommand):
    help = (
        "Simulate a policy change: every hold not ended by an end confirmation evaluated under "
        "the proposed settings beside the running ones, on --on (today by default). Writes "
        "nothing; prints counts only, small numbers suppressed, the rest perturbed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--set",
            action="append",
            dest="assignments",
            required=True,
            metavar="NAME=VALUE",
            help="A setting to change (appeal_window_days.crown=21 for a nested one)",
        )
        parser.add_argument("--on", help="The date to simulate (YYYY-MM-DD): today to +365 days")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, assignments, on, batch_size, no_progress, **options):
        try:
            changes = simulation.parse_set(assignments)
            proposed = simulation.proposed_policy(changes)
            try:
                day = date.fromisoformat(on) if on else None
            except ValueError as error:
                raise simulation.SimulationInputError(
                    {"on": ["Give a date as YYYY-MM-DD."]}
                ) from error
            day = simulation.check_on(day)
        except simulation.SimulationInputError as error:
            raise CommandError(
                "; ".join(
                    f"{name}: {' '.join(messages)}" for name, messages in error.errors.items()
                )
            ) from error
        total = simulation.simulated_holds().count()
        progress = tqdm(
            total=total,
            unit="hold",
            disable=no_progress,
            file=getattr(self.stderr, "_out", self.stderr),
        )
        tally = simulation.simulate(
            proposed=proposed, on=day, batch_size=batch_size, progress=progress.update
        )
        progress.close()
        answer = simulation.result(tally, proposed=proposed, on=day)
        self._print(answer)
        self.stdout.write(
            f"Simulated {_shown(answer['holds'])} holds: "
            f"{_shown(answer['changed'])} would change status"
        )

    def _print(self, answer):
        changes = answer["status_changes"]
        keys = [s["key"] for s in changes["statuses"]]
        self.stdout.write(
            f"Policy simulation on {answer['on']} (counts under 5 shown as *; every other "
            "count and sum perturbed against differencing, so totals may not add up)"
        )
        self.stdout.write(
            f"{'from/to':<14}" + "".join(f"{k[:11]:>12}" for k in keys) + f"{'total':>9}"
        )
        for key, row, total in zip(keys, changes["from_to"], changes["from_totals"], strict=True):
            self.stdout.write(
                f"{key[:13]:<14}" + "".join(f"{_shown(c):>12}" for c in row) + f"{_shown(total):>9}"
            )
        days = answer["protection_days"]
        self.stdout.write(
            f"Protection days gained: {_shown(days['gained'])} "
            f"(holds {_shown(days['holds_gaining'])}); lost: {_shown(days['lost'])} "
            f"(holds {_shown(days['holds_losing'])})"
        )
        for ground in answer["by_ground"]:
            self.stdout.write(
                f"  {ground['key']:<24} running {_shown(ground['running']):>7}"
                f"  proposed {_shown(ground['proposed']):>7}"
            )


def _shown(value) -> str:
    return "*" if value is None else str(value)
