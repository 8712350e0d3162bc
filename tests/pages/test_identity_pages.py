"""The referral journey when the Home Office reference is already on record (API.md "One
person, one record"): the referral joins the person, or the reference is refused, named."""

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from protocol.models import Hold
from tests.factories import make_referral
from victims.models import Victim

from .conftest import error_summary, text_of
from .test_referral_journey import walk

pytestmark = pytest.mark.django_db

GRACE = {
    "given_names": "Grace",
    "family_name": "Okafor",
    "date_of_birth": dt.date(1988, 3, 27),
    "nationality": "NGA",
    "home_office_reference": "G1234567",
}


def test_a_referral_naming_a_reference_on_record_joins_the_person(
    officer, other_officer, client_for
):
    known = make_referral(other_officer, victim=GRACE)
    client = client_for(officer)
    check = walk(client)
    response = client.post(check, follow=True)
    assert response.status_code == 200
    text = text_of(response)
    assert "already on record" in text
    assert known.victim.reference in text and known.hold.reference in text
    assert Victim.objects.filter(home_office_reference_key="G1234567").count() == 1
    assert Hold.objects.filter(victim=known.victim).count() == 1
    assert Case.objects.filter(victim=known.victim).count() == 2
    # The other force's case stays out of this force's view of the person.
    page = client.get(reverse("victims:detail", args=[known.victim.pk]))
    assert known.case.reference not in page.text
    assert known.case.crime_reference not in page.text


def test_a_reference_on_record_for_someone_else_is_refused_naming_the_reference(
    officer, other_officer, client_for
):
    make_referral(other_officer, victim={**GRACE, "given_names": "Someone"})
    client = client_for(officer)
    check = walk(client)
    cases_before = Case.objects.count()
    response = client.post(check)
    assert response.status_code == 200
    [message] = error_summary(response)
    assert message.startswith("Home Office reference")
    link = reverse("cases:referral_step", args=["victim-home-office-reference"])
    assert f'href="{link}"' in response.content.decode()
    assert Case.objects.count() == cases_before
