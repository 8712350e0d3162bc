"""Immigration Enforcement: hold checks on exact identifiers, the same answer for the unknown
and the not-protected, throttling; the review queue, end confirmations and overrides."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import AccessEvent
from protocol import services as hold_services
from protocol.models import EndConfirmation, Hold, HoldCheck, Override
from tests.factories import days_ago
from victims.models import Application, Disclosure, Victim

from .conftest import HOLD_CHECK_KEYS

CHECK = "/api/v1/hold-checks"


def check(client, **person):
    body = {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in person.items()
    }
    response = client.post(CHECK, body, format="json")
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert set(answer) == HOLD_CHECK_KEYS
    return answer


def without_check_id(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key != "check_id"}


NO_HOLD = {"in_force": False, "hold_reference": None, "protected_until": None, "contact": None}


def test_a_check_by_home_office_reference_answers_the_hold_and_the_forces_contact(w):
    answer = check(w.client("ie_caseworker"), home_office_reference=" b123-4567 ")
    assert without_check_id(answer) == {
        "in_force": True,
        "hold_reference": w.own["hold"].reference,
        "protected_until": None,
        "contact": {
            "organisation": "Northshire Police",
            "team": "Northshire Police protocol team",
            "phone": "020 7946 0000",
            "email": "protocol@northshire.example",
        },
    }
    record = HoldCheck.objects.get(pk=answer["check_id"])
    assert record.answered_in_force and record.hold == w.own["hold"]
    assert AccessEvent.objects.filter(action="hold_check", object_id=answer["check_id"]).exists()
    disclosure = Disclosure.objects.filter(victim=w.own["victim"], organisation__code="ie").get()
    assert disclosure.categories == ["hold_status"]


def test_a_check_by_name_is_normalised_and_covers_dependants(w):
    client = w.client("ie_senior")
    victim = check(client, family_name="DIALLO ", given_names=" amina", date_of_birth="1990-05-17")
    assert victim["in_force"] is True and victim["hold_reference"] == w.own["hold"].reference
    child = check(client, family_name="Diallo", given_names="Moussa", date_of_birth="2018-03-02")
    assert child["hold_reference"] == w.own["hold"].reference
    accents = check(client, family_name="Wéi", given_names="LIN", date_of_birth="1985-11-03")
    assert accents["hold_reference"] == w.other["hold"].reference
    assert accents["contact"]["organisation"] == "Southshire Police"
    near_miss = check(client, family_name="Diallo", given_names="Amina", date_of_birth="1990-05-18")
    assert without_check_id(near_miss) == NO_HOLD


def _person_with_hold(w, status: str) -> dict:
    """Put a person's hold in `status` (through the real services where there is one), and
    return their identifiers."""
    if status == "ended":
        hold_services.end_confirm(
            hold_reference=w.review["hold"].reference, by=w.users["ie_senior"], reason="left_the_uk"
        )
        assert Hold.objects.get(pk=w.review["hold"].pk).status == "ended"
        return {"family_name": "Marquez", "given_names": "Rosa", "date_of_birth": "1979-01-09"}
    if status == "overridden":
        assert Hold.objects.get(pk=w.overrides["approved"].hold_id).status == "overridden"
        return {
            "family_name": "Override approved",
            "given_names": "Olu",
            "date_of_birth": "1990-05-17",
        }
    if status == "regularised":
        Application.objects.filter(pk=w.own["application"].pk).update(
            status="granted", decided_on=days_ago(0)
        )
        hold_services.hold_reevaluate(victim_id=w.own["victim"].pk)
        assert Hold.objects.get(pk=w.own["hold"].pk).status == "regularised"
        return {"home_office_reference": "B1234567"}
    if status == "not_covered":
        # The engine gives this only for a person with no counted case (a witness, when
        # witnesses are not covered): set the stored decision directly, as up to date with the
        # facts (a check re-evaluates a hold that lags them, which would undo it).
        Hold.objects.filter(pk=w.other["hold"].pk).update(
            status="not_covered",
            in_force=False,
            grounds=[],
            protected_until=None,
            evaluated_version=Victim.objects.get(pk=w.other["hold"].victim_id).facts_version,
            next_due_on=None,
        )
        return {"home_office_reference": "C7654321"}
    raise AssertionError(status)


@pytest.mark.parametrize("status", ["ended", "overridden", "regularised", "not_covered"])
def test_a_hold_not_in_force_reads_exactly_like_a_person_never_heard_of(w, status):
    person = _person_with_hold(w, status)
    client = w.client("ie_caseworker")
    known = check(client, **person)
    if "home_office_reference" in person:
        unknown = check(client, home_office_reference="Z9999999")
    else:
        unknown = check(
            client, family_name="Nobody", given_names="Never Heard", date_of_birth="1970-01-01"
        )
    assert without_check_id(known) == without_check_id(unknown) == NO_HOLD
    assert known["check_id"] != unknown["check_id"]
    assert set(known) == set(unknown) == HOLD_CHECK_KEYS


def test_a_check_needs_exact_identifiers(w):
    client = w.client("ie_caseworker")
    both = client.post(
        CHECK,
        {"home_office_reference": "B1234567", "family_name": "Diallo"},
        format="json",
    )
    assert both.status_code == 400
    partial = client.post(CHECK, {"family_name": "Diallo", "given_names": "Amina"}, format="json")
    assert partial.status_code == 400 and "date_of_birth" in partial.json()
    empty = client.post(CHECK, {}, format="json")
    assert empty.status_code == 400
    blank = client.post(CHECK, {"home_office_reference": " - "}, format="json")
    assert blank.status_code == 400 and "home_office_reference" in blank.json()
    assert not HoldCheck.objects.exists() or HoldCheck.objects.count() == 0


def test_hold_checks_are_throttled_per_user(w, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "hold_check": "3/min"},
    )
    client = w.client("ie_caseworker")
    for _ in range(3):
        check(client, home_office_reference="Z1")
    throttled = client.post(CHECK, {"home_office_reference": "Z1"}, format="json")
    assert throttled.status_code == 429
    assert "Retry-After" in throttled.headers
    # Another user has a budget of their own.
    check(w.client("ie_senior"), home_office_reference="Z1")


def test_ie_may_not_list_or_read_victims_or_cases(w):
    for role in ("ie_caseworker", "ie_senior"):
        client = w.client(role)
        assert client.get("/api/v1/cases").status_code == 403
        assert client.get(f"/api/v1/cases/{w.own['case'].pk}").status_code == 403
        assert client.get(f"/api/v1/victims/{w.own['victim'].pk}").status_code == 403
        assert client.get(f"/api/v1/victims/{w.own['victim'].pk}/hold").status_code == 403
    denied = AccessEvent.objects.filter(actor_email="caseworker@ie.example", outcome="denied")
    assert denied.count() == 4


def test_the_review_queue_shows_references_dates_and_contact_points_only(w):
    response = w.client("ie_senior").get("/api/v1/holds", {"status": "review_due"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["reference"] for item in results] == [w.review["hold"].reference]
    item = results[0]
    assert set(item) == {"reference", "status", "since", "contact"}
    assert item["contact"]["organisation"] == "Northshire Police"
    assert w.client("ie_senior").get("/api/v1/holds", {"status": "active"}).status_code == 400
    assert w.client("ie_caseworker").get("/api/v1/holds").status_code == 403


def test_an_ie_senior_confirms_the_end_of_a_hold_due_for_review_only(w):
    client = w.client("ie_senior")
    reference = w.review["hold"].reference
    active = client.post(
        f"/api/v1/holds/{w.own['hold'].reference}/confirm-end",
        {"reason": "left_the_uk"},
        format="json",
    )
    assert active.status_code == 409
    bad_reason = client.post(
        f"/api/v1/holds/{reference}/confirm-end", {"reason": "bored"}, format="json"
    )
    assert bad_reason.status_code == 400 and "reason" in bad_reason.json()
    ended = client.post(
        f"/api/v1/holds/{reference}/confirm-end", {"reason": "left_the_uk"}, format="json"
    )
    assert ended.status_code == 200, ended.json()
    assert ended.json() == {"reference": reference, "status": "ended", "in_force": False}
    again = client.post(
        f"/api/v1/holds/{reference}/confirm-end", {"reason": "left_the_uk"}, format="json"
    )
    assert again.status_code == 409
    assert EndConfirmation.objects.filter(hold__reference=reference).count() == 1
    unknown = client.post(
        "/api/v1/holds/H-ZZZZZZ/confirm-end", {"reason": "deceased"}, format="json"
    )
    assert (unknown.status_code, unknown.json()) == (409, again.json())


def test_an_override_needs_two_seniors_and_revocation_restores_the_rules(w):
    requester, approver = w.client("ie_senior"), w.client("ie_senior2")
    reference = w.spare_hold
    expires = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    requested = requester.post(
        "/api/v1/overrides",
        {
            "hold_reference": reference,
            "category": "national_security",
            "justification": "Assessment NS-7.",
            "expires_on": expires,
        },
        format="json",
    )
    assert requested.status_code == 201, requested.json()
    override_id = requested.json()["id"]
    assert requested.json()["status"] == "requested"
    assert requested.json()["requested_by"] == "senior@ie.example"

    own = requester.post(f"/api/v1/overrides/{override_id}/approve", {}, format="json")
    assert own.status_code == 403
    assert AccessEvent.objects.filter(
        object_type="override", object_id=override_id, outcome="denied"
    ).exists()
    assert Override.objects.get(pk=override_id).status == "requested"

    pending = requester.get("/api/v1/overrides", {"status": "requested"}).json()["results"]
    assert override_id in {item["id"] for item in pending}

    approved = approver.post(
        f"/api/v1/overrides/{override_id}/approve", {"note": "Agreed."}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert Hold.objects.get(reference=reference).status == "overridden"
    twice = approver.post(f"/api/v1/overrides/{override_id}/approve", {}, format="json")
    assert twice.status_code == 409

    revoked = requester.post(f"/api/v1/overrides/{override_id}/revoke", {}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert Hold.objects.get(reference=reference).status == "active"


def test_override_requests_are_validated(w):
    client = w.client("ie_senior")
    too_long = (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    response = client.post(
        "/api/v1/overrides",
        {
            "hold_reference": w.spare_hold,
            "category": "serious_harm_risk",
            "justification": "x",
            "expires_on": too_long,
        },
        format="json",
    )
    assert response.status_code == 400 and "expires_on" in response.json()
    unknown = client.post(
        "/api/v1/overrides",
        {"hold_reference": "H-NOPE", "category": "serious_harm_risk", "justification": "x"},
        format="json",
    )
    assert unknown.status_code == 409  # as for a hold not in force: see test_hold_status_not_leaked
    live = client.post(
        "/api/v1/overrides",
        {
            "hold_reference": w.overrides["requested"].hold.reference,
            "category": "serious_harm_risk",
            "justification": "x",
        },
        format="json",
    )
    assert live.status_code == 409
    rejected = w.client("ie_senior").post(
        f"/api/v1/overrides/{w.overrides['requested'].pk}/reject", {"note": "No."}, format="json"
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
