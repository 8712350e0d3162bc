"""The async path with real parts: a Celery worker process, Redis, PostgreSQL and an SMTP server
on loopback. A notification is e-mailed by the worker after its change commits; a mail server
that is down when the worker tries delays the e-mail (retried with back-off) and loses nothing."""

import time

import pytest
from django.db import transaction

from protocol.models import Notification
from tests.worker import wait_for

from .test_notifications import referral, request_and_approve  # noqa: F401 (a fixture)

pytestmark = pytest.mark.worker


def worker_env(smtp) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "3",
    }


def test_the_worker_emails_each_notification_after_the_change_commits(
    smtp,
    celery_worker_process,
    referral,  # noqa: F811
    senior,
    senior2,
):
    worker = celery_worker_process(**worker_env(smtp))
    worker.wait_ready()
    with transaction.atomic():  # the request and the approval, committed together below
        hold, _ = request_and_approve(referral, senior, senior2)
        time.sleep(3)  # long enough for a running worker to receive a task sent now
        # Nothing was sent before the commit: no task reached the worker, no mail the server.
        assert "Task protocol.tasks.send_notification_email[" not in worker.log()
        assert smtp.inbox.messages == []

    wait_for(lambda: len(smtp.inbox.messages) == 4, timeout=60, message="four e-mails")
    subjects = sorted(message["Subject"] for _, message in smtp.inbox.messages)
    assert all(hold.reference in subject for subject in subjects)
    assert not Notification.objects.filter(emailed_at__isnull=True).exclude(email_to="").exists()
    assert "Task protocol.tasks.send_notification_email[" in worker.log()


def test_a_mail_server_down_when_the_worker_sends_delays_the_email_and_loses_nothing(
    smtp,
    celery_worker_process,
    referral,  # noqa: F811
    senior,
):
    from protocol import services
    from protocol.models import Hold

    smtp.stop()
    worker = celery_worker_process(**worker_env(smtp))
    hold = Hold.objects.get(victim=referral.victim)
    services.override_request(
        hold_reference=hold.reference,
        by=senior,
        category="serious_harm_risk",
        justification="Risk to others",
        expires_on=None,
    )
    notification = Notification.objects.get(kind="override_requested")
    wait_for(
        lambda: Notification.objects.get(pk=notification.pk).email_attempts >= 1,
        timeout=30,
        message="a first attempt",
    )
    assert Notification.objects.get(pk=notification.pk).emailed_at is None
    smtp.start()  # back: the task's retry sends it
    wait_for(lambda: len(smtp.inbox.messages) == 1, timeout=60, message="the retried e-mail")
    assert Notification.objects.get(pk=notification.pk).emailed_at is not None
    assert "Retry in" in worker.log()


def test_the_daily_retention_task_run_by_a_worker_erases_who_is_due(
    celery_worker_process, officer, senior
):
    """Beat's daily `protocol.tasks.apply_retention`, run by a real worker process outside any
    transaction (the ids come through a cursor held across each person's commit): the person due
    is erased with an access event, the one not due is kept."""
    from accounts.models import AccessEvent
    from protocol import tasks
    from protocol.services import retention
    from tests.factories import make_referral
    from victims.models import Victim

    from .conftest import closed_referral

    due = closed_referral(officer, senior, given_names="Due").victim
    kept = make_referral(officer, victim={"given_names": "Kept"}).victim
    worker = celery_worker_process()
    worker.wait_ready()

    tasks.apply_retention.delay()

    wait_for(
        lambda: Victim.records.get(pk=due.pk).erased_at is not None,
        timeout=60,
        message="the person due erased by the worker",
    )
    assert Victim.records.get(pk=due.pk).given_names == ""
    assert Victim.records.get(pk=kept.pk).given_names == "Kept"
    assert AccessEvent.objects.filter(detail=retention.ERASED, object_id=str(due.pk)).count() == 1
    assert "Task protocol.tasks.apply_retention[" in worker.log()
