"""`victims.services`: an application's change, and the bump of `facts_version` that asks the
protocol app, by task name, to re-evaluate the hold after commit."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import days_ago, make_referral
from tests.worker import queue_length, queued_tasks
from victims.models import Application, Victim
from victims.services import application_create, application_update, support_referral_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(officer, adviser, support_org):
    victim = make_referral(officer).victim
    support_referral_create(
        victim=victim, by=officer, organisation_code=support_org.code, consent_given_on=days_ago(3)
    )
    return application_create(
        victim=victim, by=adviser, route="mvdac", status="submitted", submitted_on=days_ago(2)
    )


def _version(victim_id) -> int:
    return Victim.objects.get(pk=victim_id).facts_version


def test_application_update_changes_the_status_and_asks_for_a_reevaluation_by_name(
    application, adviser, celery_queue, django_capture_on_commit_callbacks
):
    version = _version(application.victim_id)
    with django_capture_on_commit_callbacks() as callbacks:
        updated = application_update(
            application=application, by=adviser, status="granted", decided_on=days_ago(1)
        )
        assert queue_length(celery_queue) == 0  # nothing before the commit
    assert (updated.status, updated.decided_on) == ("granted", days_ago(1))
    assert Application.objects.get(pk=application.pk).status == "granted"
    assert _version(application.victim_id) == version + 1
    for callback in callbacks:
        callback()  # the commit: the message goes to the real broker
    assert queued_tasks(celery_queue) == [
        ("protocol.tasks.reevaluate_hold", [str(application.victim_id), "application"])
    ]


def test_application_update_refuses_a_new_route_and_changes_nothing(
    application, adviser, django_capture_on_commit_callbacks
):
    version = _version(application.victim_id)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ValidationError) as refusal,
    ):
        application_update(application=application, by=adviser, route="nrm")
    assert "route" in refusal.value.message_dict
    assert callbacks == []
    assert _version(application.victim_id) == version
    assert Application.objects.get(pk=application.pk).route == "mvdac"
