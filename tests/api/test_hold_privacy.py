"""Another force's case stays invisible, even by its reference in a hold's explanation."""

import pytest
from guardian.shortcuts import assign_perm

from tests.factories import make_referral

pytestmark = pytest.mark.django_db


def test_hold_explanation_hides_the_references_of_another_forces_cases(officer, other_officer, api):
    referral = make_referral(officer)
    # The other force comes to know the same person and refers them for another crime.
    assign_perm("victims.view_victim", other_officer.organisation.group, referral.victim)
    other = make_referral(other_officer, victim_id=referral.victim.pk)

    own_view = api(officer).get(f"/api/v1/victims/{referral.victim.pk}/hold").json()
    text = " ".join(own_view["explanation"])
    assert referral.case.reference in text
    assert other.case.reference not in text
    assert "a case of another force" in text
    for decision in own_view["history"]:
        assert other.case.reference not in " ".join(decision["explanation"])

    other_view = api(other_officer).get(f"/api/v1/victims/{referral.victim.pk}/hold").json()
    other_text = " ".join(other_view["explanation"])
    assert other.case.reference in other_text
    assert referral.case.reference not in other_text
