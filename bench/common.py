"""Shared by the hold benchmarks: a database of their own, Django set-up, fast synthetic data.

Made-up people only. Victims, cases, support engagements, applications and holds are written
with COPY, in chunks, so generating 100,000 victims takes seconds and little memory. The holds
are written with a placeholder decision (`active`, no grounds, no ruleset), so the first
re-evaluation changes every one of them, as after a rules upgrade.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import statistics
import sys
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CHUNK = 20_000


# --- The database and Django -------------------------------------------------------------------


def bench_database_url() -> str:
    """DATABASE_URL, with `_bench` added to its name unless it already ends so: the benchmarks
    delete their data, so they never run on a database someone keeps things in."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework")
    prefix, _, name = base.rpartition("/")
    name, _, query = name.partition("?")
    if not name.endswith("bench"):
        name += "_bench"
    return f"{prefix}/{name}" + (f"?{query}" if query else "")


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist yet."""
    import dj_database_url
    import psycopg

    params = dj_database_url.parse(url)
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    admin = (
        f"postgresql://{params['USER']}{password}@{params['HOST'] or '127.0.0.1'}:"
        f"{params['PORT'] or 5432}/postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]]
        ).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{params["NAME"]}"')


def setup_django(*, migrate: bool = True) -> str:
    """Point Django at the benchmark database (local settings), set it up and migrate."""
    url = bench_database_url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if migrate:
        ensure_database(url)
    import django
    from django.conf import settings

    django.setup()
    # Measured as production runs: no debug cursor logging every statement.
    settings.DEBUG = False
    if migrate:
        from django.core.management import call_command

        call_command("migrate", "--noinput", "-v", "0")
    return url


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB.

    Linux's `VmHWM` where there is one: `getrusage`'s `ru_maxrss` carries the parent's peak over
    `fork` + `exec`, so a measurement started by a big parent would read the parent's size.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile (0.5 for p50, 0.99 for p99), by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.50) * 1000,
        "p99": percentile(values, 0.99) * 1000,
        "mean": statistics.fmean(values) * 1000,
        "max": max(values) * 1000,
    }


def table(rows: list[tuple], headers: tuple[str, ...]) -> str:
    """A plain-text table."""
    cells = [tuple(str(cell) for cell in row) for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


# --- Synthetic data ------------------------------------------------------------------------------


def reference(prefix: str, number: int) -> str:
    """A unique reference from a row number (`prefix` distinguishes runs: `V`, `C`, `H`)."""
    digits = []
    for _ in range(7 - len(prefix)):
        number, rest = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[rest])
    return prefix + "-" + "".join(reversed(digits))


def _copy(table_name: str, columns: Iterable[str], rows: Iterable[tuple]) -> None:
    from django.db import connection

    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table_name} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 (our names)
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def reset_data() -> None:
    """Delete every victim and everything hanging off them (cases, holds, history...)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE victims_victim CASCADE")


def organisations():
    """A police force and a support organisation, with one user each (created once)."""
    from accounts.services import organisation_create_or_update, user_create_or_update

    contact = {
        "contact_team": "Bench protocol team",
        "contact_phone": "020 7946 0000",
        "contact_email": "protocol@bench.example",
    }
    force, _ = organisation_create_or_update(
        kind="police_force", code="benchforce", name="Bench Police", contact=contact
    )
    support, _ = organisation_create_or_update(
        kind="support_organisation", code="benchsupport", name="Bench Support", contact=contact
    )
    officer, _ = user_create_or_update(
        email="officer@bench.example", organisation=force, roles=["police_officer"]
    )
    adviser, _ = user_create_or_update(
        email="adviser@bench.example", organisation=support, roles=["support_adviser"]
    )
    return force, support, officer, adviser


CASE_COLUMNS = (
    "id",
    "reference",
    "victim_id",
    "force_id",
    "officer_id",
    "crime_reference",
    "crime_type",
    "role",
    "reported_on",
    "referred_on",
    "investigation_status",
    "closed_on",
    "outcome_code",
    "prosecution_status",
    "court",
    "concluded_on",
    "narrative",
    "created_at",
    "updated_at",
)
VICTIM_COLUMNS = (
    "id",
    "reference",
    "given_names",
    "family_name",
    "date_of_birth",
    "nationality",
    "home_office_reference",
    "preferred_language",
    "interpreter_needed",
    "contact",
    "address",
    "family_name_key",
    "given_names_key",
    "home_office_reference_key",
    "facts_version",
    "created_at",
    "updated_at",
)
HOLD_COLUMNS = (
    "id",
    "reference",
    "victim_id",
    "status",
    "in_force",
    "grounds",
    "protected_until",
    "flags",
    "explanation",
    "ruleset",
    "evaluated_version",
    "evaluated_at",
    "evaluated_on",
    "next_due_on",
    "status_since",
    "created_at",
)
CONSENT_COLUMNS = (
    "id",
    "victim_id",
    "organisation_id",
    "given_on",
    "recorded_by_id",
    "created_at",
)
SUPPORT_COLUMNS = (
    "id",
    "victim_id",
    "organisation_id",
    "status",
    "started_on",
    "last_contact_on",
    "closed_on",
    "consent_id",
    "referred_by_id",
    "referring_force_id",
    "referral_status",
    "decline_reason",
    "created_at",
    "updated_at",
)
APPLICATION_COLUMNS = (
    "id",
    "victim_id",
    "organisation_id",
    "route",
    "status",
    "submitted_on",
    "decided_on",
    "leave_expires_on",
    "recorded_by_id",
    "created_at",
    "updated_at",
)


def _case_statuses(rng: random.Random, reported: dt.date, today: dt.date) -> tuple:
    """(investigation_status, closed_on, outcome_code, prosecution_status, court, concluded_on)
    in realistic proportions, every date between `reported` and `today`."""
    span = (today - reported).days

    def day() -> dt.date:
        return reported + dt.timedelta(days=rng.randint(0, span))

    roll = rng.random()
    if roll < 0.40:
        status = rng.choice(
            ["reported", "under_investigation", "under_investigation", "suspect_bailed"]
            + ["released_under_investigation", "referred_to_cps"]
        )
        return status, None, None, "none", "", None
    if roll < 0.70:
        return "no_further_action", day(), rng.choice([14, 15, 16, 18, 21]), "none", "", None
    prosecution = rng.choice(
        ["charged", "awaiting_trial", "trial", "convicted_awaiting_sentence", "sentenced"]
        + ["sentenced", "acquitted", "discontinued", "no_charge"]
    )
    if prosecution in ("sentenced", "acquitted", "discontinued", "no_charge"):
        court = rng.choice(["magistrates", "crown"]) if prosecution == "sentenced" else ""
        return "charged", None, 1, prosecution, court, day()
    return "charged", None, 1, prosecution, rng.choice(["", "crown"]), None


def _victim_rows(
    *, start: int, count: int, force, support, officer, adviser, seed: int
) -> Iterator[dict[str, list[tuple]]]:
    """Rows for victims numbered `start` .. `start + count - 1`, in chunks of CHUNK victims."""
    from django.utils import timezone

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    routes = ["mvdac", "victim_of_domestic_abuse", "asylum", "euss", "vts", "other", "nrm"]
    for chunk_start in range(start, start + count, CHUNK):
        rows: dict[str, list[tuple]] = {
            "victims": [],
            "cases": [],
            "holds": [],
            "consents": [],
            "support": [],
            "applications": [],
        }
        for number in range(chunk_start, min(chunk_start + CHUNK, start + count)):
            victim_id = uuid.uuid4()
            family = f"family{number}"
            rows["victims"].append(
                (
                    victim_id,
                    reference("V", number),
                    f"given{number}",
                    family,
                    dt.date(1960, 1, 1) + dt.timedelta(days=number % 15000),
                    "SEN",
                    "",
                    "fr",
                    False,
                    "",
                    "",
                    family,
                    f"given{number}",
                    "",
                    1,
                    now,
                    now,
                )
            )
            cases = 1 + (rng.random() < 0.5)  # 1.5 cases a victim on average
            for case_number in range(cases):
                reported = today - dt.timedelta(days=rng.randint(20, 700))
                referred = reported + dt.timedelta(days=rng.randint(0, 10))
                number_2 = number * 2 + case_number
                rows["cases"].append(
                    (
                        uuid.uuid4(),
                        reference("C", number_2),
                        victim_id,
                        force.pk,
                        officer.pk,
                        f"CR/{number_2}/26",
                        "domestic_abuse",
                        "victim" if rng.random() < 0.9 else "witness",
                        reported,
                        referred,
                        *_case_statuses(rng, reported, today),
                        "Synthetic narrative.",
                        now,
                        now,
                    )
                )
            if rng.random() < 0.30:
                consent_id = number + 1
                started = today - dt.timedelta(days=rng.randint(0, 400))
                contact = started + dt.timedelta(days=rng.randint(0, (today - started).days))
                if rng.random() < 0.75:
                    status, closed = rng.choice(["referred", "engaged", "engaged"]), None
                else:
                    status, closed = rng.choice(["closed", "disengaged"]), contact
                rows["consents"].append(
                    (consent_id, victim_id, support.pk, started, officer.pk, now)
                )
                rows["support"].append(
                    (
                        uuid.uuid4(),
                        victim_id,
                        support.pk,
                        status,
                        started,
                        contact,
                        closed,
                        consent_id,
                        officer.pk,
                        force.pk,
                        "new" if status == "referred" else "accepted",
                        "",
                        now,
                        now,
                    )
                )
            if rng.random() < 0.15:
                route = rng.choice(routes)
                submitted = today - dt.timedelta(days=rng.randint(0, 500))
                decided = submitted + dt.timedelta(days=rng.randint(0, (today - submitted).days))
                leave = None
                if route == "nrm":
                    status = rng.choice(["referred", "rg_positive", "cg_positive", "cg_negative"])
                else:
                    status = rng.choice(["submitted", "granted", "refused", "withdrawn"])
                    if status == "granted":
                        leave = decided + dt.timedelta(days=rng.choice([365, 900]))
                if status in ("referred", "submitted"):
                    decided = None
                rows["applications"].append(
                    (
                        uuid.uuid4(),
                        victim_id,
                        support.pk,
                        route,
                        status,
                        submitted,
                        decided,
                        leave,
                        adviser.pk,
                        now,
                        now,
                    )
                )
            rows["holds"].append(
                (
                    uuid.uuid4(),
                    reference("H", number),
                    victim_id,
                    "active",
                    True,
                    [],
                    None,
                    [],
                    [],
                    "{}",
                    0,
                    now,
                    today,
                    None,
                    now,
                    now,
                )
            )
        yield rows


def generate(*, start: int, count: int, seed: int = 1) -> None:
    """Insert victims numbered from `start`, with their cases, support, applications and holds."""
    from django.db import transaction

    force, support, officer, adviser = organisations()
    for rows in _victim_rows(
        start=start,
        count=count,
        force=force,
        support=support,
        officer=officer,
        adviser=adviser,
        seed=seed + start,
    ):
        with transaction.atomic():
            _copy("victims_victim", VICTIM_COLUMNS, rows["victims"])
            _copy("cases_case", CASE_COLUMNS, rows["cases"])
            _copy("victims_supportconsent", CONSENT_COLUMNS, rows["consents"])
            _copy("victims_supportengagement", SUPPORT_COLUMNS, rows["support"])
            _copy("victims_application", APPLICATION_COLUMNS, rows["applications"])
            _copy("protocol_hold", HOLD_COLUMNS, rows["holds"])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('victims_supportconsent', 'id'), "
            "coalesce(max(id), 1)) FROM victims_supportconsent"
        )
        cursor.execute(
            "ANALYZE victims_victim, cases_case, victims_supportengagement, "
            "victims_application, protocol_hold"
        )
