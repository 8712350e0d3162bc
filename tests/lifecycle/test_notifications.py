"""Notifications: recipients per kind as API.md lists them, references only, read and unread per
user, the API and the page, e-mail through a real SMTP server on loopback, a server that is
down (nothing lost: the sweep re-sends), and the sweep's "review due" and "no contact" notices
once per hold per occasion."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessEvent
from protocol import services
from protocol.models import Hold, Notification
from protocol.services import notifications
from protocol.tasks import _sweep
from tests.factories import (
    OrganisationFactory,
    UserFactory,
    days_ago,
    make_referral,
    make_referred,
)
from tests.worker import purge_queue, queued_tasks
from victims.models import SupportEngagement

from .conftest import body

pytestmark = pytest.mark.django_db

NAME_PARTS = ("Amina", "Diallo", "1990", "07700", "Refuge")


@pytest.fixture
def referral(officer, support_org):
    return make_referred(
        officer, support_org, case={"reported_on": days_ago(400), "referred_on": days_ago(399)}
    )


def recipients(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("organisation__code", flat=True))


def request_and_approve(referral, senior, senior2):
    hold = Hold.objects.get(victim=referral.victim)
    override = services.override_request(
        hold_reference=hold.reference,
        by=senior,
        category="serious_harm_risk",
        justification="Risk to others",
        expires_on=None,
    )
    services.override_approve(override_id=override.pk, by=senior2)
    return hold, override


def test_recipients_per_kind_are_those_api_md_lists(
    referral, senior, senior2, other_force, other_support_org, oversight
):
    hold, override = request_and_approve(referral, senior, senior2)
    assert recipients("override_requested") == {"ie"}
    assert recipients("override_approved") == {"ie", "northshire", "haven"}
    services.override_revoke(override_id=override.pk, by=senior)
    assert recipients("override_revoked") == {"ie", "northshire", "haven"}
    # Nobody else: not another force, another support organisation, nor oversight.
    assert not Notification.objects.filter(
        organisation__in=[other_force, other_support_org, oversight]
    ).exists()
    # IE learns the hold reference only; police and support the victim's as well.
    ie_notice = Notification.objects.get(kind="override_approved", organisation__code="ie")
    force_notice = Notification.objects.get(
        kind="override_approved", organisation__code="northshire"
    )
    assert ie_notice.references == {"hold": hold.reference}
    assert force_notice.references == {"hold": hold.reference, "victim": referral.victim.reference}


def test_notify_organisation_tells_one_organisation_and_never_oversight(referral, oversight):
    hold = Hold.objects.get(victim=referral.victim)
    made = services.notify_organisation(
        organisation=referral.case.force,
        hold=hold,
        kind="support_referral_accepted",
        message=f"The support referral for victim {referral.victim.reference} was accepted.",
    )
    assert (
        made.organisation == referral.case.force and made.email_to == "protocol@northshire.example"
    )
    assert (
        services.notify_organisation(
            organisation=oversight, hold=hold, kind="consent_withdrawn", message="x"
        )
        is None
    )
    with pytest.raises(ValueError):
        services.notify_organisation(
            organisation=referral.case.force, hold=hold, kind="x", message=""
        )


def test_the_api_lists_the_callers_organisation_newest_first_with_read(
    api, referral, officer, senior, senior2, caseworker, analyst, administrator, auditor
):
    request_and_approve(referral, senior, senior2)
    supervisor = UserFactory(role="police_supervisor", organisation=officer.organisation)
    answer = api(officer).get("/api/v1/notifications")
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [item["kind"] for item in results] == ["override_approved"]
    assert results[0]["read"] is False
    assert not any(part in str(results) for part in NAME_PARTS)

    read = api(officer).post(f"/api/v1/notifications/{results[0]['id']}/read")
    assert read.status_code == 200 and read.json()["read"] is True
    assert api(officer).get("/api/v1/notifications").json()["results"][0]["read"] is True
    # Read by whom: the supervisor of the same force has not read it.
    assert api(supervisor).get("/api/v1/notifications").json()["results"][0]["read"] is False

    ie = api(senior).get("/api/v1/notifications").json()["results"]
    assert [item["kind"] for item in ie] == ["override_approved", "override_requested"]
    for user in (caseworker, analyst, administrator, auditor):
        assert api(user).get("/api/v1/notifications").status_code == 403
    # Another organisation's notification is a 404, and recorded.
    ie_id = ie[0]["id"]
    assert api(officer).post(f"/api/v1/notifications/{ie_id}/read").status_code == 404
    assert AccessEvent.objects.filter(
        object_type="notification", object_id=ie_id, outcome="denied"
    ).exists()


def test_the_page_lists_them_and_the_header_counts_the_unread(
    client, referral, officer, senior, senior2
):
    request_and_approve(referral, senior, senior2)
    client.force_login(officer)
    page = client.get("/notifications").content.decode()
    assert "Override approved" in page and "Mark as read" in page
    home = client.get("/").content.decode()
    assert "Notifications <strong" in home and ">1<span" in home
    notification = Notification.objects.get(organisation=officer.organisation)
    answer = client.post(f"/notifications/{notification.pk}/read")
    assert answer.status_code == 302
    assert "Notifications <strong" not in client.get("/").content.decode()


def test_email_reaches_the_contact_address_naming_references_only(smtp, referral, senior, senior2):
    hold, _ = request_and_approve(referral, senior, senior2)
    owed = Notification.objects.filter(kind="override_approved")
    for notification in owed:
        assert notifications.email_send(notification_id=notification.pk) is True
        assert notifications.email_send(notification_id=notification.pk) is False  # once
    arrived = smtp.inbox.to("protocol@northshire.example")
    assert len(arrived) == 1
    message = arrived[0]
    assert hold.reference in message["Subject"] and "Override approved" in message["Subject"]
    text = body(message)
    assert hold.reference in text and referral.victim.reference in text
    for part in NAME_PARTS:
        assert part not in message["Subject"] and part not in text
    assert {recipients[0] for recipients, _ in smtp.inbox.messages} == {
        "protocol@ie.example",
        "protocol@northshire.example",
        "protocol@haven.example",
    }


class _QueuedEmails:
    """The notifications whose e-mail task waits in this test's queue, read from the real Redis
    broker as a worker would receive them (no worker runs, so they stay there)."""

    def __init__(self, queue: str):
        self.queue = queue

    def ids(self) -> list[str]:
        return [
            str(args[0])
            for name, args in queued_tasks(self.queue)
            if name == notifications.SEND_EMAIL_TASK
        ]

    def __iter__(self):
        return iter(self.ids())

    def __eq__(self, other) -> bool:
        return self.ids() == other

    __hash__ = None  # type: ignore[assignment]

    def clear(self) -> None:
        from config.celery import app

        purge_queue(app, self.queue)


@pytest.fixture
def queued(celery_queue) -> _QueuedEmails:
    return _QueuedEmails(celery_queue)


def test_the_sweep_queues_owed_email_after_commit_and_sends_none_itself(
    smtp, settings, referral, senior, senior2, queued, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_EMAIL_RESEND_SECONDS = 0
    request_and_approve(referral, senior, senior2)
    owed = {
        str(pk) for pk in Notification.objects.exclude(email_to="").values_list("pk", flat=True)
    }
    assert len(owed) == 4
    with django_capture_on_commit_callbacks() as callbacks:
        totals = _sweep()
        assert queued == []  # not before the commit
    assert totals["emails_owed"] == 4
    assert smtp.inbox.messages == []  # the sweep sent nothing itself
    for callback in callbacks:
        callback()
    assert set(queued) == owed


def test_a_mail_server_that_is_down_delays_and_loses_nothing(
    smtp, settings, referral, senior, senior2, queued, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_EMAIL_RESEND_SECONDS = 0
    smtp.stop()
    request_and_approve(referral, senior, senior2)
    notification = Notification.objects.get(kind="override_approved", organisation__code="haven")
    with pytest.raises(OSError):
        notifications.email_send(notification_id=notification.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert _sweep()["emails_owed"] == 4  # queued again for the worker
    for notification_id in queued:  # the worker's tasks, while the server is still down
        with pytest.raises(OSError):
            notifications.email_send(notification_id=notification_id)
    owed = Notification.objects.filter(emailed_at__isnull=True)
    assert owed.count() == 4
    assert sum(owed.values_list("email_attempts", flat=True)) == 5

    smtp.start()
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert _sweep()["emails_owed"] == 4
    assert all(notifications.email_send(notification_id=pk) for pk in queued)
    assert len(smtp.inbox.to("protocol@haven.example")) == 1
    assert not any(notifications.email_send(notification_id=pk) for pk in queued)  # once
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert _sweep()["emails_owed"] == 0  # nothing owed, nothing queued
    assert queued == []
    assert len(smtp.inbox.messages) == 4


def make_review_due(referral, officer) -> Hold:
    from cases.services import case_status_change

    case_status_change(
        case=referral.case,
        by=officer,
        changes={
            "investigation_status": "no_further_action",
            "closed_on": days_ago(200),
            "outcome_code": 16,
        },
    )
    SupportEngagement.objects.filter(victim=referral.victim).update(
        status="closed", started_on=days_ago(160), closed_on=days_ago(150)
    )
    services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")
    hold = Hold.objects.get(victim=referral.victim)
    assert hold.status == "review_due"
    return hold


def test_the_sweep_tells_of_a_review_due_once_per_hold_per_occasion(referral, officer, senior):
    hold = make_review_due(referral, officer)
    assert _sweep()["review_due"] == 1
    assert recipients("review_due") == {"ie", "northshire"}
    assert _sweep()["review_due"] == 0
    # Due again on another occasion (protection resumed, then lapsed again): told again.
    Hold.objects.filter(pk=hold.pk).update(status_since=timezone.now())
    assert _sweep()["review_due"] == 1
    assert Notification.objects.filter(kind="review_due").count() == 4


def test_review_due_notices_find_their_recipients_in_one_query_per_batch(
    referral, officer, support_org, ie_unit
):
    holds = [make_review_due(referral, officer)]
    for _ in range(2):
        more = make_referred(
            officer, support_org, case={"reported_on": days_ago(400), "referred_on": days_ago(399)}
        )
        holds.append(make_review_due(more, officer))
    with CaptureQueriesContext(connection) as queries:
        assert notifications.review_due_notices(limit=500) == 3
    organisation_reads = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and 'FROM "accounts_organisation"' in query["sql"]
    ]
    assert len(organisation_reads) == 1, organisation_reads
    for hold in holds:  # each hold's own force and IE, as API.md says
        assert set(
            Notification.objects.filter(hold=hold, kind="review_due").values_list(
                "organisation__code", flat=True
            )
        ) == {"ie", "northshire"}


def test_the_sweep_tells_the_support_organisation_of_no_contact_once(referral, officer, settings):
    engagement = SupportEngagement.objects.get(victim=referral.victim)
    SupportEngagement.objects.filter(pk=engagement.pk).update(
        started_on=days_ago(120), last_contact_on=days_ago(100)
    )
    assert _sweep()["no_contact"] == 1
    assert recipients("support_contact_overdue") == {"haven"}
    notice = Notification.objects.get(kind="support_contact_overdue")
    assert notice.references["victim"] == referral.victim.reference
    assert _sweep()["no_contact"] == 0
    # A contact recorded late, with a date long past: overdue at once. The incremental scans
    # look only at what became due since the last scan; the next full scan finds it.
    SupportEngagement.objects.filter(pk=engagement.pk).update(last_contact_on=days_ago(95))
    assert _sweep()["full_scan"] == 0
    settings.NOTIFICATION_FULL_SCAN_SECONDS = 0
    totals = _sweep()
    assert (totals["full_scan"], totals["no_contact"]) == (1, 1)
    SupportEngagement.objects.filter(pk=engagement.pk).update(last_contact_on=days_ago(10))
    assert _sweep()["no_contact"] == 0


def test_the_notification_scan_costs_a_few_statements_whatever_is_owed(referral, officer):
    for _ in range(5):
        make_referral(officer)
    with CaptureQueriesContext(connection) as queries:
        notifications.notification_scan(on=dt.date.today(), limit=500)
    assert len(queries) <= 3


def test_the_home_page_still_shows_the_latest_notifications(
    client, referral, senior, senior2, officer
):
    request_and_approve(referral, senior, senior2)
    client.force_login(officer)
    assert "was approved" in client.get("/").content.decode()


def test_organisations_without_a_contact_address_owe_no_email(referral, senior):
    bare = OrganisationFactory(kind="immigration_enforcement", code="ie2", name="IE Two")
    bare.contact_email = ""
    bare.save()
    hold = Hold.objects.get(victim=referral.victim)
    services.override_request(
        hold_reference=hold.reference,
        by=senior,
        category="serious_harm_risk",
        justification="Risk",
        expires_on=None,
    )
    assert Notification.objects.get(organisation=bare).email_to == ""


def test_a_notification_that_keeps_failing_does_not_crowd_newer_ones_out(
    settings, referral, senior, senior2, queued, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_EMAIL_RESEND_SECONDS = 0
    request_and_approve(referral, senior, senior2)
    owed = Notification.objects.exclude(email_to="").order_by("created_at", "id")
    failing, *others = list(owed)
    Notification.objects.filter(pk=failing.pk).update(email_attempts=40)  # a bad address
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.email_resend_owed(limit=1) == {"emails_owed": 1}
    assert queued.ids() != [str(failing.pk)] and len(queued.ids()) == 1
    assert queued.ids()[0] in {str(other.pk) for other in others}
