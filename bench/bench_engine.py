"""How fast is the pure rules engine? Evaluations per second of `evaluate()`.

Realistic facts: two cases, one support engagement, one application. The baseline is the cost
of building the `Facts` alone, so the ratio says how many fact-builds one evaluation costs.
Target: at least 20,000 evaluations a second.

    .venv/bin/python bench/bench_engine.py [seconds, default 6]

The two are measured in alternating batches and judged on the median batch: this machine is
shared, and a neighbour's burst can halve a batch's rate (the slowest batch is printed too).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from protocol.rules import (  # noqa: E402
    DEFAULT_POLICY,
    ApplicationFacts,
    CaseFacts,
    Facts,
    SupportFacts,
    evaluate,
)

TARGET_PER_SECOND = 20_000
ON = date(2026, 11, 24)


def build_facts() -> Facts:
    """A victim with an NFA'd case in its review window, a prosecution awaiting trial, an
    engaged support adviser and a refused application in its challenge window."""
    return Facts(
        cases=(
            CaseFacts(
                role="victim",
                referred_on=date(2026, 7, 27),
                investigation_status="no_further_action",
                closed_on=date(2026, 10, 25),
                outcome_code=16,
                prosecution_status="none",
                court=None,
                concluded_on=None,
                label="C-7K3M9Q",
            ),
            CaseFacts(
                role="witness",
                referred_on=date(2026, 8, 2),
                investigation_status="charged",
                closed_on=date(2026, 9, 1),
                outcome_code=1,
                prosecution_status="awaiting_trial",
                court="crown",
                concluded_on=None,
                label="C-2PX8RD",
            ),
        ),
        support=(
            SupportFacts(
                status="engaged",
                started_on=date(2026, 8, 16),
                last_contact_on=date(2026, 11, 4),
                closed_on=None,
            ),
        ),
        applications=(
            ApplicationFacts(
                route="mvdac",
                status="refused",
                submitted_on=date(2026, 10, 1),
                decided_on=date(2026, 11, 17),
                leave_expires_on=None,
            ),
        ),
        override=None,
        end_confirmation=None,
    )


BATCH = 500


def rates(works: dict[str, Callable[[], object]], seconds: float) -> dict[str, list[float]]:
    """Calls a second of each of `works`, one batch of `BATCH` calls at a time, taking the works
    in turn for about `seconds`: interleaved, so a slow spell of this shared machine slows
    both alike instead of whichever happened to run then."""
    measured: dict[str, list[float]] = {name: [] for name in works}
    finish = time.perf_counter() + seconds
    while time.perf_counter() < finish:
        for name, work in works.items():
            started = time.perf_counter()
            for _ in range(BATCH):
                work()
            measured[name].append(BATCH / (time.perf_counter() - started))
    return measured


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    facts = build_facts()
    decision = evaluate(facts, ON, DEFAULT_POLICY)
    print(f"decision: {decision.status}, grounds {', '.join(decision.grounds)}")

    measured = rates(
        {
            "baseline (build Facts)": build_facts,
            "evaluate()": lambda: evaluate(facts, ON, DEFAULT_POLICY),
        },
        seconds,
    )
    print(f"{len(measured['evaluate()'])} batches of {BATCH} each, interleaved; per second:")
    print(f"{'':24}{'median':>10}{'slowest':>10}{'fastest':>10}")
    for name, per_second in measured.items():
        median = statistics.median(per_second)
        print(
            f"{name:24}{median:10,.0f}{min(per_second):10,.0f}{max(per_second):10,.0f}"
            f"   ({1e6 / median:.2f} µs each)"
        )
    baseline = statistics.median(measured["baseline (build Facts)"])
    evaluations = statistics.median(measured["evaluate()"])
    print(f"ratio (evaluate / build): {baseline / evaluations:.1f}x the cost of building the facts")
    verdict = "meets" if evaluations >= TARGET_PER_SECOND else "MISSES"
    print(f"target {TARGET_PER_SECOND:,} evaluations/s (median batch): {verdict}")
    return 0 if evaluations >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
