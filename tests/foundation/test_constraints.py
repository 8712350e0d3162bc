"""What must never be stored wrong is refused by PostgreSQL itself, not only by forms."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.audit import record_access
from cases.models import Case
from tests.factories import make_referral
from victims.models import Application, SupportEngagement
from victims.services import support_referral_create

pytestmark = pytest.mark.django_db


def _refused(update) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        update()


def test_database_refuses_unknown_enumeration_values(officer):
    referral = make_referral(officer)
    cases = Case.objects.filter(pk=referral.case.pk)
    _refused(lambda: cases.update(investigation_status="lost"))
    _refused(lambda: cases.update(prosecution_status="granted"))
    _refused(lambda: cases.update(crime_type="parking"))
    _refused(lambda: cases.update(outcome_code=23))
    _refused(lambda: cases.update(court="supreme"))


def test_database_refuses_dates_out_of_order(officer):
    referral = make_referral(officer)
    cases = Case.objects.filter(pk=referral.case.pk)
    reported = referral.case.reported_on
    _refused(lambda: cases.update(referred_on=reported - dt.timedelta(days=1)))
    _refused(lambda: cases.update(closed_on=reported - dt.timedelta(days=1)))
    _refused(lambda: cases.update(concluded_on=reported - dt.timedelta(days=1)))


def test_database_refuses_a_second_open_engagement_with_one_organisation(officer, support_org):
    referral = make_referral(officer)
    engagement = support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code="haven",
        consent_given_on=dt.date.today(),
    )
    duplicate = SupportEngagement(
        victim=referral.victim,
        organisation=support_org,
        status="engaged",
        started_on=engagement.started_on,
        consent=engagement.consent,
        referred_by=officer,
    )
    _refused(lambda: duplicate.save())
    # Once the first is closed, a new engagement may open.
    SupportEngagement.objects.filter(pk=engagement.pk).update(
        status="closed", closed_on=engagement.started_on
    )
    duplicate.save()


def test_database_refuses_an_application_status_from_another_route(officer, support_org, adviser):
    referral = make_referral(officer)
    application = Application(
        victim=referral.victim,
        organisation=support_org,
        recorded_by=adviser,
        route="nrm",
        status="granted",
        submitted_on=dt.date.today(),
    )
    _refused(lambda: application.save())
    application.status = "referred"
    application.save()


def test_access_log_refuses_update_and_delete(officer):
    event = record_access(user=officer, action="view", object_type="case", object_id="x")
    for statement in (
        "UPDATE accounts_accessevent SET outcome = 'denied' WHERE id = %s",
        "DELETE FROM accounts_accessevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])


def test_an_access_events_hmac_is_unique_without_a_like_index(officer):
    """The HMAC keeps its unique index (a replayed event is refused) and no longer has the LIKE
    index `unique=True` adds (accounts 0008): one index fewer for every event to write."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'accounts_accessevent' "
            "AND indexdef LIKE '%%(hmac%%'"
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert len(definitions) == 1, definitions
    assert definitions[0].startswith("CREATE UNIQUE INDEX")
    event = record_access(user=officer, action="view", object_type="victim", object_id="1")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_accessevent (at, actor_email, actor_roles, actor_organisation, "
            "action, object_type, object_id, outcome, request_id, detail, chain, prev_hmac, hmac) "
            "SELECT at, actor_email, actor_roles, actor_organisation, action, object_type, "
            "object_id, outcome, request_id, detail, chain, prev_hmac, hmac "
            "FROM accounts_accessevent WHERE id = %s",
            [event.pk],
        )
