"""Page benchmark: the pages people use all day, at national scale, under concurrent signed-in
users (gunicorn, production settings), each beside a bare Django endpoint served by the same
server in the same run.

Every user signs in through the real sign-in page and keeps their session cookie; each of wrk's
connections is one user. Server time is each request's time inside gunicorn (its access log's
%(D)s), so it leaves out wrk's own queueing on these shared cores; the target is p95 under
150 ms. Any answer other than 200 (a redirect to the sign-in page included) is counted.

    make bench-pages                   # 1,000,000 victims: the API benchmark's data
    BENCH_VICTIMS=100000 make bench-pages
    BENCH_USERS=8 BENCH_ROUNDS=5 BENCH_DURATION=10s make bench-pages

Pages are measured in rounds (BENCH_ROUNDS, BENCH_DURATION a page in each), every page in
turn, so a burst of other work on shared cores falls on all of them alike.

Uses the API benchmark's database (bench/bench_api.py builds it on the first run) and adds what
the pages need on top: a support organisation with 2% of the victims referred to it, 1% of the
holds due for review, and the signed-in users.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_api  # noqa: E402
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

VICTIMS = bench_api.VICTIMS
USERS = int(os.environ.get("BENCH_USERS", "4"))
DURATION = os.environ.get("BENCH_DURATION", "5s")  # each page, in each round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
TARGET_P95_MS = 150
RESULTS = ROOT / "bench" / "results"
ADVISED_EVERY = 50  # victims referred to the support organisation: 2%
REVIEW_EVERY = 100  # holds due for review: 1%


def prepare_pages(data: dict) -> dict:
    """What the pages need beyond the API benchmark's data, added once: a support organisation
    with its victims' grants, holds due for review; then the users, with a fresh password."""
    from django.contrib.auth.models import Permission
    from django.db import connection, transaction

    from accounts.models import Organisation
    from accounts.services import organisation_create_or_update, user_create_or_update
    from bench.common import _copy
    from victims.models import Victim, VictimGroupObjectPermission

    force = Organisation.objects.get(code="bench-0")
    support, _ = organisation_create_or_update(
        kind="support_organisation", code="bench-support", name="Bench Support"
    )
    ie = Organisation.objects.get(code="bench-ie")
    if not VictimGroupObjectPermission.objects.filter(group_id=support.group_id).exists():
        print(
            "Referring 2% of the victims to a support organisation, 1% of holds due for review..."
        )
        with transaction.atomic(), connection.cursor() as cursor:
            view, change = (
                Permission.objects.get(codename=name, content_type__app_label="victims").pk
                for name in ("view_victim", "change_victim")
            )
            # datagen numbers victims in their Home Office reference (B00000042).
            cursor.execute(
                "SELECT id FROM victims_victim "
                "WHERE substring(home_office_reference, 2)::int %% %s = 0",
                [ADVISED_EVERY],
            )
            grants = [
                (support.group_id, permission, victim_id)
                for (victim_id,) in cursor.fetchall()
                for permission in (view, change)
            ]
            _copy(
                "victims_victimgroupobjectpermission",
                ["group_id", "permission_id", "content_object_id"],
                grants,
            )
            # Due for review, still in force: what IE's review queue lists, oldest first.
            cursor.execute(
                "UPDATE protocol_hold h SET status = 'review_due', "
                "status_since = now() - make_interval(days => "
                "substring(v.home_office_reference, 2)::int %% 300) "
                "FROM victims_victim v WHERE v.id = h.victim_id AND h.in_force "
                "AND substring(v.home_office_reference, 2)::int %% %s = 3",
                [REVIEW_EVERY],
            )
        # As autovacuum keeps a live database: statistics, and visibility maps so the grants'
        # unique indexes answer scoping checks without reading the table (COPY leaves none).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    password = secrets.token_urlsafe(18)
    users = {
        kind: [
            user_create_or_update(
                email=f"{kind}{n}@bench.example",
                organisation=organisation,
                roles=[role],
                password=password,
            )[0]
            for n in range(USERS)
        ]
        for kind, organisation, role in (
            ("officer", force, "police_officer"),
            ("adviser", support, "support_adviser"),
            ("senior", ie, "ie_senior"),
        )
    }
    victim_ids = [
        str(pk)
        for pk in Victim.objects.filter(cases__force=force)
        .order_by()
        .values_list("pk", flat=True)[:5000]
    ]
    return {
        "password": password,
        "emails": {role: [user.email for user in group] for role, group in users.items()},
        "victim_ids": victim_ids,
    }


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the sign-in page (its CSRF token and cookie, then the form) and return
    the Cookie header that keeps the session. Raises BenchError when it does not work."""
    conn = HTTPConnection("127.0.0.1", port, timeout=60)

    def cookies_of(response) -> dict:
        found = {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                found[name] = rest.split(";", 1)[0]
        return found

    conn.request("GET", "/accounts/login")
    response = conn.getresponse()
    page = response.read().decode()
    jar = cookies_of(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or not token or "csrftoken" not in jar:
        raise BenchError(f"the sign-in page answered {response.status} without a CSRF token")
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token[1], "username": email, "password": password, "otp": ""}
    )
    conn.request(
        "POST",
        "/accounts/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={jar['csrftoken']}",
        },
    )
    response = conn.getresponse()
    response.read()
    jar.update(cookies_of(response))
    if response.status != 302 or "sessionid" not in jar:
        raise BenchError(f"signing in as {email} answered {response.status}, not a redirect")
    cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
    conn.request("GET", "/", headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise BenchError(
            f"{email}'s session did not hold: the home page answered {response.status}"
        )
    conn.close()
    return cookie


def lua(cookies: list[str], request_body: str) -> str:
    """A wrk script where each thread (one connection each) is one signed-in user."""
    quoted = ", ".join(json.dumps(cookie) for cookie in cookies)
    return f"""
local cookies = {{{quoted}}}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("cookie", cookies[(counter - 1) % #cookies + 1])
  thread:set("id", counter)
end
function init(args)
  wrk.headers["Cookie"] = cookie
  math.randomseed(id * 7919 + os.time())
end
{request_body}
"""


def page_scripts(data: dict, cookies: dict[str, list[str]], work: Path) -> dict[str, tuple]:
    """Each page: (the user role, the path or a Lua request function)."""
    ids = ",".join(f'"{pk}"' for pk in data["victim_ids"])
    force_victims = (
        VICTIMS // 8
    )  # datagen spreads victims over 8 forces; force 0 has number % 8 == 0
    fixed = 'request = function() return wrk.format("GET", "{path}") end'
    pages = {
        "bare": ("officer", fixed.format(path="/bench/bare")),
        "home": ("officer", fixed.format(path="/")),
        "case_list": ("officer", fixed.format(path="/cases/")),
        "case_list_p10": ("officer", fixed.format(path="/cases/?page=10")),
        # A victim of force 0, by their full name: accents and capitals as typed, ignored.
        "search_full": (
            "officer",
            f"""request = function()
  local n = 8 * math.random(0, {force_victims - 1})
  return wrk.format("GET", string.format("/cases/?q=Given%d+F%%C3%%81MILY%d", n, n))
end""",
        ),
        # Part of a family name (its first 5 digits): a handful of victims nationally.
        "search_part": (
            "officer",
            f"""request = function()
  local n = math.random(10000, {max(10001, min(99999, VICTIMS - 1))})
  return wrk.format("GET", string.format("/cases/?q=f%%C3%%A1mily%d", n))
end""",
        ),
        "victim_page": (
            "officer",
            f"""local ids = {{{ids}}}
request = function()
  return wrk.format("GET", "/victims/" .. ids[math.random(1, #ids)])
end""",
        ),
        "adviser_list": ("adviser", fixed.format(path="/victims/")),
        "review_queue": ("senior", fixed.format(path="/holds/review")),
    }
    scripts = {}
    for name, (role, body) in pages.items():
        path = work / f"page_{name}.lua"
        path.write_text(lua(cookies[role], body))
        scripts[name] = path
    return scripts


def server_times(access_log: Path, offset: int) -> tuple[list[float], dict[str, int]]:
    """Milliseconds in the server of each request logged after `offset`, and their statuses."""
    times, statuses = [], {}
    with access_log.open() as log:
        log.seek(offset)
        for line in log:
            status, micros, _path = line.split(" ", 2)
            statuses[status] = statuses.get(status, 0) + 1
            if status == "200":
                times.append(int(micros) / 1000)
    return times, statuses


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk")
        return 1
    database_url = bench_api.ensure_database()
    bench_api.setup_django(database_url)
    data = prepare_pages(bench_api.prepare_data())
    work = RESULTS
    work.mkdir(parents=True, exist_ok=True)
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
        "DJANGO_STATIC_ROOT": str(work / "staticfiles"),
        "DB_CONN_MAX_AGE": "3600",
    }
    # The pages' templates need production's hashed static files.
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log, access_log = work / "bench_pages_server.log", work / "bench_pages_access.log"
    access_log.write_text("")
    server = start_gunicorn(env=env, port=port, workers=WORKERS, log=log, access_log=access_log)
    try:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_workers(base, WORKERS, server, log)
            cookies = {
                role: [sign_in(port, email, data["password"]) for email in emails]
                for role, emails in data["emails"].items()
            }
        except BenchError as error:
            print(f"Cannot measure: {error}")
            return 1
        scripts = page_scripts(data, cookies, work)
        results, failures = {}, []
        order = [*scripts, "bare_again"]
        for name in scripts:
            run_wrk(base + "/", scripts[name], "3s", USERS, threads=USERS)  # warm up
        # Rounds through every page in turn, so a burst of other work on these shared cores
        # falls on all pages alike rather than on one; each page's figures pool its rounds.
        runs: dict[str, list] = {label: [] for label in order}
        for _ in range(ROUNDS):
            for label in order:
                name = "bare" if label == "bare_again" else label
                time.sleep(0.3)
                offset = access_log.stat().st_size
                figures = run_wrk(base + "/", scripts[name], DURATION, USERS, threads=USERS)
                time.sleep(0.5)  # the last answers' log lines
                runs[label].append((figures, *server_times(access_log, offset)))
        for label, measured in runs.items():
            times = [ms for _, round_times, _ in measured for ms in round_times]
            statuses: dict[str, int] = {}
            for _, _, round_statuses in measured:
                for status, n in round_statuses.items():
                    statuses[status] = statuses.get(status, 0) + n
            figures = {
                "rps": sum(f["rps"] for f, _, _ in measured) / len(measured),
                "requests": sum(f["requests"] for f, _, _ in measured),
                "non_2xx": sum(f["non_2xx"] for f, _, _ in measured),
                "server_p50_ms": percentile(times, 0.50),
                "server_p95_ms": percentile(times, 0.95),
                "server_p99_ms": percentile(times, 0.99),
                "not_200": sum(n for status, n in statuses.items() if status != "200"),
                "statuses": statuses,
            }
            results[label] = figures
            last = measured[-1][0]
            if completed_nothing(figures) or not times:
                name = "bare" if label == "bare_again" else label
                failures.append(why_nothing(label, base + "/", scripts[name], last, USERS, log))
        print(
            f"\nPage benchmark: {VICTIMS:,} victims, {USERS} signed-in users at once, "
            f"{WORKERS} gunicorn workers, {ROUNDS} rounds of {DURATION} a page; server time from "
            "gunicorn's access log"
        )
        header = ("page", "req/s", "p50 ms", "p95 ms", "p99 ms", "not 200", f"p95<{TARGET_P95_MS}")
        print("{:<14} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}".format(*header))
        for name, figures in results.items():
            p95 = figures["server_p95_ms"]
            verdict = (
                "-"
                if name.startswith("bare") or p95 is None
                else ("yes" if p95 < TARGET_P95_MS else "NO")
            )
            print(
                f"{name:<14} {figures['rps']:>8.1f} {fmt(figures['server_p50_ms'], '.1f', 8)} "
                f"{fmt(p95, '.1f', 8)} {fmt(figures['server_p99_ms'], '.1f', 8)} "
                f"{figures['not_200']:>8} {verdict:>8}"
            )
        print(
            "p50/p95/p99: milliseconds each request spent in the server (gunicorn's %(D)s), "
            "answers with status 200 only; req/s: wrk's, all users together."
        )
        (work / "bench_pages.json").write_text(json.dumps(results, indent=2))
        for failure in failures:
            print("\n" + failure)
    finally:
        stop(server)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
