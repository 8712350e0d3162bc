"""Thin Celery wrappers around the access log's checks."""

from celery import shared_task

from core.locks import single_run

from .audit_verify import checkpoint_take


@shared_task(name="accounts.tasks.checkpoint_access_log", expires=60)
def checkpoint_access_log() -> bool:
    """Keep a signed checkpoint of the access log's chains outside the database. One at a time:
    a run that starts while another is taking one does nothing (returns False)."""
    with single_run("accounts.tasks.checkpoint_access_log") as mine:
        return checkpoint_take() if mine else False
