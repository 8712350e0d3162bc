"""In-process profile of the API benchmark's two requests on its data: the queries one request
makes (Django's CaptureQueriesContext), the milliseconds of one request through Django's test
client (median of many, beside the bare endpoint), and optionally a cProfile of many.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/profile_api.py [--profile NAME] [-n N]

Uses bench-api's database (run `bench/bench_api.py --prepare-only` first) and bench.settings
(production settings), as the server does.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", help="cProfile this endpoint (hold_check, case_read)")
    parser.add_argument("-n", type=int, default=400)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--queries", action="store_true", help="print each query's SQL")
    options = parser.parse_args()

    from bench.bench_api import bench_database_url

    url = bench_database_url()[0]
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        AUDIT_HMAC_KEY=secrets.token_urlsafe(40),
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_ALLOWED_HOSTS="testserver",
        HOLD_CHECK_RATE="100000000/min",
        DB_CONN_MAX_AGE="3600",
    )
    import django

    django.setup()
    import random

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.services import token_issue
    from cases.models import Case

    officer = User.objects.get(email="officer@bench.example")
    caseworker = User.objects.get(email="ie@bench.example")
    officer_token = token_issue(user=officer)[0]
    ie_token = token_issue(user=caseworker)[0]
    case_ids = [
        str(pk)
        for pk in Case.objects.filter(force_id=officer.organisation_id).values_list(
            "pk", flat=True
        )[:2000]
    ]
    victims = 1_000_000
    rng = random.Random(1)
    client = Client()

    def bare():
        return client.get("/bench/bare")

    def one_write():
        return client.post("/bench/one-write")

    def hold_check():
        body = {"home_office_reference": f"B{rng.randint(0, int(victims * 1.1)):08d}"}
        return client.post(
            "/api/v1/hold-checks",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {ie_token}",
        )

    def case_read():
        return client.get(
            f"/api/v1/cases/{rng.choice(case_ids)}", HTTP_AUTHORIZATION=f"Token {officer_token}"
        )

    def check_service():
        reference = f"B{rng.randint(0, int(victims * 1.1)):08d}"
        return client.post(f"/bench/check-service?ref={reference}")

    def check_writes():
        reference = f"B{rng.randint(0, int(victims * 1.1)):08d}"
        return client.post(f"/bench/check-writes?ref={reference}")

    endpoints = {
        "bare": bare,
        "one_write": one_write,
        "hold_check": hold_check,
        "check_service": check_service,
        "check_writes": check_writes,
        "case_read": case_read,
    }
    for name, call in endpoints.items():
        if options.only and name not in options.only:
            continue
        for _ in range(20):  # warm up: prepared statements, caches of the code
            response = call()
            assert response.status_code == 200, (name, response.status_code, response.content)
        with CaptureQueriesContext(connection) as captured:
            call()
        queries = [" ".join(query["sql"].split()) for query in captured.captured_queries]
        times = []
        cpu_started = time.process_time()
        for _ in range(options.n):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        cpu = (time.process_time() - cpu_started) * 1000 / options.n
        print(
            f"{name:<12} median {statistics.median(times):6.3f} ms  "
            f"p10 {sorted(times)[len(times) // 10]:6.3f} ms  "
            f"CPU of this process {cpu:6.3f} ms  queries {len(queries)}"
        )
        if options.queries:
            for query in queries:
                print("    " + query[:300])
    if options.profile:
        call = endpoints[options.profile]
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for the database
        profiler.enable()
        for _ in range(options.n):
            call()
        profiler.disable()
        profiler.dump_stats(f"/tmp/profile_{options.profile}.prof")
        stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
        stats.print_stats(60)
        stats.sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
