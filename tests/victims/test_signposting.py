"""Signposting through the API and the page: the routes for this person's facts in the
language asked for, recorded as given (when, in which language, by whom) on the victim's page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent
from tests.factories import days_ago, make_referral
from victims.models import SignpostingGiven

from ..pages.conftest import date_data, text_of


@pytest.fixture
def victim(officer):
    """Amina Diallo (Senegalese), a victim of domestic abuse, with a child."""
    return make_referral(
        officer,
        dependants=[
            {"given_names": "Awa", "family_name": "Diallo", "date_of_birth": dt.date(2019, 2, 3)}
        ],
    ).victim


def test_the_routes_for_the_persons_facts(api, officer, victim):
    response = api(officer).get(f"/api/v1/victims/{victim.pk}/signposting")
    assert response.status_code == 200
    body = response.json()
    assert [route["code"] for route in body["routes"]] == [
        "family_or_private_life",
        "mvdac",
        "victim_of_domestic_abuse",
        "asylum",
    ]
    assert body["routes"][1]["title"] == "Migrant Victims of Domestic Abuse Concession"
    assert body["routes"][1]["because"] == "crime type domestic_abuse"
    assert [right["number"] for right in body["rights"]] == [1, 4, 6, 12]
    assert "regulated, independent immigration adviser" in body["next_step"]
    assert "never gives immigration advice" in body["next_step"]
    assert body["language"] == "en" and body["given"] == []


def test_the_words_in_the_language_asked_for(api, officer, victim):
    body = api(officer).get(f"/api/v1/victims/{victim.pk}/signposting?language=uk").json()
    assert body["language"] == "uk"
    assert body["routes"][0]["title"] == "Сімейне або приватне життя"
    assert body["rights"][0]["text"].startswith("Право 1")


@pytest.mark.parametrize("language", ["xx", "english", "", "fr"])
def test_a_language_not_spoken_is_a_400_naming_the_field(api, officer, victim, language):
    response = api(officer).get(f"/api/v1/victims/{victim.pk}/signposting", {"language": language})
    assert response.status_code == 400
    assert "language" in response.json()


def test_recording_that_it_was_given(api, officer, victim):
    response = api(officer).post(
        f"/api/v1/victims/{victim.pk}/signposting",
        {"given_on": days_ago(1).isoformat(), "language": "ar"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    given = SignpostingGiven.objects.get(victim=victim)
    assert (given.given_on, given.language, given.given_by) == (days_ago(1), "ar", officer)
    assert given.routes == ["family_or_private_life", "mvdac", "victim_of_domestic_abuse", "asylum"]
    assert AccessEvent.objects.filter(
        actor=officer, object_id=str(victim.pk), action="create", outcome="allowed"
    ).exists()
    listed = api(officer).get(f"/api/v1/victims/{victim.pk}/signposting").json()["given"]
    assert [(g["given_on"], g["language"], g["given_by"]) for g in listed] == [
        (days_ago(1).isoformat(), "ar", officer.email)
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"given_on": "2999-01-01", "language": "ar"}, "given_on"),
        ({"given_on": "2026-01-01", "language": "zz"}, "language"),
        ({"language": "ar"}, "given_on"),
        ({"given_on": "2026-01-01"}, "language"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, officer, victim, body, field):
    response = api(officer).post(f"/api/v1/victims/{victim.pk}/signposting", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SignpostingGiven.objects.exists()


def test_another_forces_victim_is_a_404(api, other_officer, victim):
    assert api(other_officer).get(f"/api/v1/victims/{victim.pk}/signposting").status_code == 404
    response = api(other_officer).post(
        f"/api/v1/victims/{victim.pk}/signposting",
        {"given_on": days_ago(1).isoformat(), "language": "en"},
        format="json",
    )
    assert response.status_code == 404
    assert not SignpostingGiven.objects.exists()


def test_the_page_shows_the_routes_and_records_it_was_given(client, officer, victim):
    client.force_login(officer)
    url = reverse("victims:signposting", args=[victim.pk])
    text = text_of(client.get(url))
    assert "Migrant Victims of Domestic Abuse Concession" in text
    assert "Right 12: to complain if you do not get these rights." in text
    welsh = text_of(client.get(url, {"language": "cy"}))
    assert "Consesiwn Dioddefwyr Cam-drin Domestig sy'n Fudwyr" in welsh
    today = timezone.localdate()
    response = client.post(
        url,
        {
            "language": "vi",
            **date_data("given_on", today),
        },
    )
    assert response.status_code == 302, text_of(response)
    assert response["Location"] == reverse("victims:detail", args=[victim.pk])
    given = SignpostingGiven.objects.get(victim=victim)
    assert (given.language, given.given_by, given.given_on) == ("vi", officer, today)
    detail = text_of(client.get(reverse("victims:detail", args=[victim.pk])))
    assert "Recorded that the victim was given this information." in detail
    assert "Vietnamese" in detail and officer.email in detail
    assert "Version 2026-01, in Albanian" in detail  # the notice given, on the same page


def test_the_page_refuses_a_date_in_the_future(client, officer, victim):
    client.force_login(officer)
    url = reverse("victims:signposting", args=[victim.pk])
    future = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        url,
        {
            "language": "vi",
            **date_data("given_on", future),
        },
    )
    assert response.status_code == 200
    assert "There is a problem" in text_of(response)
    assert not SignpostingGiven.objects.exists()


def test_the_page_is_a_404_for_another_force(client, other_officer, victim):
    client.force_login(other_officer)
    assert client.get(reverse("victims:signposting", args=[victim.pk])).status_code == 404


def test_immigration_enforcement_may_not_use_it(client, api, caseworker, victim):
    assert api(caseworker).get(f"/api/v1/victims/{victim.pk}/signposting").status_code == 403
    client.force_login(caseworker)
    assert client.get(reverse("victims:signposting", args=[victim.pk])).status_code == 403
