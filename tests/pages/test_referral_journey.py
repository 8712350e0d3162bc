"""Log a referral: one question per page, answers kept in the session, nothing written until the
check-your-answers page is submitted; then one call to `referral_create`."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from protocol.models import Hold
from victims.models import DataSharingNotice, Dependant, Victim

from .conftest import date_data, error_summary, text_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
# The day the answers were written (at import): a run that crosses midnight still posts it.
ANSWERED_ON = TODAY()

ANSWERS = {
    "victim-name": {"given_names": "Grace", "family_name": "Okafor"},
    "victim-date-of-birth": date_data("date_of_birth", dt.date(1988, 3, 27)),
    "victim-nationality": {"nationality": "nga"},
    "victim-home-office-reference": {"home_office_reference": "G1234567"},
    "victim-language": {"preferred_language": "en", "interpreter_needed": "no"},
    "victim-contact": {"contact": "Call the refuge first", "address": ""},
    "crime-reference": {"crime_reference": "NS/2026/0042"},
    "crime-type": {"crime_type": "domestic_abuse"},
    "case-role": {"role": "victim"},
    "crime-reported": date_data("reported_on", ANSWERED_ON - dt.timedelta(days=3)),
    "investigation-status": {"investigation_status": "under_investigation"},
    "narrative": {"narrative": "Assaulted by partner at home."},
    "notice": {"version": "2026-01", "language": "en", **date_data("given_on", ANSWERED_ON)},
}


def step(slug):
    return reverse("cases:referral_step", args=[slug])


def start(client, **data):
    response = client.post(reverse("cases:referral_start"), data)
    assert response.status_code == 302
    return response


def walk(client, answers=ANSWERS, dependants=()):
    """Answer every page in order, following the redirects the pages give."""
    start(client)
    url = step("victim-name")
    for slug, data in answers.items():
        if slug == "crime-reference":
            assert url == step("dependants"), url
            for dependant in dependants:
                response = client.post(url, {"add_dependant": "yes"})
                assert response["Location"] == reverse("cases:referral_dependant")
                response = client.post(reverse("cases:referral_dependant"), dependant)
                assert response["Location"] == url
            response = client.post(url, {"add_dependant": "no"})
            url = response["Location"]
        assert url == step(slug), (url, slug)
        response = client.post(url, data)
        assert response.status_code == 302, error_summary(response)
        url = response["Location"]
    assert url == reverse("cases:referral_check")
    return url


def test_the_whole_journey_writes_nothing_until_the_referral_is_logged(officer, client_for):
    client = client_for(officer)
    check = walk(
        client,
        dependants=[
            {
                "given_names": "Joy",
                "family_name": "Okafor",
                **date_data("date_of_birth", dt.date(2016, 1, 9)),
            }
        ],
    )
    page = client.get(check)
    assert page.status_code == 200
    text = text_of(page)
    for expected in (
        "Grace Okafor",
        "27 March 1988",
        "Nigeria",  # the country's name, not its code
        "G1234567",
        "English",
        "Joy Okafor, born 9 January 2016",
        "NS/2026/0042",
        "Domestic abuse",
        "Under investigation",
        "2026-01",
    ):
        assert expected in text, expected
    assert Victim.objects.count() == Case.objects.count() == 0

    response = client.post(check)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:referral_done", args=[case.pk])
    victim = case.victim
    assert (victim.given_names, victim.nationality, victim.interpreter_needed) == (
        "Grace",
        "NGA",
        False,
    )
    assert Dependant.objects.get().given_names == "Joy"
    notice = DataSharingNotice.objects.get()
    assert (notice.version, notice.language, notice.given_on) == ("2026-01", "en", ANSWERED_ON)
    assert Hold.objects.get(victim=victim).in_force
    done = client.get(response["Location"])
    assert "Referral logged" in text_of(done) and case.reference in text_of(done)
    # The draft is gone: the journey starts again from the start page.
    assert client.get(step("victim-name"))["Location"] == reverse("cases:referral_start")


@pytest.mark.parametrize(
    ("slug", "data", "message"),
    [
        ("victim-name", {"given_names": "", "family_name": ""}, "Enter the victim's given names"),
        ("victim-date-of-birth", {}, "Enter the victim's date of birth"),
        (
            "victim-date-of-birth",
            {"date_of_birth_day": "31", "date_of_birth_month": "2", "date_of_birth_year": "1990"},
            "Date of birth must be a real date",
        ),
        (
            "victim-date-of-birth",
            {"date_of_birth_day": "3", "date_of_birth_month": "", "date_of_birth_year": "1990"},
            "Date of birth must include a month",
        ),
        (
            "victim-date-of-birth",
            {"date_of_birth_day": "3", "date_of_birth_month": "4", "date_of_birth_year": "90"},
            "Year must include 4 numbers",
        ),
        (
            "victim-date-of-birth",
            # Two days ahead at import: still in the future if the run crosses midnight.
            date_data("date_of_birth", ANSWERED_ON + dt.timedelta(days=2)),
            "Date of birth must be today or in the past",
        ),
        (
            "victim-nationality",
            {"nationality": "Senegal"},
            "Enter the nationality as a 3-letter country code, like SEN or UKR",
        ),
        (
            "victim-language",
            {"preferred_language": ""},
            "Choose the language the victim prefers",
        ),
        ("crime-type", {}, "Select the type of crime"),
        ("notice", {"version": "", "language": "fr"}, "Enter the version printed on the notice"),
    ],
)
def test_each_page_says_how_to_fix_what_is_wrong(officer, client_for, slug, data, message):
    client = client_for(officer)
    start(client)
    response = client.post(step(slug), data)
    assert response.status_code == 200
    assert any(item.startswith(message) for item in error_summary(response)), error_summary(
        response
    )
    html = response.content.decode()
    assert "govuk-form-group--error" in html
    assert "<title>Error: " in html
    assert Victim.objects.count() == 0


def test_error_summary_links_go_to_the_field_to_fix(officer, client_for):
    client = client_for(officer)
    start(client)
    response = client.post(
        step("victim-date-of-birth"),
        {"date_of_birth_day": "3", "date_of_birth_month": "", "date_of_birth_year": "1990"},
    )
    html = response.content.decode()
    assert 'href="#id_date_of_birth_month"' in html
    assert 'id="id_date_of_birth_month"' in html


def test_answers_are_kept_when_going_back(officer, client_for):
    client = client_for(officer)
    start(client)
    client.post(step("victim-name"), ANSWERS["victim-name"])
    page = client.get(step("victim-name")).content.decode()
    assert 'value="Grace"' in page and 'value="Okafor"' in page


def test_check_answers_sends_you_to_a_page_you_have_not_answered(officer, client_for):
    client = client_for(officer)
    start(client)
    client.post(step("victim-name"), ANSWERS["victim-name"])
    response = client.get(reverse("cases:referral_check"))
    assert response["Location"] == step("victim-date-of-birth")


def test_change_links_return_to_check_answers(officer, client_for):
    client = client_for(officer)
    check = walk(client)
    client.get(check)
    response = client.post(step("crime-type"), {"crime_type": "modern_slavery_or_trafficking"})
    assert response["Location"] == check
    assert "Modern slavery or trafficking" in text_of(client.get(check))


def test_a_dependant_can_be_removed(officer, client_for):
    client = client_for(officer)
    walk(
        client,
        dependants=[
            {
                "given_names": "Joy",
                "family_name": "Okafor",
                **date_data("date_of_birth", dt.date(2016, 1, 9)),
            }
        ],
    )
    response = client.post(reverse("cases:referral_dependant_remove", args=[0]))
    assert response["Location"] == step("dependants")
    assert "Joy Okafor was removed" in text_of(client.get(step("dependants")))
    client.post(step("dependants"), {"add_dependant": "no"})
    client.post(reverse("cases:referral_check"))
    assert Dependant.objects.count() == 0 and Case.objects.count() == 1


def test_a_refusal_by_the_service_is_shown_on_check_answers_and_writes_nothing(
    officer, referral, client_for
):
    """Another case for a known victim, with a crime reference the force already used."""
    client = client_for(officer)
    start(client, victim=str(referral.victim.pk))
    url = step("crime-reference")
    answers = {slug: data for slug, data in ANSWERS.items() if not slug.startswith("victim-")} | {
        "crime-reference": {"crime_reference": referral.case.crime_reference}
    }
    for slug, data in answers.items():
        response = client.post(step(slug), data)
        assert response.status_code == 302, (slug, error_summary(response))
    assert url  # the journey skipped every victim page
    cases_before = Case.objects.count()
    response = client.post(reverse("cases:referral_check"))
    assert response.status_code == 200
    assert error_summary(response) == [
        "Crime reference: Your force already referred this victim for this crime."
    ]
    assert f'href="{step("crime-reference")}"' in response.content.decode()
    assert Case.objects.count() == cases_before
    # Fix it and log: a second case for the same victim.
    client.post(step("crime-reference"), {"crime_reference": "NS/2026/0099"})
    response = client.post(reverse("cases:referral_check"))
    assert response.status_code == 302
    assert Case.objects.filter(victim=referral.victim).count() == 2
    assert Victim.objects.count() == 1


def test_known_victim_journey_skips_the_victim_questions(officer, referral, client_for):
    client = client_for(officer)
    response = start(client, victim=str(referral.victim.pk))
    assert response["Location"] == step("crime-reference")
    assert client.get(step("victim-name")).status_code == 404
    page = text_of(client.get(step("crime-reference")))
    assert "Log a referral for Amina Diallo" in page


def test_start_page_offers_to_continue_a_draft(officer, client_for):
    client = client_for(officer)
    assert "Start now" in text_of(client.get(reverse("cases:referral_start")))
    start(client)
    client.post(step("victim-name"), ANSWERS["victim-name"])
    page = text_of(client.get(reverse("cases:referral_start")))
    assert "Continue that referral" in page and "Start again" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"version": "1999-01", "language": "en"},
            "Enter the version of a notice this service holds",
        ),
        (
            {"version": "2026-01", "language": "fr"},
            "This version of the notice is not held in this",
        ),
    ],
)
def test_the_notice_named_must_be_one_the_service_holds(officer, client_for, data, message):
    client = client_for(officer)
    start(client)
    response = client.post(step("notice"), {**data, **date_data("given_on", ANSWERED_ON)})
    assert response.status_code == 200
    assert any(item.startswith(message) for item in error_summary(response)), error_summary(
        response
    )
