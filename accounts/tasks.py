"""Thin Celery wrappers around the access log's checks."""

from celery import shared_task

from .audit_verify import checkpoint_take


@shared_task(name="accounts.tasks.checkpoint_access_log", expires=60)
def checkpoint_access_log() -> bool:
    """Keep a signed checkpoint of the access log's chains outside the database."""
    return checkpoint_take()
