import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from protocol.rules import FactsFormatError, PolicyError, scenario_results


class Command(BaseCommand):
    help = (
        "Evaluate hold scenario files (shared/scenarios format) with the rules engine and print "
        "one JSON array with a result per item. `expect` is ignored."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args, paths: list[str], **options):
        results: list[dict] = []
        for path in paths:
            try:
                # utf-8-sig: a file saved with a byte-order mark is still UTF-8 JSON.
                items = json.loads(Path(path).read_text(encoding="utf-8-sig"))
            except OSError as error:
                reason = error.strerror or str(error)
                raise CommandError(f"{path}: cannot read the file ({reason}).") from None
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise CommandError(f"{path}: not valid JSON ({error}).") from None
            except RecursionError:
                raise CommandError(f"{path}: not valid JSON (nested too deeply).") from None
            try:
                results.extend(scenario_results(items))
            except (FactsFormatError, PolicyError) as error:
                raise CommandError(f"{path}: {error}") from None
        self.stdout.write(json.dumps(results, indent=2, ensure_ascii=False))
