"""`/healthz`: database, Redis and worker health."""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from .redis_client import redis_client


def worker_heartbeat_key() -> str:
    """Per queue, so a worker only vouches for the queue it consumes."""
    return f"casework:worker-heartbeat:{settings.CELERY_TASK_DEFAULT_QUEUE}"


WORKER_HEARTBEAT_MAX_AGE = 120  # seconds; beat sends one every 30


def healthz(request):
    """200 with each part "ok", or 503 naming what is down."""
    report: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except Exception:
        report["database"] = "down"
    try:
        client = redis_client()
        client.ping()
        report["redis"] = "ok"
        beat = client.get(worker_heartbeat_key())
        fresh = beat is not None and time.time() - float(beat) < WORKER_HEARTBEAT_MAX_AGE
        report["worker"] = "ok" if fresh else "down"
    except Exception:
        report["redis"] = "down"
        report["worker"] = "unknown"
    healthy = all(value == "ok" for value in report.values())
    return JsonResponse(report, status=200 if healthy else 503)
