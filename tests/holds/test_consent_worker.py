"""With real parts (a Celery worker, Redis, PostgreSQL): a withdrawal of consent reaches the
hold through the worker after it commits, as any other change of facts does."""

import pytest
from django.utils import timezone

from protocol.services.support import consent_withdraw
from tests.factories import days_ago
from tests.worker import wait_for
from victims.models import Victim
from victims.services import support_referral_create

from .conftest import decisions, hold_row, no_further_action, old_referral

pytestmark = pytest.mark.worker


def caught_up(victim) -> bool:
    return hold_row(victim)["evaluated_version"] == Victim.objects.get(pk=victim.pk).facts_version


def test_a_withdrawal_of_consent_reaches_the_hold_through_the_worker(
    officer, support_org, celery_worker_process
):
    worker = celery_worker_process()
    referral = old_referral(officer)
    no_further_action(officer, referral.case, days=200)  # the justice limb has lapsed
    support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=days_ago(1),
    )
    wait_for(lambda: caught_up(referral.victim), timeout=30, message="the worker")
    assert hold_row(referral.victim)["grounds"] == ["regularisation_support"]

    consent_withdraw(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        withdrawn_on=timezone.localdate(),
    )  # commits; the message goes after the commit

    wait_for(lambda: caught_up(referral.victim), timeout=30, message="the worker")
    row = hold_row(referral.victim)
    assert (row["status"], row["grounds"]) == ("ending", [])
    assert decisions(referral.victim)[-1].trigger == "support"
    assert "protocol.tasks.reevaluate_hold" in worker.log()
