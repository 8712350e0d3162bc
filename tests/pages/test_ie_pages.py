"""Immigration Enforcement pages: check a hold, the review queue, confirming an end, overrides.
None of them may show a name, date of birth, address, contact details or crime details."""

import datetime as dt

import pytest
from django.urls import reverse

from protocol.models import EndConfirmation, Hold, HoldCheck, Override
from protocol.services import end_confirm, override_approve, override_request
from tests.factories import days_ago

from .conftest import date_data, error_summary, make_review_due, text_of

pytestmark = pytest.mark.django_db


def _secrets(referral) -> list[str]:
    """Everything IE must never see about the referral's victim and case."""
    victim, case = referral.victim, referral.case
    return [
        victim.given_names,
        victim.family_name,
        victim.reference,
        victim.home_office_reference,
        victim.date_of_birth.strftime("%-d %B %Y"),
        victim.date_of_birth.isoformat(),
        victim.contact,
        victim.address,
        case.reference,
        case.crime_reference,
        case.narrative,
        "Domestic abuse",
        "Under investigation",
    ]


def assert_no_leak(response, referral):
    html = response.content.decode()
    text = text_of(response)
    for secret in _secrets(referral):
        assert secret not in html and secret not in text, secret


def check(client, **data):
    return client.post(reverse("hold_check"), data)


def test_hold_in_force_says_only_reference_protected_until_and_contact(
    referral, caseworker, client_for
):
    response = check(client_for(caseworker), home_office_reference="b123 4567")
    text = text_of(response)
    assert "Hold in force" in text
    assert referral.hold.reference in text
    assert "No end date set" in text
    assert "Northshire Police" in text and "protocol@northshire.example" in text
    assert_no_leak(response, referral)
    assert HoldCheck.objects.get().answered_in_force


def test_a_check_by_name_and_date_of_birth(referral, caseworker, client_for):
    response = check(
        client_for(caseworker),
        family_name="DIALLO",
        given_names="amina",
        **date_data("date_of_birth", dt.date(1990, 5, 17)),
    )
    assert "Hold in force" in text_of(response)
    assert_no_leak(response, referral)


def _no_hold_text(client, **data) -> str:
    return text_of(check(client, **data))


def test_no_hold_reads_the_same_for_an_unknown_person_and_a_hold_not_in_force(
    officer, caseworker, senior, senior2, client_for
):
    ended = make_review_due(
        officer, given_names="Ana", family_name="Pereira", home_office_reference="P1111111"
    )
    end_confirm(hold_reference=ended.reference, by=senior, reason="left_the_uk")
    assert Hold.objects.get(pk=ended.pk).status == "ended"
    overridden = make_review_due(
        officer, given_names="Esi", family_name="Mensah", home_office_reference="M2222222"
    )
    override = override_request(
        by=senior,
        hold_reference=overridden.reference,
        category="serious_harm_risk",
        justification="Convictions for violence",
        expires_on=None,
    )
    override_approve(override_id=override.pk, by=senior2)
    assert Hold.objects.get(pk=overridden.pk).status == "overridden"

    client = client_for(caseworker)
    unknown = _no_hold_text(client, home_office_reference="Z9999999")
    assert "No hold in force" in unknown
    assert _no_hold_text(client, home_office_reference="P1111111") == unknown
    assert _no_hold_text(client, home_office_reference="M2222222") == unknown
    by_name = _no_hold_text(
        client,
        family_name="Pereira",
        given_names="Ana",
        **date_data("date_of_birth", dt.date(1990, 5, 17)),
    )
    assert by_name == unknown


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter a Home Office reference, or a name and date of birth"),
        (
            {"home_office_reference": "B1234567", "family_name": "Diallo"},
            "Enter a Home Office reference or a name and date of birth, not both",
        ),
        ({"given_names": "Amina"}, "Enter the family name"),
        ({"family_name": "Diallo", "given_names": "Amina"}, "Enter the date of birth"),
        (
            {
                "family_name": "Diallo",
                "given_names": "Amina",
                "date_of_birth_day": "17",
                "date_of_birth_month": "5",
            },
            "Date of birth must include a year",
        ),
    ],
)
def test_an_incomplete_check_says_what_to_enter_and_checks_nothing(
    referral, caseworker, client_for, data, message
):
    response = check(client_for(caseworker), **data)
    assert error_summary(response)[0] == message
    assert HoldCheck.objects.count() == 0


@pytest.fixture
def two_checks_a_minute(monkeypatch):
    """The hold-check rate, set where the API's throttle reads it (DRF copies its settings'
    rates when it is imported); the page reads the same."""
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"hold_check": "2/min"})


def test_hold_checks_on_the_page_are_throttled(
    referral, caseworker, client_for, two_checks_a_minute
):
    client = client_for(caseworker)
    for _ in range(2):
        assert check(client, home_office_reference="B1234567").status_code == 200
    response = check(client, home_office_reference="B1234567")
    assert response.status_code == 429
    assert error_summary(response)[0].startswith("You have made too many checks")
    assert HoldCheck.objects.count() == 2


def test_the_page_and_the_api_share_one_budget_of_hold_checks(
    referral, caseworker, client_for, api, two_checks_a_minute
):
    api = api(caseworker)
    body = {"home_office_reference": "B1234567"}
    assert api.post("/api/v1/hold-checks", body, format="json").status_code == 200
    page = client_for(caseworker)
    assert check(page, home_office_reference="B1234567").status_code == 200
    # Both uses spent: the third check is refused wherever it is made, and not counted.
    assert check(page, home_office_reference="B1234567").status_code == 429
    refused = api.post("/api/v1/hold-checks", body, format="json")
    assert refused.status_code == 429
    # (Sliding window: the uses of this minute fade over the next, so up to two minutes.)
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    assert HoldCheck.objects.count() == 2


def test_the_review_queue_lists_references_dates_and_contacts_only(
    review_due_hold, senior, client_for
):
    from victims.models import Victim

    referral = type("R", (), {})()
    referral.victim = Victim.objects.get(pk=review_due_hold.victim_id)
    referral.case = referral.victim.cases.get()
    response = client_for(senior).get(reverse("review_queue"))
    text = text_of(response)
    assert review_due_hold.reference in text and "Northshire Police" in text
    assert_no_leak(response, referral)
    detail = client_for(senior).get(reverse("hold_detail", args=[review_due_hold.reference]))
    assert "Review due" in text_of(detail)
    assert_no_leak(detail, referral)
    # The hold's own pages give the same contact point as the queue.
    confirm = client_for(senior).get(reverse("hold_confirm_end", args=[review_due_hold.reference]))
    for page in (detail, confirm):
        assert "Northshire Police" in text_of(page)
        assert "protocol@northshire.example" in text_of(page)


def test_confirming_the_end_of_a_hold_due_for_review(review_due_hold, senior, client_for):
    client = client_for(senior)
    url = reverse("hold_confirm_end", args=[review_due_hold.reference])
    assert error_summary(client.post(url, {})) == ["Select why the hold has ended"]
    assert EndConfirmation.objects.count() == 0
    response = client.post(url, {"reason": "left_the_uk"})
    assert response.status_code == 302 and response["Location"] == reverse("review_queue")
    assert Hold.objects.get(pk=review_due_hold.pk).status == "ended"
    assert "The end of hold" in text_of(client.get(reverse("review_queue")))


def test_the_end_of_an_active_hold_is_not_offered(referral, senior, client_for):
    """An active hold's confirm-end page is not found, like an unknown reference's (see
    test_ie_status_not_leaked)."""
    response = client_for(senior).post(
        reverse("hold_confirm_end", args=[referral.hold.reference]), {"reason": "left_the_uk"}
    )
    assert response.status_code == 404
    assert EndConfirmation.objects.count() == 0


def test_a_hold_not_in_force_without_an_override_is_not_found(review_due_hold, senior, client_for):
    end_confirm(hold_reference=review_due_hold.reference, by=senior, reason="deceased")
    client = client_for(senior)
    assert client.get(reverse("hold_detail", args=[review_due_hold.reference])).status_code == 404
    assert client.get(reverse("hold_detail", args=["H-NOSUCH"])).status_code == 404


def test_overrides_requested_by_one_senior_and_decided_by_another(
    referral, senior, senior2, client_for
):
    first, second = client_for(senior), client_for(senior2)
    request_url = reverse("hold_override", args=[referral.hold.reference])
    bad = first.post(request_url, {"category": "serious_harm_risk", "justification": ""})
    assert error_summary(bad) == ["Explain why the override is needed"]
    too_long = first.post(
        request_url,
        {
            "category": "serious_harm_risk",
            "justification": "Risk",
            **date_data("expires_on", days_ago(-200)),
        },
    )
    assert error_summary(too_long) == ["An override lasts at most 90 days: give an earlier date."]
    assert Override.objects.count() == 0
    response = first.post(
        request_url,
        {"category": "serious_harm_risk", "justification": "Recent conviction for violence"},
    )
    assert response.status_code == 302
    override = Override.objects.get()

    decide_url = reverse("override_decide", args=[override.pk])
    own = first.get(decide_url)
    assert "another IE senior caseworker must decide it" in text_of(own)
    refused = first.post(decide_url, {"decision": "approve"})
    assert error_summary(refused) == [
        "You requested this override: another IE senior must decide it."
    ]
    assert Override.objects.get().status == "requested"

    assert "Decide" in text_of(second.get(reverse("override_list")))
    assert second.post(decide_url, {"decision": "approve", "note": "Agreed"}).status_code == 302
    assert Hold.objects.get(pk=referral.hold.pk).status == "overridden"
    too_late = second.post(decide_url, {"decision": "reject"})
    assert error_summary(too_late) == ["This override is approved: it can no longer be decided."]

    revoke_url = reverse("override_revoke", args=[override.pk])
    assert error_summary(first.post(revoke_url, {})) == [
        "Explain why you are revoking the override"
    ]
    assert first.post(revoke_url, {"note": "Charges dropped"}).status_code == 302
    assert Override.objects.get().status == "revoked"
    assert Hold.objects.get(pk=referral.hold.pk).status == "active"


def test_a_rejected_override_leaves_the_hold_in_force(referral, senior, senior2, client_for):
    override = override_request(
        by=senior,
        hold_reference=referral.hold.reference,
        category="national_security",
        justification="Intelligence report",
        expires_on=None,
    )
    response = client_for(senior2).post(
        reverse("override_decide", args=[override.pk]), {"decision": "reject"}
    )
    assert response.status_code == 302
    assert Override.objects.get().status == "rejected"
    assert Hold.objects.get(pk=referral.hold.pk).in_force


def test_every_ie_page_leaks_nothing(referral, review_due_hold, senior, caseworker, client_for):
    override = override_request(
        by=senior,
        hold_reference=referral.hold.reference,
        category="serious_harm_risk",
        justification="Risk",
        expires_on=None,
    )
    client = client_for(senior)
    for url in (
        reverse("home"),
        reverse("hold_check"),
        reverse("review_queue"),
        reverse("override_list"),
        reverse("hold_detail", args=[referral.hold.reference]),
        reverse("hold_override", args=[referral.hold.reference]),
        reverse("hold_confirm_end", args=[review_due_hold.reference]),
        reverse("override_decide", args=[override.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_leak(response, referral)
    assert_no_leak(client_for(caseworker).get(reverse("home")), referral)


def test_the_review_queue_makes_a_fixed_number_of_queries(
    officer, senior, client_for, django_assert_max_num_queries
):
    for number in range(6):
        make_review_due(officer, given_names=f"Person{number}")
    client = client_for(senior)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("review_queue"))
    assert "6 holds due for review" in text_of(response)
