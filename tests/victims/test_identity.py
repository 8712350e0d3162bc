"""One person, one record (API.md): a referral naming a Home Office reference on record joins
the person; possible duplicates are listed for both forces' supervisors, who merge or dismiss
them; a merge keeps everything, leaves one hold, and carries no override or end confirmation."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccessEvent
from cases.models import Case
from protocol import services as hold_services
from protocol.models import EndConfirmation, Hold, HoldAlias, HoldDecision, Notification, Override
from protocol.selectors import hold_by_reference, hold_for_victim
from tests.factories import UserFactory, days_ago, make_referral
from victims.models import (
    Application,
    DataSharingNotice,
    Dependant,
    Disclosure,
    PossibleDuplicate,
    SupportEngagement,
    Victim,
)
from victims.services import application_create, support_referral_create

pytestmark = pytest.mark.django_db

PERSON = {
    "given_names": "Ana Maria",
    "family_name": "Popescu",
    "date_of_birth": dt.date(1988, 3, 2),
}


@pytest.fixture
def supervisor(force):
    return UserFactory(
        role="police_supervisor", organisation=force, email="supervisor@northshire.example"
    )


@pytest.fixture
def other_supervisor(other_force):
    return UserFactory(
        role="police_supervisor", organisation=other_force, email="supervisor@southshire.example"
    )


@pytest.fixture
def second_supervisor(force):
    return UserFactory(
        role="police_supervisor", organisation=force, email="supervisor2@northshire.example"
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _pair(officer, other_officer, **other):
    first = make_referral(officer, victim={**PERSON, "nationality": "ROU"})
    second = make_referral(other_officer, victim={**PERSON, "nationality": "ROU", **other})
    return first, second, PossibleDuplicate.objects.get(first=first.victim, second=second.victim)


# --- Joining by Home Office reference ---------------------------------------------------------


def test_a_referral_with_a_reference_on_record_joins_the_person(officer, other_officer, api):
    first = make_referral(officer, victim={**PERSON, "home_office_reference": "P1234567"})
    response = api(other_officer).post(
        "/api/v1/referrals",
        {
            "victim": {
                **{key: str(value) for key, value in PERSON.items()},
                "given_names": "ANA  maría",  # normalised names match
                "nationality": "ROU",
                "home_office_reference": "p123 4567",
                "preferred_language": "ro",
            },
            "case": {
                "crime_reference": "SS/1/26",
                "crime_type": "domestic_abuse",
                "role": "victim",
                "reported_on": str(days_ago(5)),
                "investigation_status": "under_investigation",
                "narrative": "Southshire's secret narrative.",
            },
            "notice": {"version": "2026-01", "language": "ro", "given_on": str(days_ago(4))},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["joined"] is True
    assert body["victim"]["reference"] == first.victim.reference
    assert body["hold"]["reference"] == first.hold.reference
    assert Victim.objects.filter(home_office_reference_key="P1234567").count() == 1
    assert Hold.objects.filter(victim=first.victim).count() == 1
    assert Case.objects.filter(victim=first.victim).count() == 2
    # The joining force reads the person and its own case only; the first force likewise.
    joined_case = Case.objects.get(crime_reference="SS/1/26")
    seen = api(other_officer).get(f"/api/v1/victims/{first.victim.pk}").json()
    assert [case["reference"] for case in seen["cases"]] == [joined_case.reference]
    mine = api(officer).get(f"/api/v1/victims/{first.victim.pk}").json()
    assert [case["reference"] for case in mine["cases"]] == [first.case.reference]
    assert joined_case.reference not in str(mine) and "secret" not in str(mine)
    # The hold's explanation names the other force's case only in words.
    hold = hold_for_victim(first.victim, user=officer)
    lines = " ".join(
        hold.explanation + [line for d in hold.decisions.all() for line in d.explanation]
    )
    assert joined_case.reference not in lines
    assert "a case of another force" in lines
    page = client_for(officer).get(reverse("victims:detail", args=[first.victim.pk]))
    assert page.status_code == 200
    assert joined_case.reference not in page.text and "SS/1/26" not in page.text


def test_a_reference_on_record_for_someone_else_is_a_409_naming_it(officer, other_officer, api):
    make_referral(officer, victim={**PERSON, "home_office_reference": "P1234567"})
    victims_before = Victim.objects.count()
    response = api(other_officer).post(
        "/api/v1/referrals",
        {
            "victim": {
                "given_names": "Someone",
                "family_name": "Else",
                "date_of_birth": "1970-01-01",
                "nationality": "ROU",
                "home_office_reference": "P1234567",
                "preferred_language": "ro",
            },
            "case": {
                "crime_reference": "SS/2/26",
                "crime_type": "domestic_abuse",
                "role": "victim",
                "reported_on": str(days_ago(5)),
                "investigation_status": "under_investigation",
            },
            "notice": {"version": "2026-01", "language": "ro", "given_on": str(days_ago(4))},
        },
        format="json",
    )
    assert response.status_code == 409
    assert "home_office_reference" in response.json()["victim"]
    assert Victim.objects.count() == victims_before
    assert not Case.objects.filter(crime_reference="SS/2/26").exists()


# --- Possible duplicates ---------------------------------------------------------------------


def test_same_names_and_birth_without_reference_make_a_pair(
    officer, other_officer, supervisor, other_supervisor, api
):
    first, second, pair = _pair(officer, other_officer, nationality="MDA")
    assert first.victim.pk != second.victim.pk  # two records until a supervisor decides
    assert (pair.names_match, pair.date_of_birth_match, pair.nationality_match) == (
        True,
        True,
        False,
    )
    for user in (supervisor, other_supervisor):
        [item] = api(user).get("/api/v1/possible-duplicates").json()["results"]
        assert item["first"] == {
            "reference": first.victim.reference,
            "forces": ["Northshire Police"],
        }
        assert item["second"]["forces"] == ["Southshire Police"]
        assert item["matches"] == {"names": True, "date_of_birth": True, "nationality": False}
    assert api(officer).get("/api/v1/possible-duplicates").status_code == 403


def test_a_supervisor_of_a_third_force_sees_no_pair(officer, other_officer, api):
    _pair(officer, other_officer)
    third = UserFactory(role="police_supervisor", email="supervisor@eastshire.example")
    assert api(third).get("/api/v1/possible-duplicates").json()["results"] == []
    pair = PossibleDuplicate.objects.get()
    assert api(third).post(f"/api/v1/possible-duplicates/{pair.pk}/merge").status_code == 404
    assert api(third).post(f"/api/v1/possible-duplicates/{pair.pk}/dismiss").status_code == 404


def _facts(referral, officer, adviser, support_org):
    engagement = support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=days_ago(3),
    )
    application = application_create(
        victim=referral.victim,
        by=adviser,
        route="asylum",
        status="submitted",
        submitted_on=days_ago(2),
    )
    return engagement, application


def test_a_merge_is_proposed_then_confirmed_by_the_other_force(
    officer, other_officer, supervisor, other_supervisor, adviser, support_org, senior, api
):
    first, second, pair = _pair(officer, other_officer)
    Dependant.objects.create(
        victim=second.victim, given_names="Ion", family_name="Popescu", date_of_birth=days_ago(3000)
    )
    engagement, application = _facts(second, other_officer, adviser, support_org)
    override = hold_services.override_request(
        by=senior,
        hold_reference=first.hold.reference,
        category="serious_harm_risk",
        justification="Reasons.",
        expires_on=None,
    )
    merged_hold_reference = second.hold.reference
    old_decisions = HoldDecision.objects.filter(hold__victim=second.victim).count()

    proposed = api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    assert proposed.status_code == 200, proposed.json()
    assert proposed.json()["status"] == "proposed"
    again = api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    assert again.status_code == 409  # the proposer cannot confirm
    assert Victim.objects.filter(pk=second.victim.pk).exists()

    confirmed = api(other_supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    assert confirmed.status_code == 200, confirmed.json()
    body = confirmed.json()
    assert body["status"] == "merged"
    assert body["survivor"]["reference"] == first.victim.reference
    assert body["hold"]["reference"] == first.hold.reference

    survivor = first.victim
    assert not Victim.objects.filter(pk=second.victim.pk).exists()
    assert Victim.records.get(pk=second.victim.pk).merged_into_id == survivor.pk
    assert Case.objects.filter(victim=survivor).count() == 2
    assert Dependant.objects.filter(victim=survivor, given_names="Ion").exists()
    assert SupportEngagement.objects.get(pk=engagement.pk).victim_id == survivor.pk
    assert Application.objects.get(pk=application.pk).victim_id == survivor.pk
    assert DataSharingNotice.objects.filter(victim=survivor).count() == 2
    assert Disclosure.objects.filter(victim=survivor, organisation=support_org).exists()
    # One hold: the other's history kept, its reference an alias of the surviving hold.
    assert Hold.objects.filter(victim__in=[survivor.pk, second.victim.pk]).count() == 1
    hold = Hold.objects.get(victim=survivor)
    assert HoldDecision.objects.filter(hold=hold).count() >= old_decisions + 1
    assert HoldDecision.objects.filter(hold=hold, trigger="merge").exists()
    assert HoldAlias.objects.get(reference=merged_hold_reference).hold == hold
    assert hold_by_reference(reference=merged_hold_reference.lower()).pk == hold.pk
    ie_page = client_for(senior).get(reverse("hold_detail", args=[merged_hold_reference]))
    assert ie_page.status_code == 200 and hold.reference in ie_page.text
    assert (
        hold.in_force and hold.evaluated_version == Victim.objects.get(pk=survivor.pk).facts_version
    )
    # No override carries over; IE seniors are told.
    assert Override.objects.get(pk=override.pk).status == "revoked"
    assert Notification.objects.filter(
        organisation=senior.organisation, kind="override_revoked"
    ).exists()
    # Every grant kept: both forces and the support organisation see the survivor.
    for user in (officer, other_officer, adviser):
        assert api(user).get(f"/api/v1/victims/{survivor.pk}").status_code == 200
        assert api(user).get(f"/api/v1/victims/{second.victim.pk}").status_code == 404
    # On both records' history.
    record = api(officer).get(f"/api/v1/victims/{survivor.pk}").json()
    assert [item["reference"] for item in record["merged_records"]] == [second.victim.reference]
    page = client_for(other_officer).get(reverse("victims:detail", args=[survivor.pk]))
    assert "Records merged into this one" in page.text and second.victim.reference in page.text
    for victim in (survivor, second.victim):
        assert AccessEvent.objects.filter(
            object_type="victim", object_id=str(victim.pk), detail__contains="merged into"
        ).exists()
    # A pair no longer a pair: 409, nothing changes.
    state = (Hold.objects.get(pk=hold.pk).evaluated_version, AccessEvent.objects.count())
    for path in ("merge", "dismiss"):
        response = api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/{path}")
        assert response.status_code == 409
        assert "no longer a possible duplicate" in response.json()["detail"]
    assert PossibleDuplicate.objects.get(pk=pair.pk).status == "merged"
    assert Hold.objects.get(pk=hold.pk).evaluated_version == state[0]
    assert api(supervisor).get("/api/v1/possible-duplicates").json()["results"] == []


def test_the_merged_reference_still_answers_ie_checks(
    officer, other_officer, supervisor, other_supervisor, caseworker, api
):
    first, second, pair = _pair(officer, other_officer, home_office_reference="")
    before = hold_services.hold_check(user=caseworker, **PERSON)
    assert before.in_force
    api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    merged = api(other_supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    assert merged.status_code == 200, merged.json()
    answer = hold_services.hold_check(user=caseworker, **PERSON)
    assert answer.in_force and answer.hold_reference == first.hold.reference
    assert answer.contact["organisation"] == "Northshire Police"  # the survivor's force


def test_a_chain_of_merges_points_every_merged_record_at_the_survivor(
    officer, other_officer, supervisor, other_supervisor, caseworker, api
):
    """C, then A, then B are referred as one person; B merges into A, then A into C. B must
    point at C (the hold check follows one step), and its identifiers find C's hold."""
    oldest = make_referral(officer, victim={**PERSON, "nationality": "ROU"})
    first, second, pair = _pair(officer, other_officer, home_office_reference="Q7654321")
    for proposer, confirmer, the_pair in (
        (supervisor, other_supervisor, pair),
        (supervisor, other_supervisor, None),  # A holds a Southshire case too by then
    ):
        the_pair = the_pair or PossibleDuplicate.objects.get(
            first=oldest.victim, second=first.victim, status="open"
        )
        api(proposer).post(f"/api/v1/possible-duplicates/{the_pair.pk}/merge")
        done = api(confirmer).post(f"/api/v1/possible-duplicates/{the_pair.pk}/merge")
        assert done.status_code == 200 and done.json()["status"] == "merged", done.json()
    assert Victim.records.get(pk=second.victim.pk).merged_into_id == oldest.victim.pk
    answer = hold_services.hold_check(user=caseworker, home_office_reference="Q7654321")
    assert answer.in_force and answer.hold_reference == oldest.hold.reference


def test_a_merge_within_one_force_needs_a_second_supervisor(
    officer, supervisor, second_supervisor, api
):
    first = make_referral(officer, victim=PERSON)
    second = make_referral(officer, victim=PERSON)
    pair = PossibleDuplicate.objects.get(first=first.victim, second=second.victim)
    assert api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge").status_code == 200
    assert api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge").status_code == 409
    response = api(second_supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    assert response.status_code == 200 and response.json()["status"] == "merged"


def test_the_proposers_own_force_cannot_confirm_a_two_force_pair(
    officer, other_officer, supervisor, second_supervisor, api
):
    _, _, pair = _pair(officer, other_officer)
    api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    response = api(second_supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge")
    assert response.status_code == 409
    assert PossibleDuplicate.objects.get(pk=pair.pk).status == "open"


def test_an_end_confirmation_does_not_carry_over(
    officer, other_officer, supervisor, other_supervisor, senior
):
    first, second, pair = _pair(officer, other_officer)
    Hold.objects.filter(pk=first.hold.pk).update(status="review_due")  # as if due for review
    EndConfirmation.objects.create(
        hold=first.hold,
        confirmed_on=days_ago(1),
        reason="proceedings_concluded_no_application",
        confirmed_by=senior,
    )
    from protocol.services import merges

    merges.possible_duplicate_merge(user=supervisor, pair_id=pair.pk)
    merges.possible_duplicate_merge(user=other_supervisor, pair_id=pair.pk)
    confirmation = EndConfirmation.objects.get(hold__victim=first.victim)
    assert confirmation.set_aside_by_merge
    hold = Hold.objects.get(victim=first.victim)
    assert hold.in_force  # two investigations under way: the hold is in force, not ended


def test_dismiss_ends_the_pair(officer, other_officer, other_supervisor, supervisor, api):
    first, second, pair = _pair(officer, other_officer)
    response = api(other_supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/dismiss")
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    assert api(supervisor).post(f"/api/v1/possible-duplicates/{pair.pk}/merge").status_code == 409
    assert Victim.objects.filter(pk__in=[first.victim.pk, second.victim.pk]).count() == 2


def test_the_supervisors_page_lists_and_merges(
    client, officer, other_officer, supervisor, other_supervisor
):
    first, second, pair = _pair(officer, other_officer)
    client.force_login(supervisor)
    page = client.get(reverse("victims:possible_duplicates"))
    assert page.status_code == 200
    assert first.victim.reference in page.text and second.victim.reference in page.text
    response = client.post(
        reverse("victims:possible_duplicate_decide", args=[pair.pk]), {"decision": "merge"}
    )
    assert response.status_code == 302
    client.force_login(other_supervisor)
    response = client.post(
        reverse("victims:possible_duplicate_decide", args=[pair.pk]),
        {"decision": "merge"},
        follow=True,
    )
    assert response.status_code == 200
    assert "merged" in response.text.lower()
    assert PossibleDuplicate.objects.get(pk=pair.pk).status == "merged"
    again = client.post(
        reverse("victims:possible_duplicate_decide", args=[pair.pk]), {"decision": "merge"}
    )
    assert again.status_code == 200 and "no longer" in again.text
