"""Serving a benchmark: gunicorn started with its log kept, every worker seen answering before
anything is measured, and wrk runs that say why when no request completed (the status codes
seen, wrk's socket errors and the end of the server's log) instead of failing on a division.

Used by bench_api.py and bench_pages.py. Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """The benchmark cannot measure: the message says why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_STAMP = re.compile(r"^\[?\d{4}-\d\d-\d\d[ T][\d:.,]+(?: [+-]\d{4})?\]? ")


def log_tail(path: Path, lines: int = 25) -> str:
    """The end of the server's log, indented, for a failure's explanation; a run of lines that
    differ only in their time is shown once, with how many there were."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "    (no server log)"
    runs: list[list] = []  # [line, what it says without its time, how many]
    for line in text:
        said = _STAMP.sub("", line)
        if runs and runs[-1][1] == said:
            runs[-1][2] += 1
        else:
            runs.append([line, said, 1])
    shown = [line + (f"  (and {n - 1} more like it)" if n > 1 else "") for line, _, n in runs]
    return "\n".join("    " + line for line in shown[-lines:]) or "    (the server's log is empty)"


_EXCEPTION = re.compile(r"^\s*([\w.]+(?:Error|Exception|Configured|Failure)\b.*)$", re.M)


def log_excerpt(path: Path) -> str:
    """The first exception the server's log names (its cause, often scrolled out of the end
    when every worker failed alike), then the end of the log."""
    try:
        found = _EXCEPTION.search(path.read_text(errors="replace"))
    except OSError:
        found = None
    first = f"  first exception in the server's log: {found[1]}\n" if found else ""
    return f"{first}  server log:\n{log_tail(path)}"


def start_gunicorn(
    *, env: dict, port: int, workers: int, log: Path, access_log: Path | None = None
) -> subprocess.Popen:
    """gunicorn serving bench.wsgi on loopback, its log and the application's (warnings and
    errors) in `log`, not on the terminal; with
    `access_log`, one line per request: its status, its time in the server in microseconds
    (%(D)s) and its path."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "bench.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",  # with the application's own log (Django's warnings and errors), into `log`
        # A loaded machine can take long to answer a whole burst: no worker is killed mid-run.
        "--timeout",
        "120",
    ]
    if access_log is not None:
        command += ["--access-logfile", str(access_log), "--access-logformat", "%(s)s %(D)s %(U)s"]
    with log.open("w") as output:  # the server keeps its own copy of the file open
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (the server may have stopped on its own already)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)


def wait_for_workers(
    base: str, workers: int, server: subprocess.Popen, log: Path, timeout: float = 300
) -> set[int]:
    """Wait until every one of gunicorn's `workers` has answered /bench/worker (its process id):
    bursts of concurrent requests that each hold their worker a moment, so every worker gets
    one. A worker still importing Django would otherwise be measured as a slow endpoint. Raises
    BenchError (with what was seen and the server's log) if the server stops or never gets there.
    """
    seen: set[int] = set()
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def ask() -> None:
        try:
            with urllib.request.urlopen(f"{base}/bench/worker?hold_ms=200", timeout=30) as answer:
                pid = int(answer.read())
            with lock:
                seen.add(pid)
                statuses["200"] = statuses.get("200", 0) + 1
        except urllib.error.HTTPError as error:
            with lock:
                statuses[str(error.code)] = statuses.get(str(error.code), 0) + 1
        except (OSError, ValueError) as error:
            reason = type(getattr(error, "reason", error)).__name__
            with lock:
                statuses[reason] = statuses.get(reason, 0) + 1

    deadline = time.monotonic() + timeout
    while len(seen) < workers:
        if server.poll() is not None:
            raise BenchError(
                f"the server stopped (exit code {server.returncode}) before its workers "
                f"answered; answers seen: {statuses or 'none'}\n{log_excerpt(log)}"
            )
        if time.monotonic() > deadline:
            raise BenchError(
                f"only {len(seen)} of {workers} gunicorn workers answered in {timeout:.0f} s; "
                f"answers seen: {statuses or 'none'}\n{log_excerpt(log)}"
            )
        burst = [threading.Thread(target=ask) for _ in range(workers * 2)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join()
        if len(seen) < workers:
            time.sleep(0.5)
    return seen


def cpu_seconds() -> dict[tuple[str, int], float]:
    """CPU time used so far by each of the server's processes, gunicorn's ("app") and
    PostgreSQL's ("db"), from Linux's /proc, so an endpoint's cost can be split between the
    application and the database."""
    used = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = "app" if b"gunicorn" in command else "db" if command.startswith(b"postgres") else ""
        if kind:
            used[kind, int(pid)] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return used


def cpu_per_request(before: dict, after: dict, requests: float) -> dict[str, float | None]:
    """Milliseconds of CPU per request by kind, over the processes alive before and after;
    None when no request completed (nothing to divide by)."""
    spent = {"app": 0.0, "db": 0.0}
    for (kind, pid), seconds in after.items():
        if (kind, pid) in before:
            spent[kind] += seconds - before[kind, pid]
    return {
        f"{kind}_cpu_ms": seconds / requests * 1000 if requests > 0 else None
        for kind, seconds in spent.items()
    }


def _ms(output: str, label: str) -> float | None:
    match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if not match:
        return None
    value, unit = float(match[1]), match[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def parse_wrk(output: str) -> dict:
    """wrk's summary (run with --latency): requests completed, req/s, p50 and p99, non-2xx
    answers and socket errors. Figures wrk did not print are None or 0, never an exception."""
    completed = re.search(r"^\s*(\d+) requests in", output, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": int(completed[1]) if completed else 0,
        "rps": float(rps[1]) if rps else 0.0,
        "p50_ms": _ms(output, "50"),
        "p99_ms": _ms(output, "99"),
        "non_2xx": int(non2xx[1]) if non2xx else 0,
        "socket_errors": dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        if errors
        else {},
    }


def wrk(url: str, script: Path, duration: str, connections: int, threads: int = 2) -> tuple:
    """wrk's output and exit code (never raises for a failed run: the caller says why)."""
    threads = max(1, min(threads, connections))
    run = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
    )
    return run.stdout + run.stderr, run.returncode


def run_wrk(url: str, script: Path, duration: str, connections: int, threads: int = 2) -> dict:
    """One measured wrk run with the CPU the server's processes used per completed request."""
    before, started = cpu_seconds(), time.perf_counter()
    output, returncode = wrk(url, script, duration, connections, threads)
    figures = parse_wrk(output)
    elapsed = time.perf_counter() - started
    completed = figures["rps"] * elapsed
    figures.update(cpu_per_request(before, cpu_seconds(), completed))
    figures["wrk_exit"] = returncode
    figures["wrk_output"] = output
    return figures


# Appended to an endpoint's script for the diagnosis only: tallying every answer's status in Lua
# slows wrk down, so measured runs never carry it.
_TALLY = """
local tally_threads = {}
function setup(thread) table.insert(tally_threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  for _, thread in ipairs(tally_threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("status %d %d\\n", status, count))
    end
  end
end
"""


def status_tally(url: str, script: Path, connections: int) -> dict[int, int]:
    """The status codes the endpoint answers with under the same script, from a short run."""
    tally = script.with_name(script.stem + "_tally.lua")
    tally.write_text(script.read_text() + _TALLY)
    output, _ = wrk(url, tally, "3s", connections)
    counts: dict[int, int] = {}
    for status, count in re.findall(r"^status (\d+) (\d+)$", output, re.M):
        counts[int(status)] = counts.get(int(status), 0) + int(count)
    return counts


def why_nothing(name: str, url: str, script: Path, figures: dict, connections: int, log: Path):
    """Why a run completed no successful request: wrk's own errors, the status codes seen in a
    short second run, and the end of the server's log."""
    tally = status_tally(url, script, connections)
    errors = {kind: n for kind, n in figures["socket_errors"].items() if n}
    lines = [
        f"{name}: no request completed successfully "
        f"({figures['requests']} answers, {figures['non_2xx']} of them not 2xx/3xx; "
        f"wrk exit code {figures['wrk_exit']})",
        f"  socket errors: {errors or 'none'}",
        f"  status codes seen in a 3 s second run: "
        f"{', '.join(f'{code}: {n}' for code, n in sorted(tally.items())) or 'none'}",
    ]
    if figures["wrk_exit"] != 0 or not figures["requests"]:
        lines.append(
            "  wrk said:\n" + "\n".join("    " + x for x in figures["wrk_output"].splitlines())
        )
    lines.append(log_excerpt(log))
    return "\n".join(lines)


def completed_nothing(figures: dict) -> bool:
    """No request completed, or every one failed (so there is nothing to measure)."""
    return figures["rps"] <= 0 or figures["requests"] <= figures["non_2xx"]


def fmt(value: float | None, spec: str, width: int) -> str:
    """A figure for the table, or "-" where there is none."""
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{spec}}"
