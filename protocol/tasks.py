"""Thin Celery wrappers around the hold services. Messages carry ids only, never personal data."""

import logging
import time
from uuid import UUID

import redis
from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from config.health import worker_heartbeat_key

from . import services
from .models import Hold

logger = logging.getLogger(__name__)


@shared_task(
    name="protocol.tasks.reevaluate_hold",
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=8,
)
def reevaluate_hold(victim_id: str, trigger: str = services.Trigger.SWEEP) -> bool:
    """Re-evaluate one victim's hold (after a fact change has committed)."""
    try:
        return services.hold_reevaluate(victim_id=UUID(victim_id), trigger=trigger)
    except Hold.DoesNotExist:
        logger.warning("No hold for victim %s: nothing to re-evaluate", victim_id)
        return False


@shared_task(name="protocol.tasks.sweep_holds")
def sweep_holds() -> dict[str, int]:
    """Re-evaluate every hold that lags its facts or whose due date has come, then re-check a
    slice of the holds evaluated longest ago. Locked holds are skipped: whoever holds the lock
    is evaluating them already."""
    batch = settings.HOLD_SWEEP_BATCH
    on = services.today()
    totals = {"evaluated": 0, "changed": 0, "failed": 0}
    for _ in range(200):  # bounded, whatever happens
        ids = services.due_hold_ids(on=on, limit=batch)
        if not ids:
            break
        result = services.holds_reevaluate_batch(
            hold_ids=ids, trigger=services.Trigger.SWEEP, on=on, skip_locked=True
        )
        totals["evaluated"] += result.evaluated
        totals["changed"] += result.changed
        totals["failed"] += len(result.failed)
        if result.evaluated == 0:
            break  # everything left is locked or failing: the next sweep tries again
    oldest = services.oldest_hold_ids(limit=batch)
    if oldest:
        result = services.holds_reevaluate_batch(
            hold_ids=oldest, trigger=services.Trigger.SWEEP, on=on, skip_locked=True
        )
        totals["evaluated"] += result.evaluated
        totals["changed"] += result.changed
    if totals["changed"] or totals["failed"]:
        logger.info("Hold sweep: %s", totals)
    return totals


def _beat() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    client.set(worker_heartbeat_key(), str(time.time()), ex=600)


@shared_task(name="protocol.tasks.heartbeat")
def heartbeat() -> None:
    """Tell /healthz that a worker is consuming tasks."""
    _beat()


@shared_task(name="protocol.tasks.ping", ignore_result=False)
def ping(value: int = 0) -> int:
    """A no-op round trip, for smoke tests and benchmark baselines."""
    return value


@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    try:
        _beat()
    except Exception:
        logger.warning("Could not write the worker heartbeat", exc_info=True)
