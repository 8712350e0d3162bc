"""What the victim's record says was shared with a recipient is exactly what that recipient is
shown (issue 11): ONE declaration (`victims.disclosure`) builds the recipient's view and writes
the disclosure's categories. Each recipient's pages and API answers about a victim are rendered,
and every personal field value found in them must belong to a category declared for that
recipient's kind; the disclosure written to a support organisation names those categories."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from tests.factories import make_referral
from victims import disclosure
from victims.models import Disclosure, SupportEngagement
from victims.services import application_create, support_referral_create

pytestmark = pytest.mark.django_db

# Each personal field of the declaration, and how its value reads on a page or in JSON.
VALUES = {
    "victim.given_names": ["Zebedee"],
    "victim.family_name": ["Quuxworth"],
    "victim.date_of_birth": ["13 February 1971", "1971-02-13"],
    "victim.nationality": ["VUT"],
    "victim.home_office_reference": ["Q9988776"],
    "victim.contact": ["07700 900987"],
    "victim.address": ["Larkspur Mews"],
    "dependant.given_names": ["Ottoline"],
    "dependant.date_of_birth": ["9 August 2015", "2015-08-09"],
    "case.narrative": ["Marker narrative 7731"],
}


@pytest.fixture
def subject(officer, adviser, support_org):
    referral = make_referral(
        officer,
        victim={
            "given_names": "Zebedee",
            "family_name": "Quuxworth",
            "date_of_birth": dt.date(1971, 2, 13),
            "nationality": "VUT",
            "home_office_reference": "Q9988776",
            "contact": "Call 07700 900987",
            "address": "4 Larkspur Mews",
        },
        case={"narrative": "Marker narrative 7731"},
        dependants=[
            {
                "given_names": "Ottoline",
                "family_name": "Quuxworth",
                "date_of_birth": dt.date(2015, 8, 9),
            }
        ],
    )
    support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=referral.case.referred_on,
    )
    application = application_create(
        victim=referral.victim,
        by=adviser,
        route="asylum",
        status="submitted",
        submitted_on=referral.case.referred_on,
    )
    return referral, application


def _rendered(user, client_for, api, referral, application) -> list[tuple[str, str]]:
    """Every page and API answer about the victim this user's kind reads, as text."""
    victim, case = referral.victim, referral.case
    pages = [
        reverse("victims:detail", args=[victim.pk]),
        reverse("victims:record", args=[victim.pk]),
        reverse("victims:consent_withdrawal", args=[victim.pk]),
        reverse("victims:referrals"),
    ]
    answers = [
        f"/api/v1/victims/{victim.pk}",
        f"/api/v1/victims/{victim.pk}/hold",
        f"/api/v1/victims/{victim.pk}/disclosures",
        f"/api/v1/cases/{case.pk}",
        "/api/v1/cases",
        "/api/v1/support-referrals",
    ]
    if user.has_role("support_adviser"):
        pages += [
            reverse("victims:list"),
            reverse("victims:application_change", args=[application.pk]),
            reverse("victims:application_new", args=[victim.pk]),
            reverse(
                "victims:referral_accept",
                args=[SupportEngagement.objects.get(victim=victim).pk],
            ),
        ]
        answers.append(f"/api/v1/applications/{application.pk}")
    else:
        pages += [reverse("cases:detail", args=[case.pk]), reverse("cases:list")]
    client = client_for(user)
    shown = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        shown.append((url, response.content.decode()))
    for url in answers:
        response = api(user).get(url)
        assert response.status_code == 200, url
        shown.append((url, json.dumps(response.json())))
    return shown


def _assert_only_declared(kind, rendered):
    for field, readings in VALUES.items():
        declared = disclosure.shows(kind, field)
        for url, text in rendered:
            for reading in readings:
                if not declared:
                    assert reading not in text, (kind, field, url)


@pytest.mark.parametrize("who", ["officer", "adviser"])
def test_every_personal_field_shown_is_in_a_category_declared_for_the_recipient(
    request, who, subject, client_for, api
):
    user = request.getfixturevalue(who)
    kind = disclosure.recipient_of(user)
    rendered = _rendered(user, client_for, api, *subject)
    _assert_only_declared(kind, rendered)
    # And what is declared is shown somewhere: the declaration is not wider than the view.
    everything = " ".join(text for _url, text in rendered)
    for field, readings in VALUES.items():
        if disclosure.shows(kind, field):
            assert any(reading in everything for reading in readings), (kind, field)


def test_the_disclosure_to_a_support_organisation_names_what_its_advisers_see(subject):
    referral, _application = subject
    entry = Disclosure.objects.get(victim=referral.victim)
    assert entry.categories == disclosure.categories_for(disclosure.SUPPORT_ADVISER)
    assert "crime_narrative" not in entry.categories
    assert {"nationality", "home_office_reference", "dependants"} <= set(entry.categories)


def test_a_narrower_declaration_narrows_the_view_and_the_record_alike(
    monkeypatch, subject, adviser, officer, support_org, client_for, api
):
    """Take the Home Office reference, nationality and dependants out of what advisers see:
    their pages and answers stop showing them, and a new disclosure stops naming them."""
    narrower = tuple(
        code
        for code in disclosure.RECIPIENTS[disclosure.SUPPORT_ADVISER]
        if code not in ("home_office_reference", "nationality", "dependants")
    )
    monkeypatch.setitem(disclosure.RECIPIENTS, disclosure.SUPPORT_ADVISER, narrower)
    rendered = _rendered(adviser, client_for, api, *subject)
    _assert_only_declared(disclosure.SUPPORT_ADVISER, rendered)
    for url, text in rendered:
        assert "Q9988776" not in text and "Ottoline" not in text, url
    assert disclosure.categories_for(disclosure.SUPPORT_ADVISER) == list(narrower)
