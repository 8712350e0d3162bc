"""Latency from a committed status change to the updated hold, through a real Celery worker.

    make bench-latency
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench \\
        REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/bench_latency.py

One worker process (`celery -A config worker --pool solo`, its own queue) and this process as the
producer. Each change goes through `cases.services.case_status_change`, in a transaction of its
own. Its clock starts when that transaction has committed (an on-commit callback registered
before the service's own, so before the message is sent) and stops when the worker reports the
task done, through the result backend, exactly as the baseline's clock does; the hold is then
read to check that it shows the new `facts_version`. (To get that report, the message is sent
with `ignore_result=False`; otherwise it is the one `victims.services.enqueue_reevaluation`
sends. Storing the result costs the worker what it costs the baseline's no-op.) The worker's own
stamp, `hold.evaluated_at`, taken before it writes, gives a lower figure.

Baseline, interleaved with the changes so both see the same machine: the round trip of a no-op
task, `protocol.tasks.ping.delay(n).get()`. Target: change-to-hold p99 under 2 times the no-op's
p99, over at least 500 changes (BENCH_CHANGES, default 600).

The worker runs up to three times: with the settings as they are (`config.settings.local`); with
`CELERY_DB_REUSE_MAX` added (`bench/latency_settings.py`), the setting this benchmark recommends
(skipped once the setting is there already); and with DEBUG off as well, as in production
(local settings turn DEBUG on, and Django then records every query).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

CHANGES = int(os.environ.get("BENCH_CHANGES", "600"))
WARM_UP = 20
TARGET_RATIO = 2.0

# The changes, in turn: two that change the decision (and write a `HoldDecision`), two that
# change only the explanation.
CHANGE_CYCLE = [
    {"investigation_status": "no_further_action", "outcome_code": 16, "closed_on": "today"},
    {"investigation_status": "reopened", "outcome_code": None, "closed_on": None},
    {"investigation_status": "suspect_bailed"},
    {"investigation_status": "under_investigation"},
]


def start_worker(
    queue: str, settings_module: str, extra_env: dict[str, str]
) -> tuple[subprocess.Popen, Path]:
    log_path = Path(f"/tmp/bench-latency-worker-{queue}.log")  # noqa: S108
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"{queue}@%h",
            ],
            cwd=common.ROOT,
            env={
                **os.environ,
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": settings_module,
                **extra_env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, log_path


def hold_updates() -> tuple[int, int]:
    """(updates, HOT updates) of `protocol_hold` so far, as PostgreSQL counts them. A HOT update
    rewrites the row in its own page and touches no index (docs/performance.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
            "WHERE relname = 'protocol_hold'"
        )
        return cursor.fetchone()


def run(
    settings_module: str, extra_env: dict[str, str], cases, officer
) -> dict[str, dict[str, float]]:
    """Start a worker with `settings_module` (and `extra_env`), measure, stop it."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.services import case_status_change
    from config.celery import app
    from protocol.tasks import ping, reevaluate_hold
    from victims import services

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    updates_at_start, hot_at_start = hold_updates()
    worker, log_path = start_worker(queue, settings_module, extra_env)
    sent: list = []

    def enqueue_with_result(victim_id, trigger) -> None:
        # `enqueue_reevaluation`'s message, with the result kept so the clock can stop on it.
        sent.append(
            reevaluate_hold.apply_async((str(victim_id), str(trigger)), ignore_result=False)
        )

    real_enqueue = services.enqueue_reevaluation
    services.enqueue_reevaluation = enqueue_with_result
    try:
        started = time.perf_counter()
        while True:
            try:
                first = ping.delay(0)
                first.get(timeout=5)
                first.forget()
                break
            except Exception:
                if worker.poll() is not None or time.perf_counter() - started > 60:
                    raise SystemExit(f"the worker did not start:\n{log_path.read_text()}") from None
        print(f"  worker ({settings_module}) ready in {time.perf_counter() - started:.1f} s")

        def ping_round_trip(number: int) -> float:
            began = time.perf_counter()
            result = ping.delay(number)
            assert result.get(timeout=30) == number
            elapsed = time.perf_counter() - began
            result.forget()
            return elapsed

        def change(number: int, case) -> tuple[float, float]:
            """One status change: (seconds to the updated hold, seconds to the worker's stamp)."""
            changes = dict(CHANGE_CYCLE[number % len(CHANGE_CYCLE)])
            if changes["investigation_status"] == case.investigation_status:
                changes = dict(CHANGE_CYCLE[0])
            if changes.get("closed_on") == "today":
                changes["closed_on"] = timezone.localdate()
            committed: list[tuple[float, float]] = []
            with transaction.atomic():
                # Registered before the service's own callback (which sends the message), so the
                # clock starts at the commit, before the message is published.
                transaction.on_commit(lambda: committed.append((time.perf_counter(), time.time())))
                case_status_change(case=case, by=officer, changes=changes)
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT facts_version FROM victims_victim WHERE id = %s", [case.victim_id]
                    )
                    version = cursor.fetchone()[0]
            result = sent.pop()
            result.get(timeout=30)
            done = time.perf_counter()
            result.forget()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT evaluated_version, evaluated_at FROM protocol_hold "
                    "WHERE victim_id = %s",
                    [case.victim_id],
                )
                evaluated_version, evaluated_at = cursor.fetchone()
            assert evaluated_version >= version, "the task finished but the hold lags"
            committed_at, committed_wall = committed[0]
            return done - committed_at, evaluated_at.timestamp() - committed_wall

        for number in range(WARM_UP):  # connections, caches, the first inserts
            ping_round_trip(number)
            change(number, cases[number])
        pings: list[float] = []
        to_hold: list[float] = []
        to_stamp: list[float] = []
        began = time.perf_counter()
        for number in range(CHANGES):
            pings.append(ping_round_trip(number))
            hold_seconds, stamp_seconds = change(number, cases[WARM_UP + number])
            to_hold.append(hold_seconds)
            to_stamp.append(stamp_seconds)
        elapsed = time.perf_counter() - began
        print(f"  {CHANGES} changes and {CHANGES} no-op round trips in {elapsed:.1f} s")
        log_path.unlink(missing_ok=True)  # kept only when something went wrong
    finally:
        services.enqueue_reevaluation = real_enqueue
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        # The worker's backend reports its counts when it exits.
        time.sleep(1)
        updates, hot = hold_updates()
        updates, hot = updates - updates_at_start, hot - hot_at_start
        print(f"  holds updated {updates} times, {hot} of them in place (HOT)")
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
            conn.default_channel.client.delete(
                f"casework:worker-heartbeat:{queue}",
                f"_kombu.binding.{queue}",
                f"_kombu.binding_permanent.{queue}",
            )
    return {
        "ping": common.summary_ms(pings),
        "hold": common.summary_ms(to_hold),
        "stamp": common.summary_ms(to_stamp),
    }


def main() -> int:
    os.environ["CELERY_QUEUE"] = f"bench-latency-{uuid.uuid4().hex[:8]}"  # ours alone
    url = common.setup_django()
    os.environ["DATABASE_URL"] = url

    from django.conf import settings
    from django.core.management import call_command

    from accounts.models import User
    from cases.models import Case

    configurations = [("config.settings.local", {}, "local settings as they are")]
    if not getattr(settings, "CELERY_DB_REUSE_MAX", None):
        configurations.append(("bench.latency_settings", {}, "+ CELERY_DB_REUSE_MAX (recommended)"))
    configurations.append(
        ("bench.latency_settings", {"BENCH_WORKER_DEBUG": "0"}, "+ DEBUG off, as in production")
    )
    needed = (CHANGES + WARM_UP) * len(configurations)
    victims = max(2000, needed * 3)  # about two in five cases suit
    print(f"Change-to-hold latency benchmark on {url.rsplit('@', 1)[-1]} ({os.cpu_count()} CPUs)")
    common.reset_data()
    common.generate(start=0, count=victims)
    call_command("reevaluate_holds", "--all", "--no-progress", stdout=io.StringIO())
    officer = User.objects.get(email="officer@bench.example")
    ongoing = ("reported", "under_investigation", "suspect_bailed", "released_under_investigation")
    cases = list(
        Case.objects.filter(investigation_status__in=ongoing, prosecution_status="none")
        .order_by("victim_id", "pk")
        .distinct("victim_id")[:needed]
    )
    if len(cases) < needed:
        raise SystemExit(f"only {len(cases)} suitable cases; raise the number of victims")
    print(f"  {victims:,} victims generated; {needed} cases will change, one each")

    results = {}
    for number, (module, extra_env, label) in enumerate(configurations):
        share = cases[number * (CHANGES + WARM_UP) : (number + 1) * (CHANGES + WARM_UP)]
        results[label] = run(module, extra_env, share, officer)

    rows = []
    for label, figures in results.items():
        for key, what in (
            ("ping", "baseline: ping.delay().get() round trip"),
            ("hold", "status change commit -> hold updated (task done)"),
            ("stamp", "status change commit -> worker's evaluated_at"),
        ):
            summary = figures[key]
            rows.append(
                (
                    label,
                    what,
                    summary["n"],
                    f"{summary['p50']:.2f}",
                    f"{summary['p99']:.2f}",
                    f"{summary['mean']:.2f}",
                    f"{summary['max']:.2f}",
                )
            )
    print()
    print(common.table(rows, ("worker", "what", "n", "p50 ms", "p99 ms", "mean ms", "max ms")))
    print()
    for label, figures in results.items():
        ratio_p50 = figures["hold"]["p50"] / figures["ping"]["p50"]
        ratio_p99 = figures["hold"]["p99"] / figures["ping"]["p99"]
        met = ratio_p99 < TARGET_RATIO
        print(
            f"{label}: change-to-hold vs no-op round trip p50 {ratio_p50:.2f}x, p99 "
            f"{ratio_p99:.2f}x; target p99 under {TARGET_RATIO:.0f}x "
            f"{'met' if met else 'MISSED'}."
        )
    return 0 if met else 1  # judged on the last, production-like worker


if __name__ == "__main__":
    sys.exit(main())
