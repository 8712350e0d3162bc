"""The benchmarks' helpers (bench/serving.py): a run that completed nothing is explained, never
a division by zero. The benchmarks themselves are not run in the test suite."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.serving import (
    ROOT,
    BenchError,
    completed_nothing,
    cpu_per_request,
    fmt,
    free_port,
    log_tail,
    parse_wrk,
    wait_for_workers,
)

MEASURED = """Running 20s test @ http://127.0.0.1:8000/bench/bare
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     9.94ms    3.21ms  60.01ms   80.00%
  Latency Distribution
     50%    9.50ms
     75%   11.00ms
     90%   13.00ms
     99%    1.20s
  64000 requests in 20.00s, 10.00MB read
  Non-2xx or 3xx responses: 12
Requests/sec:   3200.00
Transfer/sec:      0.50MB
"""

NOTHING = """Running 20s test @ http://127.0.0.1:8000/api/v1/hold-checks
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  0 requests in 20.03s, 0.00B read
  Socket errors: connect 0, read 0, write 0, timeout 64
Requests/sec:      0.00
Transfer/sec:       0.00B
"""


def test_wrk_output_is_read_with_its_units():
    figures = parse_wrk(MEASURED)
    assert figures["requests"] == 64000
    assert figures["rps"] == 3200.0
    assert figures["p50_ms"] == 9.5
    assert figures["p99_ms"] == 1200.0
    assert figures["non_2xx"] == 12
    assert not completed_nothing(figures)


def test_a_run_that_completed_nothing_is_recognised_not_divided_by():
    figures = parse_wrk(NOTHING)
    assert figures["requests"] == 0 and figures["rps"] == 0.0
    assert figures["socket_errors"]["timeout"] == 64
    assert completed_nothing(figures)
    # The division that used to raise ZeroDivisionError on a loaded machine.
    before = {("app", 1): 1.0, ("db", 2): 2.0}
    after = {("app", 1): 3.0, ("db", 2): 2.5}
    assert cpu_per_request(before, after, 0) == {"app_cpu_ms": None, "db_cpu_ms": None}
    assert cpu_per_request(before, after, 1000) == {"app_cpu_ms": 2.0, "db_cpu_ms": 0.5}
    assert fmt(None, ".2f", 8) == "       -"


def test_every_answer_not_2xx_counts_as_nothing_completed():
    figures = parse_wrk(
        MEASURED.replace("Non-2xx or 3xx responses: 12", "Non-2xx or 3xx responses: 64000")
    )
    assert completed_nothing(figures)


def test_output_wrk_did_not_print_gives_no_figures_rather_than_an_exception():
    figures = parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")
    assert figures["requests"] == 0 and figures["p50_ms"] is None and figures["socket_errors"] == {}
    assert completed_nothing(figures)


def test_the_logs_repeated_lines_are_shown_once_with_their_number(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(
        "2026-12-04 22:50:56,857 WARNING django.request Too Many Requests: /api/v1/hold-checks\n"
        "2026-12-04 22:50:56,859 WARNING django.request Too Many Requests: /api/v1/hold-checks\n"
        "2026-12-04 22:50:57,001 WARNING django.request Too Many Requests: /api/v1/hold-checks\n"
        "[2026-12-04 22:49:32 +0000] [13239] [ERROR] Reason: Worker failed to boot.\n"
    )
    assert log_tail(log).splitlines() == [
        "    2026-12-04 22:50:56,857 WARNING django.request Too Many Requests: "
        "/api/v1/hold-checks  (and 2 more like it)",
        "    [2026-12-04 22:49:32 +0000] [13239] [ERROR] Reason: Worker failed to boot.",
    ]
    assert log_tail(tmp_path / "missing.log") == "    (no server log)"


def test_a_server_that_stops_is_explained_with_its_log(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(
        "Traceback (most recent call last):\n"
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set\n"
        "[ERROR] Worker failed to boot.\n"
    )
    server = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    server.wait()
    with pytest.raises(BenchError) as raised:
        wait_for_workers("http://127.0.0.1:9", 4, server, log, timeout=5)
    message = str(raised.value)
    assert "exit code 3" in message and "Worker failed to boot." in message
    assert (
        "first exception in the server's log: "
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set"
    ) in message


def test_workers_that_never_answer_time_out_with_what_was_seen(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("")
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(BenchError) as raised:
            wait_for_workers("http://127.0.0.1:9", 2, server, log, timeout=1)
    finally:
        server.kill()
        server.wait()
    message = str(raised.value)
    assert "only 0 of 2 gunicorn workers answered" in message
    assert "ConnectionRefusedError" in message
    assert "the server's log is empty" in message


def test_every_worker_of_a_real_gunicorn_is_seen_answering(tmp_path):
    (tmp_path / "pidapp.py").write_text(
        textwrap.dedent(
            """
            import os, time

            def application(environ, start_response):
                time.sleep(0.2)  # as /bench/worker holds its worker
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [str(os.getpid()).encode()]
            """
        )
    )
    port, log = free_port(), tmp_path / "server.log"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "pidapp:application",
            "--workers",
            "3",
            "--bind",
            f"127.0.0.1:{port}",
            "--error-logfile",
            str(log),
        ],
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        seen = wait_for_workers(f"http://127.0.0.1:{port}", 3, server, log, timeout=60)
        children = {
            int(pid)
            for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    assert len(seen) == 3 and seen == children


def test_rounds_are_merged_by_their_median_and_counts_summed():
    from bench.bench_api import median_figures

    runs = [
        {"rps": rps, "p50_ms": p50, "app_cpu_ms": cpu, "requests": 10, "non_2xx": bad}
        for rps, p50, cpu, bad in (
            (100.0, 5.0, None, 0),
            (300.0, 1.0, 2.0, 1),
            (200.0, 9.0, 4.0, 0),
        )
    ]
    merged = median_figures(runs)
    assert (merged["rps"], merged["p50_ms"], merged["app_cpu_ms"]) == (200.0, 5.0, 3.0)
    assert (merged["requests"], merged["non_2xx"]) == (30, 1)
