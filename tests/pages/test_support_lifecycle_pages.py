"""The support referral's life in the browser: the adviser's work list shows new referrals
first, with accept and decline pages; police and advisers record a withdrawal of consent; the
adviser's application page shows its history; an orphaned application can be taken over."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.triggers import Trigger
from protocol.models import Notification
from tests.factories import UserFactory, days_ago
from victims.models import Application, SupportEngagement
from victims.services import application_create, support_referral_create

from .conftest import date_data, error_summary, text_of

pytestmark = pytest.mark.django_db


def _referral(victim, organisation) -> SupportEngagement:
    return SupportEngagement.objects.get(victim=victim, organisation=organisation)


def test_new_referrals_come_first_and_can_be_accepted(
    referred_to_haven, adviser, support_org, force, client_for
):
    client = client_for(adviser)
    listing = text_of(client.get(reverse("victims:list")))
    assert "1 new referral to accept or decline" in listing
    assert referred_to_haven.victim.reference in listing
    referral = _referral(referred_to_haven.victim, support_org)
    page = client.get(reverse("victims:referral_accept", args=[referral.pk]))
    assert "Accept this support referral" in text_of(page)
    response = client.post(reverse("victims:referral_accept", args=[referral.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("victims:detail", args=[referred_to_haven.victim.pk])
    referral.refresh_from_db()
    assert referral.referral_status == "accepted"
    assert Notification.objects.filter(organisation=force, kind="support_referral_accepted")
    assert "new referral" not in text_of(client.get(reverse("victims:list")))
    # Deciding again changes nothing and says why.
    again = client.post(
        reverse("victims:referral_decline", args=[referral.pk]), {"reason": "Changed mind"}
    )
    assert again.status_code == 200
    assert "already been accepted" in " ".join(error_summary(again))
    referral.refresh_from_db()
    assert referral.referral_status == "accepted" and referral.is_open


def test_a_decline_needs_a_reason_and_the_force_sees_it(
    referred_to_haven, adviser, officer, support_org, client_for
):
    client = client_for(adviser)
    referral = _referral(referred_to_haven.victim, support_org)
    url = reverse("victims:referral_decline", args=[referral.pk])
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200
    assert error_summary(empty) == ["Enter why your organisation is declining the referral"]
    response = client.post(url, {"reason": "No capacity this month"})
    assert response.status_code == 302 and response["Location"] == reverse("victims:referrals")
    referral.refresh_from_db()
    assert (referral.referral_status, referral.status) == ("declined", "closed")
    police = text_of(client_for(officer).get(reverse("victims:referrals")))
    assert "Declined" in police and "No capacity this month" in police
    assert client.get(reverse("victims:detail", args=[referral.victim_id])).status_code == 404


def test_police_record_a_withdrawal_of_consent_on_the_page(
    referred_to_haven, officer, adviser, support_org, client_for
):
    client = client_for(officer)
    victim = referred_to_haven.victim
    url = reverse("victims:consent_withdrawal", args=[victim.pk])
    assert "Haven Migrant Support" in text_of(client.get(url))
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = client.post(url, {"organisation": "haven", **date_data("withdrawn_on", tomorrow)})
    assert future.status_code == 200
    assert any("today or in the past" in message for message in error_summary(future))
    before = client.post(url, {"organisation": "haven", **date_data("withdrawn_on", days_ago(3))})
    assert before.status_code == 200
    started = _referral(victim, support_org).started_on
    expected = f"before the referral ({started.day} {started:%B %Y})"
    assert any(expected in message for message in error_summary(before)), error_summary(before)
    done = client.post(
        url, {"organisation": "haven", **date_data("withdrawn_on", timezone.localdate())}
    )
    assert done.status_code == 302
    page = text_of(client.get(reverse("victims:detail", args=[victim.pk])))
    assert "Consent withdrawn" in page
    record = text_of(client.get(reverse("victims:record", args=[victim.pk])))
    assert "you withdrew your consent on" in record
    assert client_for(adviser).get(reverse("victims:detail", args=[victim.pk])).status_code == 404
    # Nothing left to withdraw: the page says so.
    assert "no referral whose consent" in text_of(client.get(url))


def test_the_application_page_shows_its_history_and_another_organisation_may_take_it_over(
    referred_to_haven, officer, adviser, support_org, other_support_org, client_for
):
    victim = referred_to_haven.victim
    application = application_create(
        victim=victim, by=adviser, route="asylum", status="submitted", submitted_on=days_ago(2)
    )
    client = client_for(adviser)
    change = reverse("victims:application_change", args=[application.pk])
    client.post(change, {"status": "refused", **date_data("decided_on", days_ago(1))})
    history = text_of(client.get(change))
    assert "History of this application" in history
    assert "Status: Submitted to Refused" in history and adviser.email in history
    support_referral_create(
        victim=victim,
        by=officer,
        organisation_code=other_support_org.code,
        consent_given_on=timezone.localdate(),
    )
    other_adviser = UserFactory(role="support_adviser", organisation=other_support_org)
    other = client_for(other_adviser)
    assert other.get(change).status_code == 404
    take = reverse("victims:application_take_over", args=[application.pk])
    assert "Take over" not in text_of(other.get(reverse("victims:detail", args=[victim.pk])))
    client.post(
        reverse("victims:detail", args=[victim.pk]),
        {"status": "closed", **date_data("closed_on", timezone.localdate())},
    )
    assert "Take over" in text_of(other.get(reverse("victims:detail", args=[victim.pk])))
    response = other.post(take)
    assert response.status_code == 302 and response["Location"] == change
    assert Application.objects.get(pk=application.pk).organisation == other_support_org
    assert "Organisation: Haven to Harbour" in text_of(other.get(change))


# --- Page fixes of issue 11 ---------------------------------------------------------------------


def test_the_status_form_reveals_the_closing_date_under_no_further_action(
    referral, officer, client_for
):
    html = (
        client_for(officer).get(reverse("cases:detail", args=[referral.case.pk])).content.decode()
    )
    radio = html.index('value="no_further_action"')
    assert 'data-aria-controls="conditional-id_investigation_status_' in html[radio : radio + 200]
    reveal = html.index('class="govuk-radios__conditional govuk-radios__conditional--hidden"')
    assert html.index('name="closed_on_day"') > reveal  # nested in the reveal


def test_the_banner_after_a_status_change_says_what_happened(referral, officer, client_for):
    from cases.views import status_change_message
    from protocol.services import hold_reevaluate
    from victims.services import facts_changed

    facts_changed(victim_id=referral.victim.pk, trigger=Trigger.CASE_STATUS)
    assert "still being worked out" in status_change_message(referral.victim.pk)
    hold_reevaluate(victim_id=referral.victim.pk)
    assert "it is now active" in status_change_message(referral.victim.pk)


def test_a_too_long_family_name_gets_one_message_naming_it(caseworker, client_for):
    response = client_for(caseworker).post(
        reverse("hold_check"),
        {
            "family_name": "x" * 10_000,
            "given_names": "Amina",
            **date_data("date_of_birth", dt.date(1990, 5, 17)),
        },
    )
    assert error_summary(response) == ["Family name must be 200 characters or fewer"]


def test_a_hold_page_has_a_back_link_to_the_review_queue(review_due_hold, senior, client_for):
    html = (
        client_for(senior)
        .get(reverse("hold_detail", args=[review_due_hold.reference]))
        .content.decode()
    )
    assert f'href="{reverse("review_queue")}" class="govuk-back-link"' in html


def test_a_contact_date_before_the_referral_says_the_date_as_the_page_shows_dates(
    referred_to_haven, adviser, client_for
):
    started = timezone.localdate()
    response = client_for(adviser).post(
        reverse("victims:detail", args=[referred_to_haven.victim.pk]),
        {"status": "engaged", **date_data("contact_on", days_ago(3))},
    )
    expected = f"This date is before the referral ({started.day} {started:%B %Y})."
    assert error_summary(response) == [expected]
