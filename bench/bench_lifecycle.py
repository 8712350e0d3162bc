"""Data lifecycle: `manage.py apply_retention` over many victims of which a tenth are due, and the
sweep's notification scan.

    make bench-lifecycle
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench \
        REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/bench_lifecycle.py

Retention. The data: `BENCH_VICTIMS` victims (default 100,000) from the shared generator; one in
ten is made due (hold `ended` seven years ago, as its history says; cases closed; engagements
closed; no application awaiting a decision), one in ten closed too recently (a candidate the
rule must look at and refuse), the rest with holds in force. Measured in a fresh process (peak
RSS is the command's own), at `BENCH_SMALL_VICTIMS` (default 20,000) too, to show whether
memory grows with the victims: `apply_retention --dry-run`, then `apply_retention` (each person
in their own transaction, with an access event), then the same again (erases nothing).
Baseline, in the same run on the same rows: one plain `UPDATE` blanking the same people's
identifying columns (no rule, no access event, one transaction).

The sweep's notification scan. Every hold is first evaluated from its facts (the generator's
mix then gives holds due for review and engagements without contact); the notices earlier sweeps
would have made are written in bulk, already e-mailed, and the scan runs until nothing more is
owed; then, in the steady state, the
sweep (`protocol.tasks._sweep`, which includes the scan) and the scan alone are timed in
alternation, `BENCH_SWEEPS` times (default 15), judged on the medians: the scan's share of a
sweep is scan / (sweep - scan).

Targets (issue 12): apply_retention over 1,000,000 victims of which 100,000 are due in under
3 minutes with flat memory; the scan adds under 10% to a sweep of 1,000,000 holds. Data lives in
`<DATABASE_URL's name>_bench` (refilled each run; the other benchmarks refill it too).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

VICTIMS = int(os.environ.get("BENCH_VICTIMS", "100000"))
SMALL = int(os.environ.get("BENCH_SMALL_VICTIMS", "20000"))
SWEEPS = int(os.environ.get("BENCH_SWEEPS", "15"))
RETENTION_TARGET_S_PER_MILLION = 180.0
SCAN_TARGET_SHARE = 0.10

# Every tenth victim (by reference) is due; the next tenth closed too recently.
_DUE = "SELECT id FROM victims_victim WHERE abs(hashtext(reference)) % 10 = 0"
_RECENT = "SELECT id FROM victims_victim WHERE abs(hashtext(reference)) % 10 = 1"
_MAKE_CLOSED = """
UPDATE cases_case SET investigation_status = 'no_further_action', closed_on = reported_on,
       outcome_code = 16, prosecution_status = 'none', court = '', concluded_on = NULL
WHERE victim_id IN ({people});
UPDATE victims_supportengagement SET status = 'closed', closed_on = started_on
WHERE victim_id IN ({people});
UPDATE victims_application SET status = 'withdrawn', decided_on = submitted_on
WHERE victim_id IN ({people}) AND status IN ('submitted', 'challenge_lodged');
UPDATE victims_application SET status = 'cg_negative', decided_on = submitted_on
WHERE victim_id IN ({people}) AND status IN ('referred', 'rg_positive');
UPDATE protocol_hold SET status = 'ended', in_force = false,
       status_since = now() - interval '{age}', evaluated_version = 1
WHERE victim_id IN ({people});
INSERT INTO protocol_holddecision (status, in_force, grounds, protected_until, flags,
       explanation, ruleset, hold_id, decided_at, evaluated_on, facts_version, facts, trigger)
SELECT 'active', true, ARRAY['investigation_ongoing'], NULL, '{{}}', '{{}}', '{{}}', id,
       status_since - interval '400 days', (status_since - interval '400 days')::date, 1,
       '{{}}', 'referral'
FROM protocol_hold WHERE victim_id IN ({people});
INSERT INTO protocol_holddecision (status, in_force, grounds, protected_until, flags,
       explanation, ruleset, hold_id, decided_at, evaluated_on, facts_version, facts, trigger)
SELECT 'ended', false, '{{}}', NULL, '{{}}', '{{}}', '{{}}', id, status_since,
       status_since::date, 1, '{{}}', 'end_confirmation'
FROM protocol_hold WHERE victim_id IN ({people});
"""
_BASELINE = """
UPDATE victims_victim SET given_names = '', family_name = '', date_of_birth = NULL,
       home_office_reference = '', contact = '', address = '', given_names_key = '',
       family_name_key = '', home_office_reference_key = ''
WHERE id IN (SELECT victim_id FROM protocol_hold WHERE status = 'ended'
             AND status_since < now() - interval '6 years')
"""


# The steady state: what earlier sweeps told, in one statement each rather than a notice at a
# time, already e-mailed.
_NOTICES_MADE = """
INSERT INTO protocol_notification (id, organisation_id, hold_id, kind, "references", message,
       occasion, created_at, email_to, emailed_at, email_attempts)
SELECT gen_random_uuid(), forces.force_id, hold.id, 'review_due',
       jsonb_build_object('hold', hold.reference), 'Due for review.', hold.status_since, now(),
       'bench@example.org', now(), 1
FROM protocol_hold AS hold
JOIN LATERAL (SELECT DISTINCT force_id FROM cases_case WHERE victim_id = hold.victim_id) AS forces
  ON true
WHERE hold.status = 'review_due'
UNION ALL
SELECT gen_random_uuid(), engagement.organisation_id, hold.id, 'support_contact_overdue',
       jsonb_build_object('hold', hold.reference), 'No contact.',
       COALESCE(engagement.last_contact_on, engagement.started_on)::timestamptz, now(),
       'bench@example.org', now(), 1
FROM victims_supportengagement AS engagement
JOIN protocol_hold AS hold ON hold.victim_id = engagement.victim_id
WHERE engagement.status IN ('referred', 'engaged', 'application_in_preparation')
  AND COALESCE(engagement.last_contact_on, engagement.started_on) < current_date - 90
"""


def prepare(victims: int) -> None:
    from django.db import connection

    common.reset_data()
    started = time.perf_counter()
    common.generate(start=0, count=victims)
    with connection.cursor() as cursor:
        # Nothing lags: the sweep's own work is then its re-check slice, as on a quiet day.
        cursor.execute("UPDATE protocol_hold SET evaluated_version = 1")
        for people, age in ((_DUE, "7 years 10 days"), (_RECENT, "2 years")):
            for statement in _MAKE_CLOSED.format(people=people, age=age).split(";"):
                if statement.strip():
                    cursor.execute(statement)
        cursor.execute("VACUUM ANALYZE")
    print(f"  generated {victims:,} victims in {time.perf_counter() - started:.1f} s", flush=True)
    connection.close()


def measure_retention() -> dict:
    """In a fresh process: dry run, the run, a second run, then the baseline UPDATE."""
    common.setup_django(migrate=False)
    from django.core.management import call_command
    from django.db import connection

    result: dict = {"rss_after_setup_mib": common.peak_rss_mib()}

    def run(*args: str) -> tuple[float, str]:
        out = io.StringIO()
        started = time.perf_counter()
        call_command("apply_retention", *args, "--no-progress", stdout=out, stderr=io.StringIO())
        return time.perf_counter() - started, out.getvalue().strip().splitlines()[-1]

    with connection.cursor() as cursor:  # the baseline's rows, before they are erased
        cursor.execute("BEGIN")
        started = time.perf_counter()
        cursor.execute(_BASELINE)
        result["update_rows"] = cursor.rowcount
        result["update_s"] = time.perf_counter() - started
        cursor.execute("ROLLBACK")
    result["dry_s"], result["dry_output"] = run("--dry-run")
    result["run_s"], result["run_output"] = run()
    result["rss_after_run_mib"] = common.peak_rss_mib()
    result["again_s"], result["again_output"] = run()
    result["rss_peak_mib"] = common.peak_rss_mib()
    return result


def measure_scan() -> dict:
    """In a fresh process: make the notices owed, then time sweeps and scans in alternation."""
    common.setup_django(migrate=False)
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from protocol import tasks
    from protocol.models import Hold, Notification
    from protocol.services import notifications

    # Every hold evaluated from its facts: the generator's mix of cases, support and
    # applications then gives holds due for review and engagements without contact of itself.
    started = time.perf_counter()
    call_command("reevaluate_holds", "--all", "--no-progress", stdout=io.StringIO())
    reevaluate_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    review_due = Hold.objects.filter(status="review_due").count()
    overdue = Hold.objects.filter(flags__contains=["support_contact_overdue"]).count()
    on = timezone.localdate()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # As on a live service, holds became due over the past months (the re-evaluation just
        # made every status new), and earlier sweeps made the notices owed.
        cursor.execute(
            "UPDATE protocol_hold SET status_since = status_since "
            "- (abs(hashtext(reference)) % 200 + 1) * interval '1 day'"
        )
        cursor.execute(_NOTICES_MADE)
        cursor.execute("VACUUM ANALYZE protocol_notification")
    while True:  # the first sweeps after an upgrade: every notice owed is made
        made = notifications.notification_scan(on=on, limit=settings.NOTIFICATION_SCAN_BATCH)
        if not made["review_due"] and not made["no_contact"]:
            break
    catch_up_s = time.perf_counter() - started
    sweeps, scans = [], []
    for _ in range(SWEEPS):
        started = time.perf_counter()
        tasks._sweep()
        sweeps.append(time.perf_counter() - started)
        started = time.perf_counter()
        notifications.notification_scan(on=on, limit=settings.NOTIFICATION_SCAN_BATCH)
        scans.append(time.perf_counter() - started)
    cache.delete(notifications.SCAN_BOOKMARK)  # the hourly full scan
    started = time.perf_counter()
    notifications.notification_scan(on=on, limit=settings.NOTIFICATION_SCAN_BATCH)
    full_scan_s = time.perf_counter() - started
    return {
        "full_scan_s": full_scan_s,
        "reevaluate_s": reevaluate_s,
        "review_due": review_due,
        "overdue": overdue,
        "notifications": Notification.objects.count(),
        "catch_up_s": catch_up_s,
        "sweep_s": statistics.median(sweeps),
        "scan_s": statistics.median(scans),
    }


def in_child(mode: str) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, mode],
        env={**os.environ, "DATABASE_URL": common.bench_database_url()},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"the measurement failed (exit {completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> int:
    url = common.setup_django()
    print(f"Data lifecycle benchmark on {url.rsplit('@', 1)[-1]} ({os.cpu_count()} CPUs)")
    results = {}
    for victims in (SMALL, VICTIMS):
        print(f"\n{victims:,} victims:", flush=True)
        prepare(victims)
        results[victims] = figures = in_child("--retention")
        print(f"  dry run: {figures['dry_output']}\n  run: {figures['run_output']}")
        print(f"  again: {figures['again_output']}")
    scan = in_child("--scan")

    rows = []
    for victims, figures in results.items():
        due = figures["update_rows"]
        rows += [
            (
                f"{victims:,}",
                f"apply_retention --dry-run ({due:,} due)",
                f"{figures['dry_s']:.1f}",
                "",
                f"{figures['dry_s'] / figures['update_s']:.0f}x",
            ),
            (
                f"{victims:,}",
                "apply_retention (a transaction and an access event each)",
                f"{figures['run_s']:.1f}",
                f"{due / figures['run_s']:,.0f}",
                f"{figures['run_s'] / figures['update_s']:.0f}x",
            ),
            (
                f"{victims:,}",
                "apply_retention again (nothing left to erase)",
                f"{figures['again_s']:.1f}",
                "",
                f"{figures['again_s'] / figures['update_s']:.0f}x",
            ),
            (
                f"{victims:,}",
                "baseline: one UPDATE blanking the same people",
                f"{figures['update_s']:.2f}",
                f"{due / figures['update_s']:,.0f}",
                "1x",
            ),
        ]
    print()
    print(common.table(rows, ("victims", "what", "seconds", "people/s", "vs UPDATE")))
    small, large = results[SMALL], results[VICTIMS]
    growth_small = small["rss_peak_mib"] - small["rss_after_setup_mib"]
    growth_large = large["rss_peak_mib"] - large["rss_after_setup_mib"]
    flat = growth_large <= growth_small * 1.5 + 16
    per_million = large["run_s"] * 1_000_000 / VICTIMS
    print(
        f"\nMemory above start-up: {growth_small:.0f} MiB for {SMALL:,} victims, "
        f"{growth_large:.0f} MiB for {VICTIMS:,} ({'flat' if flat else 'GROWS'})."
    )
    print(
        f"Retention scaled to 1,000,000 victims (100,000 due): {per_million:.0f} s "
        f"(target {RETENTION_TARGET_S_PER_MILLION:.0f} s: "
        f"{'met' if per_million < RETENTION_TARGET_S_PER_MILLION else 'MISSED'}, "
        f"{'as measured' if VICTIMS == 1_000_000 else 'by linear extrapolation'})."
    )
    share = scan["scan_s"] / max(scan["sweep_s"] - scan["scan_s"], 1e-9)
    print(
        f"\nNotification scan on {VICTIMS:,} holds ({scan['review_due']:,} due for review, "
        f"{scan['overdue']:,} with contact overdue, {scan['notifications']:,} "
        f"notifications made in {scan['catch_up_s']:.1f} s): sweep {scan['sweep_s'] * 1000:.0f} "
        f"ms median, of which the scan {scan['scan_s'] * 1000:.1f} ms: +{share:.1%} on a sweep "
        f"without it (target under {SCAN_TARGET_SHARE:.0%}: "
        f"{'met' if share < SCAN_TARGET_SHARE else 'MISSED'}). The hourly full scan: "
        f"{scan['full_scan_s'] * 1000:.0f} ms."
    )
    return 0 if flat and share < SCAN_TARGET_SHARE else 1


if __name__ == "__main__":
    if "--retention" in sys.argv:
        print(json.dumps(measure_retention()))
    elif "--scan" in sys.argv:
        print(json.dumps(measure_scan()))
    else:
        sys.exit(main())
