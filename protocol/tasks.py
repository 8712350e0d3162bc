"""Thin Celery wrappers around the hold services. Messages carry ids only, never personal data."""

import logging
import time
from uuid import UUID

from celery import shared_task
from celery.signals import task_postrun, task_prerun, worker_ready
from django.conf import settings
from django.db import close_old_connections, connections, reset_queries

from core.health import worker_heartbeat_key
from core.locks import single_run
from core.redis_client import redis_client

from .models import Hold
from .services import evaluation, notifications, retention, simulation, sweep

logger = logging.getLogger(__name__)


@shared_task(
    name="protocol.tasks.reevaluate_hold",
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=8,
    acks_late=True,
)
def reevaluate_hold(victim_id: str, trigger: str = evaluation.Trigger.SWEEP) -> bool:
    """Re-evaluate one victim's hold (after a fact change has committed).

    A failure is retried with backoff; when the retries run out, the hold still lags its facts,
    so the sweep keeps trying. Either way the stored hold stays as it was until then.
    """
    try:
        victim_uuid = UUID(victim_id)
    except (TypeError, ValueError):
        logger.error("Not a victim id: %r; nothing to re-evaluate", victim_id)
        return False
    if trigger not in evaluation.Trigger.values:
        trigger = evaluation.Trigger.SWEEP
    try:
        return evaluation.hold_reevaluate(victim_id=victim_uuid, trigger=trigger)
    except Hold.DoesNotExist:
        logger.warning("No hold for victim %s: nothing to re-evaluate", victim_id)
        return False


# A sweep that waited longer than this in the queue (a worker was down) is dropped: the next
# one does the same work, so a backlog of sweeps would only repeat it.
SWEEP_EXPIRES_SECONDS = 5 * 60


@shared_task(name="protocol.tasks.sweep_holds", expires=SWEEP_EXPIRES_SECONDS)
def sweep_holds() -> dict[str, int]:
    """Re-evaluate every hold that lags its facts or whose due date has come, then re-check the
    next slice of a walk through all the holds (which repairs any stored decision that differs
    from a fresh one). Walks the holds once, in primary-key order, so a hold that keeps failing
    cannot starve the others. Locked holds are skipped: whoever holds the lock is evaluating
    them already, and the next sweep looks again.

    One sweep at a time: a sweep that starts while another runs (a second beat process, or a
    slow sweep overlapping the next) does nothing and says so with `skipped`. Without the lock
    no decision would be doubled (each hold is re-read under its row lock and a decision is
    written only when it changes), but the work would be, and the re-check walk's slice too."""
    with single_run("protocol.tasks.sweep_holds") as mine:
        if not mine:
            logger.info("Hold sweep skipped: another sweep is running")
            return {"evaluated": 0, "changed": 0, "failed": 0, "skipped": 1}
        return _sweep()


def _sweep() -> dict[str, int]:
    batch = settings.HOLD_SWEEP_BATCH
    on = evaluation.today()
    totals = {"evaluated": 0, "changed": 0, "failed": 0, "skipped": 0}

    def run(ids) -> None:
        result = evaluation.holds_reevaluate_batch(
            hold_ids=ids, trigger=evaluation.Trigger.SWEEP, on=on, skip_locked=True
        )
        totals["evaluated"] += result.evaluated
        totals["changed"] += result.changed
        totals["failed"] += len(result.failed)
        if settings.DEBUG:
            reset_queries()  # or a long sweep would keep every statement it ran

    after = None
    while ids := sweep.due_hold_ids(on=on, limit=batch, after=after):
        run(ids)
        after = ids[-1]
    recheck = sweep.recheck_hold_ids(limit=batch)
    if recheck:
        run(recheck)
        sweep.recheck_done(recheck)
    if totals["changed"] or totals["failed"]:
        logger.info("Hold sweep: %s", totals)
    totals.update(_notification_scan(on))
    return totals


def _notification_scan(on) -> dict[str, int]:
    """The sweep's notification scan (notices due, e-mails owed). A failure here is logged and
    never stops the sweep's own work: the next sweep scans again."""
    try:
        return notifications.notification_scan(on=on, limit=settings.NOTIFICATION_SCAN_BATCH)
    except Exception:
        logger.exception("Notification scan failed; the next sweep scans again")
        return {}


@shared_task(
    name="protocol.tasks.send_notification_email",
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=6,
    acks_late=True,
)
def send_notification_email(notification_id: str) -> bool:
    """E-mail one notification to its organisation's contact address (once). A failure is
    retried with back-off; when the retries run out the notification is still owed, and the
    sweep sends it."""
    try:
        UUID(notification_id)
    except (TypeError, ValueError):
        logger.error("Not a notification id: %r", notification_id)
        return False
    return notifications.email_send(notification_id=notification_id)


@shared_task(name="protocol.tasks.apply_retention", expires=60 * 60)
def apply_retention() -> dict[str, int]:
    """Erase the identifying data retention says is due (daily, from beat). One run at a time."""
    with single_run("protocol.tasks.apply_retention") as mine:
        if not mine:
            return {"erased": 0, "skipped": 1}
        return {"erased": retention.retention_apply().erased}


def _beat() -> None:
    redis_client().set(worker_heartbeat_key(), str(time.time()), ex=600)


@shared_task(name="protocol.tasks.heartbeat")
def heartbeat() -> None:
    """Tell /healthz that a worker is consuming tasks."""
    _beat()


@shared_task(name="protocol.tasks.ping", ignore_result=False)
def ping(value: int = 0) -> int:
    """A no-op round trip, for smoke tests and benchmark baselines."""
    return value


# Around every task, what Django does around every request: close a database connection that
# is broken or older than CONN_MAX_AGE. With CELERY_DB_REUSE_MAX set, Celery then keeps a
# worker's connection from task to task; without it, Celery closes the connection after every
# task and each task pays for a new one (several milliseconds, most of a re-evaluation's time).
# CONN_HEALTH_CHECKS would also check the connection with a round trip before every task; a
# connection a task used successfully moments ago is not checked again, only one that was idle.
HEALTH_CHECK_AFTER_IDLE_SECONDS = 5.0
_last_task_finished = float("-inf")


def _eager(sender) -> bool:
    # Tasks run eagerly (in tests, inside the caller's transaction) are left alone, as Celery
    # leaves them.
    return bool(getattr(getattr(sender, "request", None), "is_eager", False))


@task_prerun.connect
def _before_task(sender=None, **kwargs) -> None:
    if _eager(sender):
        return
    close_old_connections()
    if time.monotonic() - _last_task_finished < HEALTH_CHECK_AFTER_IDLE_SECONDS:
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and hasattr(connection, "health_check_done"):
                connection.health_check_done = True


@task_postrun.connect
def _after_task(sender=None, **kwargs) -> None:
    global _last_task_finished
    if _eager(sender):
        return
    close_old_connections()  # a connection with errors is checked now, and closed if broken
    _last_task_finished = time.monotonic()


@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    try:
        _beat()
    except Exception:
        logger.warning("Could not write the worker heartbeat", exc_info=True)


@shared_task(name="protocol.tasks.simulate_policy", acks_late=True)
def simulate_policy(simulation_id: str) -> None:
    """Run a kept policy simulation (carries its id only)."""
    simulation.simulation_run(simulation_id=UUID(simulation_id))
