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
import secrets
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import (  # noqa: E402
    BenchError,
    completed_nothing,
    fmt,
    free_port,
    run_wrk,
    start_gunicorn,
    stop,
    wait_for_workers,
    why_nothing,
)

VICTIMS = int(os.environ.get("BENCH_VICTIMS", "1000000"))
DURATION = os.environ.get("BENCH_DURATION", "20s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
# Each endpoint is measured in this many rounds, every endpoint in turn, and each figure is the
# median of its rounds: a burst of other work on the shared cores then falls on one round of
# every endpoint alike, instead of on one endpoint's whole measurement.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
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
        "check_service": f"""
wrk.method = "POST"
request = function()
  local n = math.random(0, {int(VICTIMS * 1.1)})
  return wrk.format(nil, string.format("/bench/check-service?ref=B%08d", n))
end
""",
        "check_writes": f"""
wrk.method = "POST"
request = function()
  local n = math.random(0, {int(VICTIMS * 1.1)})
  return wrk.format(nil, string.format("/bench/check-writes?ref=B%08d", n))
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


def median_figures(runs: list[dict]) -> dict:
    """Each figure's median over an endpoint's rounds (None where a round has none); the
    requests and the non-2xx answers summed; wrk's output of the last round."""
    merged = dict(runs[-1])
    for key, value in runs[-1].items():
        if key in ("wrk_output", "requests", "non_2xx", "wrk_exit"):
            continue
        if isinstance(value, (int, float)) or value is None:
            values = [run[key] for run in runs if run.get(key) is not None]
            merged[key] = statistics.median(values) if values else None
    merged["requests"] = sum(run["requests"] for run in runs)
    merged["non_2xx"] = sum(run["non_2xx"] for run in runs)
    return merged


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
    work = RESULTS
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench_api_server.log"
    server = start_gunicorn(env=env, port=port, workers=WORKERS, log=log)
    try:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_workers(base, WORKERS, server, log)
        except BenchError as error:
            print(f"Cannot measure: {error}")
            return 1
        scripts = lua_scripts(data, work)
        targets = {
            "bare": base + "/bench/bare",
            "one_read": base + "/bench/one-read",
            "one_write": base + "/bench/one-write",
            "hold_check": base + "/api/v1/hold-checks",
            "check_service": base + "/bench/check-service",
            "check_writes": base + "/bench/check-writes",
            "case_read": base + "/api/v1/cases",
        }
        results, failures = {}, []
        # The baseline is measured before and after, so drift on a shared machine shows.
        order = (
            ("bare", "bare"),
            ("one_read", "one_read"),
            ("one_write", "one_write"),
            ("hold_check", "hold_check"),
            ("check_service", "check_service"),
            ("check_writes", "check_writes"),
            ("case_read", "case_read"),
            ("bare_again", "bare"),
        )
        if os.environ.get("BENCH_ONLY"):  # e.g. "bare,one_write,hold_check,bare_again"
            wanted = os.environ["BENCH_ONLY"].split(",")
            order = tuple(item for item in order if item[0] in wanted)
        for _, name in order:
            run_wrk(targets[name], scripts[name], "3s", CONNECTIONS)  # warm up
        rounds: dict[str, list[dict]] = {label: [] for label, _ in order}
        for _ in range(ROUNDS):
            for label, name in order:
                rounds[label].append(run_wrk(targets[name], scripts[name], DURATION, CONNECTIONS))
        for label, name in order:
            results[label] = median_figures(rounds[label])
            if completed_nothing(results[label]):
                failures.append(
                    why_nothing(
                        label, targets[name], scripts[name], results[label], CONNECTIONS, log
                    )
                )
        bares = [results[label]["rps"] for label in ("bare", "bare_again") if label in results]
        bare = {"rps": sum(bares) / len(bares) if bares else 0.0}
        print(
            f"\nAPI benchmark: {VICTIMS:,} victims, {CONNECTIONS} connections, "
            f"{WORKERS} gunicorn workers, {DURATION} each"
            + (f", median of {ROUNDS} rounds" if ROUNDS > 1 else "")
        )
        header = ("endpoint", "req/s", "p50 ms", "p99 ms", "vs bare", "non-2xx", "app", "db")
        print("{:<12} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}".format(*header))
        for name, figures in results.items():
            ratio = figures["rps"] / bare["rps"] if bare["rps"] > 0 else None
            print(
                f"{name:<12} {figures['rps']:>9.0f} {fmt(figures['p50_ms'], '.2f', 8)} "
                f"{fmt(figures['p99_ms'], '.2f', 8)} {fmt(ratio, '.0%', 8)} "
                f"{figures['non_2xx']:>8} {fmt(figures['app_cpu_ms'], '.3f', 8)} "
                f"{fmt(figures['db_cpu_ms'], '.3f', 8)}"
            )
        print(
            "app, db: CPU milliseconds per request used by gunicorn's and PostgreSQL's processes "
            "(wrk, on the same cores, is not counted)."
        )
        for figures in results.values():
            figures.pop("wrk_output")
        (work / "bench_api.json").write_text(json.dumps(results, indent=2))
        for failure in failures:
            print("\n" + failure)
    finally:
        stop(server)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
