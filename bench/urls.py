import os
import time

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as service_urlpatterns


def bare(request):
    """A bare Django JSON endpoint through the same middleware: the baseline."""
    return JsonResponse({"ok": True})


def one_read(request):
    """The least a hold check could read: one indexed lookup of a hold (no authentication)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reference FROM protocol_hold WHERE victim_id = "
            "(SELECT id FROM victims_victim WHERE home_office_reference_key = %s "
            "AND home_office_reference_key <> '')",
            [request.GET.get("ref", "")],
        )
        row = cursor.fetchone()
    return JsonResponse({"hold": row[0] if row else None})


@csrf_exempt  # as the API's views are
def one_write(request):
    """The least any recorded access costs: one row inserted and committed in a transaction
    (no authentication, no reads): a second baseline, a floor for every audited endpoint."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_write_floor DEFAULT VALUES")
    return JsonResponse({"ok": True})


_CHECKER = []


def _checker():
    """The benchmark's IE caseworker, read once per process (no authentication: a floor)."""
    if not _CHECKER:
        from accounts.models import User

        user = User.objects.select_related("organisation").get(email="ie@bench.example")
        user.roles  # noqa: B018 (read once, kept on the instance)
        _CHECKER.append(user)
    return _CHECKER[0]


@csrf_exempt
def check_service(request):
    """The hold check's service alone, for the reference in `?ref=`: its statements, its
    writes and the access event's HMAC, without authentication, the rate limit, validation or
    DRF. What the check costs with none of the request's machinery around it."""
    from protocol.services import hold_check

    answer = hold_check(user=_checker(), home_office_reference=request.GET.get("ref", ""))
    return JsonResponse({"in_force": answer.in_force, "hold_reference": answer.hold_reference})


@csrf_exempt
def check_writes(request):
    """The hold check's statements and writes with no Python logic: the check's statement and
    the access event's append as the service sends them, with fixed values (a random HMAC, so
    the unique index takes it), in one transaction. The floor of the check's database work.
    (Its events do not chain: the benchmark's access log does not verify, and need not.)"""
    import secrets
    import uuid

    from django.utils import timezone

    from accounts import audit
    from protocol.services import checks

    user = _checker()
    now = timezone.now()
    chain = secrets.randbelow(8)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            checks._CHECK.format(match=checks._MATCH_BY_REFERENCE),
            {
                "reference": request.GET.get("ref", ""),
                "on": now.date(),
                "look_for_lag": True,
                "chain": chain,
                "check": uuid.uuid4(),
                "now": now,
                "by": user.pk,
                "organisation": user.organisation_id,
                "told_in_force": "in force",
                "told_not_in_force": "not in force",
            },
        )
        row = cursor.fetchone()
        digest = secrets.token_hex(32)
        cursor.execute(
            audit._APPEND,
            [
                now,
                user.pk,
                user.email,
                "ie_caseworker",
                "bench-ie",
                "hold_check",
                "hold_check",
                "x",
                "allowed",
                "",
                "",
                chain,
                row[7] or "",
                digest,
                digest,
                (row[8] or 0) + 1,
                digest,
                chain,
            ],
        )
    return JsonResponse({"ok": True})


def worker(request):
    """This worker's process id, after holding it `hold_ms` (at most 1 s), so a burst of
    concurrent requests reaches every worker: the benchmarks measure only once all answer."""
    try:
        hold = min(max(int(request.GET.get("hold_ms", "0")), 0), 1000)
    except ValueError:
        hold = 0
    time.sleep(hold / 1000)
    return HttpResponse(str(os.getpid()), content_type="text/plain")


urlpatterns = [
    path("bench/worker", worker),
    path("bench/bare", bare),
    path("bench/one-read", one_read),
    path("bench/one-write", one_write),
    path("bench/check-service", check_service),
    path("bench/check-writes", check_writes),
    *service_urlpatterns,
]
