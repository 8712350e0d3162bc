"""Public page benchmark: `/protocol` (no sign-in, every language) under concurrent readers,
beside a bare Django endpoint served by the same server in the same run.

Server time is each request's time inside gunicorn (its access log's %(D)s); the target is p95
under 20 ms. The page reads no database: only the running policy and the catalogues.

    make bench-public
    BENCH_ROUNDS=5 BENCH_SECONDS=5 BENCH_USERS=4 make bench-public
"""

import os
import secrets
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_pages import percentile, server_times  # noqa: E402
from bench.serving import (  # noqa: E402
    BenchError,
    fmt,
    free_port,
    start_gunicorn,
    stop,
    wait_for_workers,
)

USERS = int(os.environ.get("BENCH_USERS", "4"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
TARGET_P95_MS = 20
RESULTS = ROOT / "bench" / "results"
PAGES = {
    "bare": "/bench/bare",
    "protocol (en)": "/protocol",
    "protocol (cy)": "/protocol?language=cy",
    "protocol (ar)": "/protocol?language=ar",
    "protocol (uk)": "/protocol?language=uk",
}


def hammer(port: int, path: str, seconds: float, users: int) -> int:
    """`users` readers asking for `path` one after another for `seconds`; how many answered."""
    done = [0] * users
    deadline = time.monotonic() + seconds

    def read(index: int) -> None:
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            done[index] += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = HTTPConnection("127.0.0.1", port, timeout=10)
        connection.close()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(40),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_STATIC_ROOT": str(RESULTS / "staticfiles"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log, access_log = RESULTS / "bench_public_server.log", RESULTS / "bench_public_access.log"
    access_log.write_text("")
    server = start_gunicorn(env=env, port=port, workers=WORKERS, log=log, access_log=access_log)
    try:
        try:
            wait_for_workers(f"http://127.0.0.1:{port}", WORKERS, server, log)
        except BenchError as error:
            print(f"Cannot measure: {error}")
            return 1
        for path in PAGES.values():
            hammer(port, path, 1, USERS)  # warm up
        times: dict[str, list[float]] = {name: [] for name in PAGES}
        statuses: dict[str, dict[str, int]] = {name: {} for name in PAGES}
        for _ in range(ROUNDS):
            for name, path in PAGES.items():
                offset = access_log.stat().st_size
                hammer(port, path, SECONDS, USERS)
                time.sleep(0.2)  # the access log is written after the answer
                found, seen = server_times(access_log, offset)
                times[name] += found
                for status, count in seen.items():
                    statuses[name][status] = statuses[name].get(status, 0) + count
    finally:
        stop(server)
    print(f"{USERS} readers, {ROUNDS} rounds of {SECONDS:g}s a page, {WORKERS} gunicorn workers")
    print(f"{'page':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  not 200")
    failed = False
    for name in PAGES:
        p50, p95, p99 = (percentile(times[name], f) for f in (0.50, 0.95, 0.99))
        not_200 = sum(count for status, count in statuses[name].items() if status != "200")
        print(
            f"{name:<16}{len(times[name]):>9}{fmt(p50, '.2f', 9)}{fmt(p95, '.2f', 9)}"
            f"{fmt(p99, '.2f', 9)}  {not_200}"
        )
        if name != "bare" and (p95 is None or p95 >= TARGET_P95_MS or not_200):
            failed = True
    print(f"target: p95 under {TARGET_P95_MS} ms of server time for /protocol in every language")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
