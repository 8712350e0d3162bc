"""API benchmark: the IE hold check and a police case read under 32 concurrent clients on
loopback (gunicorn, production settings), each beside a bare Django JSON endpoint served by the
same server in the same run, and beside two floors on that server: one indexed read
(`one_read`) and one row inserted and committed (`one_write`, the least any recorded access
costs), so what the service adds to the unavoidable database work shows.

    make bench-api                     # 1,000,000 victims, 1,500,000 cases (first run builds them)
    BENCH_VICTIMS=100000 make bench-api

Data lives in its own database (<DATABASE_URL's name>_bench_api) and is reused between runs.
Needs `wrk` (apt-get install wrk).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VICTIMS = int(os.environ.get("BENCH_VICTIMS", "1000000"))
DURATION = os.environ.get("BENCH_DURATION", "20s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
CHUNK = 50_000
RESULTS = ROOT / "bench" / "results"


def bench_database_url() -> str:
    import dj_database_url

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/casework")
    parsed = dj_database_url.parse(base)
    name = parsed["NAME"] + "_bench_api"
    return base.rsplit("/", 1)[0] + "/" + name, parsed, name


def ensure_database() -> str:
    import psycopg

    url, parsed, name = bench_database_url()
    admin = base_admin_url(parsed)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return url


def base_admin_url(parsed: dict) -> str:
    password = f":{parsed['PASSWORD']}" if parsed.get("PASSWORD") else ""
    return (
        f"postgresql://{parsed['USER']}{password}@{parsed['HOST'] or '127.0.0.1'}:"
        f"{parsed['PORT'] or 5432}/postgres"
    )


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    import django

    django.setup()


def prepare_data() -> dict:
    from django.core.management import call_command
    from django.db import connection

    from accounts.services import organisation_create_or_update, token_issue, user_create_or_update
    from bench import datagen
    from cases.models import Case
    from victims.models import Victim

    call_command("migrate", "--noinput", "-v", "0")
    with connection.cursor() as cursor:
        # For the write floor (bench/urls.py): the least a recorded access can cost.
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_write_floor "
            "(id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute("TRUNCATE bench_write_floor")  # the same floor in every run
    forces = [
        organisation_create_or_update(kind="police_force", code=f"bench-{n}", name=f"Force {n}")[0]
        for n in range(8)
    ]
    ie, _ = organisation_create_or_update(
        kind="immigration_enforcement", code="bench-ie", name="Bench IE"
    )
    officer, _ = user_create_or_update(
        email="officer@bench.example", organisation=forces[0], roles=["police_officer"]
    )
    caseworker, _ = user_create_or_update(
        email="ie@bench.example", organisation=ie, roles=["ie_caseworker"]
    )
    have = Victim.objects.count()
    if have < VICTIMS:
        print(f"Generating {VICTIMS - have:,} victims with their cases, holds and grants...")
        started = time.perf_counter()
        for start in range(have, VICTIMS, CHUNK):
            datagen.generate(
                victims=min(CHUNK, VICTIMS - start),
                cases_per_victim=1.5,
                forces=forces,
                officer=officer,
                start=start,
            )
            print(f"  {min(start + CHUNK, VICTIMS):,} victims", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"Generated in {time.perf_counter() - started:.0f} s")
    print(f"Data: {Victim.objects.count():,} victims, {Case.objects.count():,} cases")
    case_ids = [
        str(pk) for pk in Case.objects.filter(force=forces[0]).values_list("pk", flat=True)[:5000]
    ]
    return {
        "officer_token": token_issue(user=officer)[0],
        "ie_token": token_issue(user=caseworker)[0],
        "case_ids": case_ids,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lua_scripts(data: dict, work: Path) -> dict[str, Path]:
    ids = ",".join(f'"{pk}"' for pk in data["case_ids"])
    scripts = {
        "bare": 'wrk.method = "GET"\n',
        "one_read": f"""
wrk.method = "GET"
request = function()
  local n = math.random(0, {int(VICTIMS * 1.1)})
  return wrk.format(nil, string.format("/bench/one-read?ref=B%08d", n))
end
""",
        "one_write": 'wrk.method = "POST"\n',
        "hold_check": f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token {data["ie_token"]}"
request = function()
  local n = math.random(0, {int(VICTIMS * 1.1)})
  local body = string.format('{{"home_office_reference": "B%08d"}}', n)
  return wrk.format(nil, nil, nil, body)
end
""",
        "case_read": f"""
wrk.method = "GET"
wrk.headers["Authorization"] = "Token {data["officer_token"]}"
local ids = {{{ids}}}
request = function()
  return wrk.format(nil, "/api/v1/cases/" .. ids[math.random(1, #ids)])
end
""",
    }
    paths = {}
    for name, text in scripts.items():
        paths[name] = work / f"{name}.lua"
        paths[name].write_text(text)
    return paths


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


def cpu_per_request(before: dict, after: dict, requests: float) -> dict[str, float]:
    """Milliseconds of CPU per request by kind, over the processes alive before and after."""
    spent = {"app": 0.0, "db": 0.0}
    for (kind, pid), seconds in after.items():
        if (kind, pid) in before:
            spent[kind] += seconds - before[kind, pid]
    return {f"{kind}_cpu_ms": seconds / requests * 1000 for kind, seconds in spent.items()}


def run_wrk(url: str, script: Path, duration: str) -> dict:
    before, started = cpu_seconds(), time.perf_counter()
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    after, requests = cpu_seconds(), rps * (time.perf_counter() - started)
    return {
        "rps": rps,
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(non2xx[1]) if non2xx else 0,
        **cpu_per_request(before, after, requests),
    }


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk")
        return 1
    database_url = ensure_database()
    setup_django(database_url)
    data = prepare_data()
    if "--prepare-only" in sys.argv:
        return 0
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(40),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "HOLD_CHECK_RATE": "100000000/min",
        # Connections kept for the whole run (as they are between recycles in production), so
        # the database processes' CPU can be read before and after each endpoint's run.
        "DB_CONN_MAX_AGE": "3600",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "bench.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    work = RESULTS
    work.mkdir(parents=True, exist_ok=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        scripts = lua_scripts(data, work)
        targets = {
            "bare": base + "/bench/bare",
            "one_read": base + "/bench/one-read",
            "one_write": base + "/bench/one-write",
            "hold_check": base + "/api/v1/hold-checks",
            "case_read": base + "/api/v1/cases",
        }
        results = {}
        # The baseline is measured before and after, so drift on a shared machine shows.
        for label, name in (
            ("bare", "bare"),
            ("one_read", "one_read"),
            ("one_write", "one_write"),
            ("hold_check", "hold_check"),
            ("case_read", "case_read"),
            ("bare_again", "bare"),
        ):
            run_wrk(targets[name], scripts[name], "3s")  # warm up
            results[label] = run_wrk(targets[name], scripts[name], DURATION)
        bare = {"rps": (results["bare"]["rps"] + results["bare_again"]["rps"]) / 2}
        print(
            f"\nAPI benchmark: {VICTIMS:,} victims, {CONNECTIONS} connections, "
            f"{WORKERS} gunicorn workers, {DURATION} each"
        )
        header = ("endpoint", "req/s", "p50 ms", "p99 ms", "vs bare", "non-2xx", "app", "db")
        print("{:<12} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}".format(*header))
        for name, figures in results.items():
            ratio = figures["rps"] / bare["rps"]
            print(
                f"{name:<12} {figures['rps']:>9.0f} {figures['p50_ms']:>8.2f} "
                f"{figures['p99_ms']:>8.2f} {ratio:>7.0%} {figures['non_2xx']:>8} "
                f"{figures['app_cpu_ms']:>8.3f} {figures['db_cpu_ms']:>8.3f}"
            )
        print(
            "app, db: CPU milliseconds per request used by gunicorn's and PostgreSQL's processes "
            "(wrk, on the same cores, is not counted)."
        )
        (work / "bench_api.json").write_text(json.dumps(results, indent=2))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
