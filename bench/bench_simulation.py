"""Policy simulation against its baseline, `reevaluate_holds --all`, on the same data.

    make bench-simulation
    BENCH_VICTIMS=100000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench \
        REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/bench_simulation.py

For each size (BENCH_SMALL_VICTIMS, then BENCH_VICTIMS), in a fresh process so peak RSS is the
measurement's own:
- baseline: `reevaluate_holds --all` twice (cold: every placeholder hold rewritten; warm:
  decisions unchanged), its engine calls timed (the "evaluation part");
- `simulate_policy --set grace_days=7 --set appeal_window_days.crown=21`: total time, the time
  reading facts, and each policy's evaluation pass.

BENCH_BASELINE=0 skips the baseline (for a million victims, whose `reevaluate_holds --all` takes
longer than the simulation itself): the simulation's figures alone, without the ratios.

Targets (issue 14): 1,000,000 victims simulated in under 2 minutes with flat memory; each
policy's evaluation pass no slower than 1.2x the baseline's evaluation part.
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
BASELINE = os.environ.get("BENCH_BASELINE", "1") != "0"
SMALL = int(os.environ.get("BENCH_SMALL_VICTIMS", "25000"))


def measure() -> dict:
    common.setup_django(migrate=False)
    from django.core.management import call_command

    from protocol.rules import Policy
    from protocol.services import evaluation, simulation

    engine_seconds = [0.0]
    real_evaluate = evaluation.evaluate

    def timed_evaluate(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real_evaluate(*args, **kwargs)
        finally:
            engine_seconds[0] += time.perf_counter() - started

    result: dict = {"rss_after_setup_mib": common.peak_rss_mib()}

    def run(*args: str) -> tuple[float, str]:
        out = io.StringIO()
        started = time.perf_counter()
        call_command(*args, stdout=out, stderr=io.StringIO())
        return time.perf_counter() - started, out.getvalue().strip().splitlines()[-1]

    result["cold_s"] = result["warm_s"] = result["baseline_engine_s"] = float("nan")
    result["warm_output"] = "(baseline skipped: BENCH_BASELINE=0)"
    if BASELINE:
        result["cold_s"], _ = run("reevaluate_holds", "--all", "--no-progress")
        evaluation.evaluate = timed_evaluate  # the baseline's evaluation part, on the warm run
        result["warm_s"], result["warm_output"] = run("reevaluate_holds", "--all", "--no-progress")
        evaluation.evaluate = real_evaluate
        result["baseline_engine_s"] = engine_seconds[0]
    result["rss_after_baseline_mib"] = common.peak_rss_mib()

    proposed = simulation.proposed_policy({"grace_days": 7, "appeal_window_days": {"crown": 21}})
    assert isinstance(proposed, Policy)
    on = simulation.check_on(None)
    started = time.perf_counter()
    tally = simulation.simulate(proposed=proposed, on=on)
    result["simulate_s"] = time.perf_counter() - started
    result["read_s"], result["running_s"], result["proposed_s"] = (
        tally.read_s,
        tally.running_s,
        tally.proposed_s,
    )
    result["holds"], result["changed"] = tally.holds, tally.status_changed
    result["command_s"], result["command_output"] = run(
        "simulate_policy",
        "--set",
        "grace_days=7",
        "--set",
        "appeal_window_days.crown=21",
        "--no-progress",
    )
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


def main() -> int:
    from django.db import connection

    url = common.setup_django()
    print(f"Policy simulation benchmark on {url.rsplit('@', 1)[-1]} ({os.cpu_count()} CPUs)")
    results = {}
    for victims in dict.fromkeys((SMALL, VICTIMS)):
        common.reset_data()
        started = time.perf_counter()
        common.generate(start=0, count=victims)
        print(f"\n{victims:,} victims generated in {time.perf_counter() - started:.1f} s")
        connection.close()
        results[victims] = figures = measure_in_child()
        print(f"  baseline warm: {figures['warm_output']}")
        print(f"  simulate_policy: {figures['command_output']}")
    rows = []
    for victims, f in results.items():
        rows += [
            (f"{victims:,}", "reevaluate_holds --all (warm)", f"{f['warm_s']:.1f}", ""),
            (f"{victims:,}", "  its evaluation part", f"{f['baseline_engine_s']:.1f}", "1.00x"),
            (f"{victims:,}", "simulate (both policies)", f"{f['simulate_s']:.1f}", ""),
            (f"{victims:,}", "  reading facts", f"{f['read_s']:.1f}", ""),
            (
                f"{victims:,}",
                "  running policy's evaluation pass",
                f"{f['running_s']:.1f}",
                f"{f['running_s'] / f['baseline_engine_s']:.2f}x",
            ),
            (
                f"{victims:,}",
                "  proposed policy's evaluation pass",
                f"{f['proposed_s']:.1f}",
                f"{f['proposed_s'] / f['baseline_engine_s']:.2f}x",
            ),
            (f"{victims:,}", "simulate_policy command", f"{f['command_s']:.1f}", ""),
        ]
    print()
    print(common.table(rows, ("victims", "what", "seconds", "vs baseline evaluation")))
    print()
    print(
        common.table(
            [
                (
                    f"{v:,}",
                    f"{f['rss_after_setup_mib']:.0f}",
                    f"{f['rss_after_baseline_mib']:.0f}",
                    f"{f['rss_peak_mib']:.0f}",
                )
                for v, f in results.items()
            ],
            ("victims", "RSS after setup MiB", "after baseline", "peak incl. simulation"),
        )
    )
    large = results[VICTIMS]
    per_million = large["simulate_s"] * 1_000_000 / VICTIMS
    print(
        f"\nSimulation rate: {VICTIMS / large['simulate_s']:,.0f} holds/s "
        f"(1,000,000 victims: about {per_million:.0f} s by extrapolation)"
    )
    return 0


if __name__ == "__main__":
    if "--measure" in sys.argv:
        print(json.dumps(measure()))
    else:
        sys.exit(main())
