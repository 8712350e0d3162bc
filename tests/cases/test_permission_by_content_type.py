"""A grant's permission is found by its model's content type and its codename, never by the
codename alone: another app's permission of the same codename (a third-party app's
`view_case`, say) must not decide what police may read."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import F

from accounts.models import User
from cases.selectors import case_get, case_list
from tests.factories import make_referral
from victims.selectors import victim_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def namesakes():
    """A permission of each codename the grants use, on another model (of an app sorted
    first), and the real ones re-written, so that a lookup by codename alone finds the
    namesake first, in Django's ordering of permissions and in the table's order."""
    other = ContentType.objects.get_for_model(User)
    for codename in ("view_case", "view_victim"):
        Permission.objects.create(
            codename=codename, name=f"Namesake {codename}", content_type=other
        )
        Permission.objects.filter(codename=codename).exclude(content_type=other).update(
            name=F("name")
        )


def test_police_read_their_cases_and_victims_whatever_namesake_permissions_exist(
    officer, api, namesakes
):
    referral = make_referral(officer)
    assert list(case_list(user=officer)) == [referral.case]
    assert case_get(user=officer, case_id=referral.case.pk) == referral.case
    assert list(victim_list(user=officer)) == [referral.victim]
    # The one-statement read of a case by the police (raw SQL).
    response = api(officer).get(f"/api/v1/cases/{referral.case.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["reference"] == referral.case.reference
