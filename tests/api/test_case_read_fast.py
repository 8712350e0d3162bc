"""Police's case read is answered from one statement and a plain function
(`cases.selectors.police_case`, `cases.api.serializers.police_case_data`) instead of the ORM
and PoliceCaseSerializer: the answer must be the serializer's, field for field, and the scope
the same as `case_list`'s."""

import pytest
from django.contrib.auth.models import Permission

from cases import selectors
from cases.api.serializers import PoliceCaseSerializer, police_case_data
from cases.models import Case, CaseGroupObjectPermission
from cases.services import case_status_change
from tests.factories import make_referral


def _serialized(user, case_id) -> dict:
    return dict(PoliceCaseSerializer(selectors.case_detail(user=user, case_id=case_id)).data)


@pytest.mark.parametrize("changes", [0, 3])
def test_the_police_answer_is_the_serializers(w, changes):
    officer = w.users["police_officer"]
    referral = make_referral(officer, victim={"family_name": "Serializer"})
    case = referral.case
    for index in range(changes):
        case_status_change(
            case=case,
            by=officer,
            changes={"investigation_status": ("suspect_bailed", "reopened")[index % 2]},
            note=f"Note {index}",
        )
    if changes:
        case_status_change(
            case=case,
            by=officer,
            changes={"investigation_status": "no_further_action", "closed_on": case.reported_on},
        )
    response = w.client("police_officer").get(f"/api/v1/cases/{case.pk}")
    assert response.status_code == 200
    expected = _serialized(officer, case.pk)
    assert response.json() == expected
    assert list(response.json()) == list(expected)  # the same fields in the same order
    assert len(response.json()["status_changes"]) == (changes + 1 if changes else 0)
    assert police_case_data(selectors.police_case(user=officer, case_id=case.pk)) == expected


def test_the_scope_is_case_lists(w):
    """Another force's case, an adviser, and a case of the force whose grant to the force is
    gone: none is read, as `case_list` reads none of them."""
    officer = w.users["police_officer"]
    mine = make_referral(officer, victim={"family_name": "Scoped"}).case
    theirs = w.other["case"]
    assert selectors.police_case(user=officer, case_id=mine.pk)["id"] == mine.pk
    with pytest.raises(Case.DoesNotExist):
        selectors.police_case(user=officer, case_id=theirs.pk)
    with pytest.raises(Case.DoesNotExist):
        selectors.police_case(user=w.users["support_adviser"], case_id=mine.pk)
    view_case = Permission.objects.get(codename="view_case")
    CaseGroupObjectPermission.objects.filter(content_object=mine, permission=view_case).delete()
    # ...even with a grant to another organisation's group left on it.
    CaseGroupObjectPermission.objects.create(
        content_object=mine, group_id=theirs.force.group_id, permission=view_case
    )
    assert not selectors.case_list(user=officer).filter(pk=mine.pk).exists()
    with pytest.raises(Case.DoesNotExist):
        selectors.police_case(user=officer, case_id=mine.pk)
    response = w.client("police_officer").get(f"/api/v1/cases/{mine.pk}")
    assert response.status_code == 404
