"""`victims.selectors`: what each caller may see of victims, scoped in the selector itself."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cases.selectors import case_list
from tests.factories import days_ago, make_referral
from victims.models import Victim
from victims.selectors import victim_detail, victim_get, victim_list
from victims.services import support_referral_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def referred(officer, support_org):
    """A victim of `officer`'s force, referred to `support_org`; and one not referred."""
    referral = make_referral(officer)
    support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=days_ago(1),
    )
    return referral.victim, make_referral(officer, victim={"given_names": "Fatou"}).victim


def test_police_see_their_forces_victims_and_no_others(referred, officer, other_officer):
    mine, also_mine = referred
    theirs = make_referral(other_officer, victim={"given_names": "Awa"}).victim
    assert set(victim_list(user=officer)) == {mine, also_mine}
    assert set(victim_list(user=other_officer)) == {theirs}


def test_advisers_see_only_the_victims_referred_to_their_organisation(
    referred, adviser, other_support_org
):
    mine, not_referred = referred
    assert list(victim_list(user=adviser)) == [mine]
    with pytest.raises(Victim.DoesNotExist):
        victim_get(user=adviser, victim_id=not_referred.pk)


@pytest.mark.parametrize("role", ["caseworker", "senior", "auditor", "administrator"])
def test_everyone_else_sees_no_victim(request, referred, role):
    assert list(victim_list(user=request.getfixturevalue(role))) == []


def test_an_anonymous_caller_sees_no_victim(referred):
    assert list(victim_list(user=AnonymousUser())) == []


def test_victim_detail_shows_only_the_cases_it_is_given(referred, officer, adviser):
    victim, _ = referred
    second = make_referral(officer, victim_id=victim.pk, case={"crime_reference": "NS/2"})
    for user in (officer, adviser):
        detail = victim_detail(user=user, victim_id=victim.pk, visible_cases=case_list(user=user))
        assert {case.pk for case in detail.visible_cases} == {
            case.pk for case in victim.cases.all()
        }
        assert second.case.pk in {case.pk for case in detail.visible_cases}
    hidden = victim_detail(
        user=officer, victim_id=victim.pk, visible_cases=case_list(user=officer).none()
    )
    assert hidden.visible_cases == []


def test_victim_detail_of_a_victim_not_the_callers_does_not_exist(referred, other_officer):
    victim, _ = referred
    with pytest.raises(Victim.DoesNotExist):
        victim_detail(
            user=other_officer, victim_id=victim.pk, visible_cases=case_list(user=other_officer)
        )
