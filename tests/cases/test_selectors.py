"""`cases.selectors`: what each caller may see of cases, scoped in the selector itself."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cases.models import Case
from cases.selectors import can_change_case, case_get, case_list
from tests.factories import days_ago, make_referral
from victims.services import support_referral_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(officer, other_officer, support_org):
    """Two cases of `officer`'s force (the first victim referred to `support_org`) and one of
    another force."""
    first = make_referral(officer)
    support_referral_create(
        victim=first.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=days_ago(1),
    )
    second = make_referral(officer, victim={"given_names": "Fatou"})
    other = make_referral(other_officer, victim={"given_names": "Awa"})
    return first.case, second.case, other.case


def test_police_see_their_forces_cases_only(cases, officer, other_officer):
    first, second, other = cases
    assert set(case_list(user=officer)) == {first, second}
    assert set(case_list(user=other_officer)) == {other}
    with pytest.raises(Case.DoesNotExist):
        case_get(user=officer, case_id=other.pk)


def test_advisers_see_the_cases_of_victims_referred_to_them(cases, adviser):
    first, _, _ = cases
    assert list(case_list(user=adviser)) == [first]


@pytest.mark.parametrize("role", ["caseworker", "senior", "auditor", "administrator"])
def test_everyone_else_sees_no_case(request, cases, role):
    assert list(case_list(user=request.getfixturevalue(role))) == []


def test_an_anonymous_caller_sees_no_case(cases):
    assert list(case_list(user=AnonymousUser())) == []


def test_only_police_of_the_cases_force_may_change_it(cases, officer, other_officer, adviser):
    first, _, other = cases
    assert can_change_case(user=officer, case=first)
    assert not can_change_case(user=officer, case=other)
    assert not can_change_case(user=other_officer, case=first)
    assert not can_change_case(user=adviser, case=first)
