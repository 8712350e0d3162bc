"""Support advisers' pages (their victims, contact, engagement, applications), the police
referral to a support organisation, and the victim's printable record."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent
from protocol import services as hold_services
from tests.factories import days_ago, make_referral
from victims.models import Application, Disclosure, SupportEngagement, SupportUpdate
from victims.services import application_create, support_referral_create

from .conftest import date_data, error_summary, text_of

pytestmark = pytest.mark.django_db


def _refer(referral, officer, organisation):
    support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=organisation.code,
        consent_given_on=timezone.localdate(),
    )


def test_the_advisers_list_shows_hold_status_and_what_needs_doing(
    officer, adviser, support_org, client_for
):
    overdue = make_referral(officer, victim={"given_names": "Irina", "family_name": "Popescu"})
    _refer(overdue, officer, support_org)
    SupportEngagement.objects.filter(victim=overdue.victim).update(started_on=days_ago(120))
    hold_services.hold_reevaluate(victim_id=overdue.victim.pk)
    refused = make_referral(officer, victim={"given_names": "Leila", "family_name": "Karimi"})
    _refer(refused, officer, support_org)
    application_create(
        victim=refused.victim,
        by=adviser,
        route="asylum",
        status="refused",
        submitted_on=days_ago(60),
        decided_on=days_ago(5),
    )
    calm = make_referral(officer, victim={"given_names": "Hana", "family_name": "Tesfaye"})
    _refer(calm, officer, support_org)
    client = client_for(adviser)

    text = text_of(client.get(reverse("victims:list")))
    assert "Showing 1 to 3 of 3 victims" in text
    assert "Contact overdue: record your contact" in text
    assert "Challenge window closes" in text and "(9 days)" in text
    assert "Active" in text

    needs = text_of(client.get(reverse("victims:list"), {"needs": "any"}))
    assert "Popescu" in needs and "Karimi" in needs and "Tesfaye" not in needs
    overdue_only = text_of(client.get(reverse("victims:list"), {"needs": "contact_overdue"}))
    assert "Popescu" in overdue_only and "Karimi" not in overdue_only
    window_only = text_of(client.get(reverse("victims:list"), {"needs": "challenge_window"}))
    assert "Karimi" in window_only and "Popescu" not in window_only
    assert "Tesfaye" in text_of(client.get(reverse("victims:list"), {"q": "tesfaye"}))


def test_an_adviser_never_sees_the_crime_narrative(referred_to_haven, adviser, client_for):
    response = client_for(adviser).get(
        reverse("victims:detail", args=[referred_to_haven.victim.pk])
    )
    text = text_of(response)
    assert "Amina Diallo" in text and "Domestic abuse" in text and "Active" in text
    assert "Assault at home by partner" not in response.content.decode()
    assert "What happened" not in text


def test_an_adviser_records_contact_and_engagement_status(referred_to_haven, adviser, client_for):
    client = client_for(adviser)
    url = reverse("victims:detail", args=[referred_to_haven.victim.pk])
    response = client.post(
        url, {"status": "engaged", **date_data("contact_on", timezone.localdate()), "note": "Met"}
    )
    assert response.status_code == 302
    engagement = SupportEngagement.objects.get()
    assert (engagement.status, engagement.last_contact_on) == ("engaged", timezone.localdate())
    assert SupportUpdate.objects.get().note == "Met"
    assert "Support update recorded" in text_of(client.get(url))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "closed"}, "Give the date the engagement ended."),
        ({}, "Select the engagement status"),
        (
            {"status": "engaged", **date_data("contact_on", days_ago(3))},
            "This date is before the referral",
        ),
        (
            {
                "status": "engaged",
                "contact_on_day": "1",
                "contact_on_month": "13",
                "contact_on_year": "2026",
            },
            "Date of contact must be a real date",
        ),
    ],
)
def test_an_invalid_support_update_says_how_to_fix_it_and_writes_nothing(
    referred_to_haven, adviser, client_for, data, message
):
    response = client_for(adviser).post(
        reverse("victims:detail", args=[referred_to_haven.victim.pk]), data
    )
    assert response.status_code == 200
    assert any(item.startswith(message) for item in error_summary(response)), error_summary(
        response
    )
    assert SupportUpdate.objects.count() == 0
    assert SupportEngagement.objects.get().status == "referred"


def test_police_cannot_post_a_support_update(referred_to_haven, officer, client_for):
    # A complete, valid update: only the role can be why it is not recorded.
    response = client_for(officer).post(
        reverse("victims:detail", args=[referred_to_haven.victim.pk]),
        {"status": "closed", **date_data("closed_on", days_ago(0))},
    )
    # Refused as the API refuses it: a 403, recorded as a denied change, nothing written.
    assert response.status_code == 403
    event = AccessEvent.objects.order_by("-id").first()
    assert (event.action, event.object_type, event.object_id, event.outcome) == (
        "change",
        "victim",
        str(referred_to_haven.victim.pk),
        "denied",
    )
    assert SupportUpdate.objects.count() == 0
    assert SupportEngagement.objects.get().status == "referred"


def test_an_adviser_records_and_changes_an_application(referred_to_haven, adviser, client_for):
    client = client_for(adviser)
    victim = referred_to_haven.victim
    response = client.post(
        reverse("victims:application_new", args=[victim.pk]),
        {"route": "mvdac", "status": "submitted", **date_data("submitted_on", days_ago(2))},
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.route, application.status) == ("mvdac", "submitted")
    change_url = reverse("victims:application_change", args=[application.pk])
    page = client.get(change_url).content.decode()
    assert "Migrant Victims of Domestic Abuse Concession" in page
    assert 'value="rg_positive"' not in page  # only this route's statuses
    response = client.post(
        change_url,
        {
            "status": "granted",
            **date_data("decided_on", days_ago(1)),
            **date_data("leave_expires_on", days_ago(-90)),
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.leave_expires_on) == ("granted", days_ago(-90))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"route": "nrm", "status": "granted", **date_data("submitted_on", days_ago(2))},
            "For a National Referral Mechanism referral, choose a status",
        ),
        (
            {"route": "asylum", "status": "refused", **date_data("submitted_on", days_ago(2))},
            "Give the date of the decision.",
        ),
        (
            {
                "route": "asylum",
                "status": "refused",
                **date_data("submitted_on", days_ago(2)),
                **date_data("decided_on", days_ago(9)),
            },
            "This date is before submission",
        ),
        ({"route": "asylum", "status": "submitted"}, "Enter the date the application"),
        (
            {
                "route": "asylum",
                "status": "submitted",
                **date_data("submitted_on", days_ago(-2)),
            },
            "Date submitted must be today or in the past",
        ),
    ],
)
def test_an_invalid_application_says_how_to_fix_it_and_writes_nothing(
    referred_to_haven, adviser, client_for, data, message
):
    response = client_for(adviser).post(
        reverse("victims:application_new", args=[referred_to_haven.victim.pk]), data
    )
    assert response.status_code == 200
    assert any(item.startswith(message) for item in error_summary(response)), error_summary(
        response
    )
    assert Application.objects.count() == 0


def test_police_refer_a_victim_to_a_support_organisation(
    referral, officer, support_org, client_for
):
    client = client_for(officer)
    url = reverse("victims:support_referral", args=[referral.victim.pk])
    assert "Haven Migrant Support" in text_of(client.get(url))
    response = client.post(
        url, {"organisation": support_org.code, **date_data("consent_given_on", days_ago(0))}
    )
    assert response.status_code == 302
    assert SupportEngagement.objects.get().organisation == support_org
    assert Disclosure.objects.get().organisation == support_org
    # A second referral to the same organisation is refused, and says why.
    again = client.post(
        url, {"organisation": support_org.code, **date_data("consent_given_on", days_ago(0))}
    )
    assert error_summary(again) == ["The victim is already referred to Haven Migrant Support."]
    assert SupportEngagement.objects.count() == 1


def test_a_support_referral_without_consent_writes_nothing(
    referral, officer, support_org, client_for
):
    response = client_for(officer).post(
        reverse("victims:support_referral", args=[referral.victim.pk]),
        {"organisation": support_org.code},
    )
    assert error_summary(response) == [
        "Enter the date the victim agreed to the referral. You can only refer them if they agree."
    ]
    assert SupportEngagement.objects.count() == Disclosure.objects.count() == 0


def test_the_victims_record_lists_the_hold_and_every_disclosure_in_plain_words(
    referred_to_haven, officer, client_for, caseworker
):
    from protocol.services import hold_check

    hold_check(user=caseworker, home_office_reference="B1234567")
    response = client_for(officer).get(
        reverse("victims:record", args=[referred_to_haven.victim.pk])
    )
    text = text_of(response)
    html = response.content.decode()
    assert '<html lang="en" dir="ltr"' in html
    assert "Your protection from immigration enforcement" in text
    assert "Your hold is in force." in text
    assert "The police are investigating the crime." in text
    assert "Haven Migrant Support" in text
    assert "You agreed to be referred to them for independent support and advice." in text
    assert "They were told only that a hold is in force" in text
    assert "IE Protocol Unit" in text
    assert "Your name and date of birth; your nationality" in text
    assert "how to contact you safely" in text
    assert "data-casework-print hidden" in html  # shown by JavaScript only
    assert "Assault at home" not in html


def test_the_victims_record_is_in_the_language_asked_for(referral, officer, client_for):
    """`?language=uk`: the root element says Ukrainian, the sentences and the dates are
    Ukrainian, and the notice the victim was given is shown in the language it was given in."""
    from django.utils import formats, translation

    response = client_for(officer).get(
        reverse("victims:record", args=[referral.victim.pk]), {"language": "uk"}
    )
    with translation.override("uk"):
        ukrainian_today = formats.date_format(timezone.localdate(), "j F Y")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="uk" dir="ltr"' in html
    assert ukrainian_today in text_of(response)
    assert "Ваш захист від імміграційних заходів" in html
    # The factory's notice was given in Albanian: its words, marked as Albanian.
    assert '<div class="casework-notice-text" lang="sq" dir="ltr">' in html
    assert "Kush e mban informacionin tuaj." in html


def test_the_advisers_list_makes_a_fixed_number_of_queries(
    officer, adviser, support_org, client_for, django_assert_max_num_queries
):
    for number in range(12):
        referral = make_referral(officer, victim={"given_names": f"Person{number}"})
        _refer(referral, officer, support_org)
    client = client_for(adviser)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("victims:list"))
    assert "Showing 1 to 12 of 12 victims" in text_of(response)
