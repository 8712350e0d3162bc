"""A real round trip: a task sent through Redis is executed by a separate worker process and
its effect is visible in PostgreSQL."""

import pytest

from protocol.models import Hold
from protocol.tasks import reevaluate_hold
from tests.factories import make_referral
from tests.worker import wait_for
from victims.models import Victim

pytestmark = pytest.mark.worker


def test_a_task_sent_through_redis_runs_in_a_worker_process_and_writes_to_postgres(
    officer, celery_worker_process
):
    referral = make_referral(officer)
    # A fact version the worker has not yet evaluated: only the worker can close the gap.
    Victim.objects.filter(pk=referral.victim.pk).update(facts_version=7)
    worker = celery_worker_process()
    reevaluate_hold.delay(str(referral.victim.pk), "command")
    hold = wait_for(
        lambda: Hold.objects.filter(victim=referral.victim, evaluated_version=7).first(),
        timeout=60,
        message="the worker to re-evaluate the hold",
    )
    assert hold.in_force
    assert worker.process.pid != __import__("os").getpid()
    assert "reevaluate_hold" in worker.log()
