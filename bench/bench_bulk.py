"""Bulk re-evaluation: `manage.py reevaluate_holds --all` over 100,000 victims with their cases.

    make bench-bulk
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench \
        REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/bench_bulk.py

Baseline, in the same run and on the same rows: a plain `UPDATE protocol_hold SET evaluated_at =
now()` in PostgreSQL. Each measurement runs in a fresh process (`--measure`), so its peak RSS is
the command's own and not the data generator's; the same measurement on 25,000 victims shows
whether memory grows with the number of victims.

- cold: the first run after the data was written: every decision changes (the generator
  writes placeholder holds), so every hold is rewritten and gets a `HoldDecision` with its facts;
- warm: the run again: decisions unchanged, only the evaluation bookkeeping is written.

Targets: under 60 s for 100,000 victims on a 2-core machine; peak memory flat in the number of
victims. Data lives in `<DATABASE_URL's name>_bench` (created, migrated and refilled each run).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

VICTIMS = int(os.environ.get("BENCH_VICTIMS", "100000"))
SMALL = int(os.environ.get("BENCH_SMALL_VICTIMS", "25000"))
TARGET_SECONDS = 60.0


def measure() -> dict:
    """In a fresh process: time the command (cold, warm), the plain UPDATE, and verify_holds."""
    common.setup_django(migrate=False)
    from django.core.management import call_command
    from django.db import connection

    from protocol.models import Hold

    holds = Hold.objects.count()
    result: dict = {"holds": holds, "rss_after_setup_mib": common.peak_rss_mib()}

    def run(*args: str) -> tuple[float, str]:
        out = io.StringIO()
        started = time.perf_counter()
        call_command(*args, stdout=out, stderr=io.StringIO())
        return time.perf_counter() - started, out.getvalue().strip()

    result["cold_s"], result["cold_output"] = run("reevaluate_holds", "--all", "--no-progress")
    result["rss_after_cold_mib"] = common.peak_rss_mib()
    result["warm_s"], result["warm_output"] = run("reevaluate_holds", "--all", "--no-progress")
    result["rss_after_warm_mib"] = common.peak_rss_mib()

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE protocol_hold SET evaluated_at = now()")
        result["update_rows"] = cursor.rowcount
    result["update_s"] = time.perf_counter() - started

    # The beat task's sweep, in-process: with nothing due (it still re-checks the next slice of
    # its walk), then after one victim in ten had a fact change whose message was lost.
    from protocol.tasks import sweep_holds

    started = time.perf_counter()
    result["sweep_idle"] = sweep_holds()
    result["sweep_idle_s"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE victims_victim SET facts_version = facts_version + 1 "
            "WHERE id IN (SELECT victim_id FROM protocol_hold ORDER BY reference "
            "LIMIT (SELECT count(*) / 10 FROM protocol_hold))"
        )
        result["lagging"] = cursor.rowcount
    started = time.perf_counter()
    result["sweep_lagging"] = sweep_holds()
    result["sweep_lagging_s"] = time.perf_counter() - started

    result["verify_s"], result["verify_output"] = run("verify_holds")
    result["rss_peak_mib"] = common.peak_rss_mib()
    return result


def measure_in_child() -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--measure"],
        env={**os.environ, "DATABASE_URL": common.bench_database_url()},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"the measurement failed (exit {completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def prepare(victims: int) -> float:
    from django.db import connection

    from cases.models import Case

    common.reset_data()
    started = time.perf_counter()
    common.generate(start=0, count=victims)
    elapsed = time.perf_counter() - started
    cases = Case.objects.count()
    print(f"  generated {victims:,} victims, {cases:,} cases in {elapsed:.1f} s", flush=True)
    connection.close()
    return elapsed


def main() -> int:
    url = common.setup_django()
    print(f"Bulk re-evaluation benchmark on {url.rsplit('@', 1)[-1]} ({os.cpu_count()} CPUs)")
    results = {}
    for victims in (SMALL, VICTIMS):
        print(f"\n{victims:,} victims:", flush=True)
        prepare(victims)
        results[victims] = measure_in_child()
        figures = results[victims]
        print(f"  cold: {figures['cold_output']}\n  warm: {figures['warm_output']}")
        print(f"  verify: {figures['verify_output']}")

    small, large = results[SMALL], results[VICTIMS]
    rows = []
    for victims, figures in results.items():
        rows += [
            (
                f"{victims:,}",
                "reevaluate_holds --all (cold: every decision changes)",
                f"{figures['cold_s']:.1f}",
                f"{victims / figures['cold_s']:,.0f}",
                f"{figures['cold_s'] / figures['update_s']:.0f}x",
            ),
            (
                f"{victims:,}",
                "reevaluate_holds --all (warm: decisions unchanged)",
                f"{figures['warm_s']:.1f}",
                f"{victims / figures['warm_s']:,.0f}",
                f"{figures['warm_s'] / figures['update_s']:.0f}x",
            ),
            (
                f"{victims:,}",
                "baseline: UPDATE protocol_hold SET evaluated_at = now()",
                f"{figures['update_s']:.2f}",
                f"{victims / figures['update_s']:,.0f}",
                "1x",
            ),
            (
                f"{victims:,}",
                "sweep_holds, nothing due (re-checks the next "
                f"{figures['sweep_idle']['evaluated']})",
                f"{figures['sweep_idle_s']:.2f}",
                "",
                "",
            ),
            (
                f"{victims:,}",
                f"sweep_holds, {figures['lagging']:,} holds lagging (lost messages)",
                f"{figures['sweep_lagging_s']:.1f}",
                f"{figures['sweep_lagging']['evaluated'] / figures['sweep_lagging_s']:,.0f}",
                f"{figures['sweep_lagging_s'] / figures['update_s']:.0f}x",
            ),
            (
                f"{victims:,}",
                "verify_holds",
                f"{figures['verify_s']:.1f}",
                f"{victims / figures['verify_s']:,.0f}",
                f"{figures['verify_s'] / figures['update_s']:.0f}x",
            ),
        ]
    print()
    print(common.table(rows, ("victims", "what", "seconds", "holds/s", "vs UPDATE")))

    print()
    memory_rows = [
        (
            f"{victims:,}",
            f"{figures['rss_after_setup_mib']:.0f}",
            f"{figures['rss_after_cold_mib']:.0f}",
            f"{figures['rss_after_warm_mib']:.0f}",
            f"{figures['rss_peak_mib']:.0f}",
        )
        for victims, figures in results.items()
    ]
    print(
        common.table(
            memory_rows,
            ("victims", "RSS after setup MiB", "peak cold", "peak warm", "peak incl. verify"),
        )
    )
    growth_small = small["rss_peak_mib"] - small["rss_after_setup_mib"]
    growth_large = large["rss_peak_mib"] - large["rss_after_setup_mib"]
    flat = growth_large <= growth_small * 1.5 + 16
    fast = max(large["cold_s"], large["warm_s"]) < TARGET_SECONDS
    print(
        f"\nMemory above start-up: {growth_small:.0f} MiB for {SMALL:,} victims, "
        f"{growth_large:.0f} MiB for {VICTIMS:,} ({'flat' if flat else 'GROWS'})."
    )
    print(
        f"Target: {VICTIMS:,} victims in under {TARGET_SECONDS:.0f} s: "
        f"{'met' if fast else 'MISSED'} (cold {large['cold_s']:.1f} s, warm "
        f"{large['warm_s']:.1f} s)."
    )
    return 0 if flat and fast else 1


if __name__ == "__main__":
    if "--measure" in sys.argv:
        print(json.dumps(measure()))
    else:
        sys.exit(main())
