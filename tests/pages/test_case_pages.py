"""The force's case list (search, filters, pagination) and the case page (hold, status change)."""

import pytest
from django.urls import reverse

from cases.models import Case, CaseStatusChange
from tests.factories import days_ago, make_referral
from victims.models import Victim
from victims.selectors import victims_matching

from .conftest import date_data, error_summary, text_of

pytestmark = pytest.mark.django_db


def test_the_list_shows_only_the_forces_cases_with_their_holds(
    referral, other_officer, officer, client_for
):
    make_referral(other_officer, victim={"given_names": "Ewa", "family_name": "Nowak"})
    response = client_for(officer).get(reverse("cases:list"))
    text = text_of(response)
    assert referral.case.reference in text and "Amina Diallo" in text and "Active" in text
    assert "Nowak" not in text
    assert "Showing 1 to 1 of 1 case" in text


def test_search_and_filters_narrow_the_list(officer, client_for):
    slavery = make_referral(
        officer,
        victim={"given_names": "Thi Lan", "family_name": "Nguyen"},
        case={"crime_type": "modern_slavery_or_trafficking", "investigation_status": "reported"},
    )
    abuse = make_referral(officer, victim={"given_names": "Fatima", "family_name": "Rahman"})
    client = client_for(officer)

    def listed(**params):
        text = text_of(client.get(reverse("cases:list"), params))
        return {r.case.reference for r in (slavery, abuse) if r.case.reference in text}

    assert listed() == {slavery.case.reference, abuse.case.reference}
    assert listed(q="nguyen") == {slavery.case.reference}
    assert listed(q=abuse.victim.reference) == {abuse.case.reference}
    assert listed(q=slavery.case.crime_reference) == {slavery.case.reference}
    assert listed(crime_type="modern_slavery_or_trafficking") == {slavery.case.reference}
    assert listed(investigation_status="under_investigation") == {abuse.case.reference}
    assert listed(hold_status="active") == {slavery.case.reference, abuse.case.reference}
    assert listed(hold_status="ended") == set()
    assert "No cases match your search" in text_of(
        client.get(reverse("cases:list"), {"q": "nobody"})
    )


def test_a_search_shorter_than_a_trigram_is_refused_with_its_reason(officer, client_for):
    referral = make_referral(officer, victim={"given_names": "Thi Lan", "family_name": "Ng"})
    client = client_for(officer)
    assert referral.case.reference in text_of(client.get(reverse("cases:list")))
    text = text_of(client.get(reverse("cases:list"), {"q": "ng"}))
    assert "Search for at least 3 characters of a name or reference" in text
    assert referral.case.reference not in text
    # The selector itself never matches part of a name on fewer than 3 characters.
    assert not victims_matching(Victim.objects.all(), "ng").exists()
    assert victims_matching(Victim.objects.all(), "thi lan ng").exists()


def test_the_list_is_paginated_and_keeps_the_filters(
    officer, client_for, django_assert_max_num_queries
):
    for number in range(27):
        make_referral(officer, victim={"given_names": f"Person{number}", "family_name": "Test"})
    client = client_for(officer)
    with django_assert_max_num_queries(20):
        first = client.get(reverse("cases:list"), {"crime_type": "domestic_abuse"})
    html = first.content.decode()
    assert "Showing 1 to 25 of 27 cases" in text_of(first)
    assert 'class="govuk-pagination"' in html
    assert "crime_type=domestic_abuse&amp;page=2" in html
    second = client.get(reverse("cases:list"), {"crime_type": "domestic_abuse", "page": 2})
    assert "Showing 26 to 27 of 27 cases" in text_of(second)


def test_the_case_page_shows_the_hold_in_plain_words(referral, officer, client_for):
    text = text_of(client_for(officer).get(reverse("cases:detail", args=[referral.case.pk])))
    assert referral.hold.reference in text
    assert "Active" in text
    assert "A police investigation is ongoing" in text
    assert "No end date: it lasts while the grounds below last" in text
    assert "Assault at home by partner." in text  # police see the narrative


def test_a_status_change_is_recorded_with_one_service_call(referral, officer, client_for):
    client = client_for(officer)
    url = reverse("cases:detail", args=[referral.case.pk])
    response = client.post(
        url,
        {
            "investigation_status": "charged",
            "outcome_code": "1",
            "prosecution_status": "awaiting_trial",
            "court": "crown",
            "note": "Charged today",
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    case = Case.objects.get(pk=referral.case.pk)
    assert (case.investigation_status, case.prosecution_status, case.outcome_code) == (
        "charged",
        "awaiting_trial",
        1,
    )
    change = CaseStatusChange.objects.get()
    assert change.note == "Charged today"
    page = text_of(client.get(url))
    assert "Status change recorded" in page
    assert "Investigation: Under investigation to Charged" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"investigation_status": "no_further_action", "prosecution_status": "none"},
            "closed_on",
            "Give the date the investigation was closed with no further action.",
        ),
        (
            {
                "investigation_status": "under_investigation",
                "prosecution_status": "none",
                **date_data("closed_on", days_ago(400)),
            },
            "closed_on",
            "This date is before the date the crime was reported",
        ),
        (
            {
                "investigation_status": "charged",
                "prosecution_status": "sentenced",
                **date_data("concluded_on", days_ago(1)),
            },
            "court",
            "Give the court that sentenced (magistrates or crown): it sets the appeal window.",
        ),
        (
            {
                "investigation_status": "under_investigation",
                "prosecution_status": "none",
                "closed_on_day": "40",
                "closed_on_month": "1",
                "closed_on_year": "2026",
            },
            "closed_on",
            "Date the investigation was closed must be a real date",
        ),
        (
            {"investigation_status": "under_investigation", "prosecution_status": "none"},
            None,
            "Nothing changed: the case already says this.",
        ),
        (
            {"investigation_status": "", "prosecution_status": "none"},
            "investigation_status",
            "Select the investigation status",
        ),
    ],
)
def test_an_invalid_status_change_says_how_to_fix_it_and_writes_nothing(
    referral, officer, client_for, data, field, message
):
    response = client_for(officer).post(reverse("cases:detail", args=[referral.case.pk]), data)
    assert response.status_code == 200
    summary = error_summary(response)
    assert any(item.startswith(message) for item in summary), summary
    if field:
        assert f'href="#id_{field}' in response.content.decode()
    assert CaseStatusChange.objects.count() == 0
    case = Case.objects.get(pk=referral.case.pk)
    assert case.investigation_status == "under_investigation"
