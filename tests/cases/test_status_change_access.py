"""Who may record a status change is the service's rule (`case_status_change` applies
`can_change_case` to the case it reads, once, locked), so every caller gets it: police of the
case's own force only. Another force's case is not found (404), a role that may not use the
endpoint at all is refused (403), as API.md says, and the case is left as it was."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, CaseStatusChange
from cases.services import case_status_change
from tests.factories import UserFactory, make_referred

pytestmark = pytest.mark.django_db

CHANGE = {"investigation_status": "suspect_bailed"}


@pytest.fixture
def case(officer, support_org):
    """A case of `officer`'s force whose victim was referred to `support_org` (so its adviser
    can read the case)."""
    return make_referred(officer, support_org).case


def _unchanged(case) -> None:
    assert Case.objects.get(pk=case.pk).investigation_status == case.investigation_status
    assert not CaseStatusChange.objects.filter(case=case).exists()


@pytest.mark.parametrize("who", ["other_officer", "adviser", "caseworker", "senior"])
def test_the_service_refuses_anyone_but_police_of_the_cases_force(request, case, who):
    with pytest.raises(Case.DoesNotExist):
        case_status_change(case=case, by=request.getfixturevalue(who), changes=CHANGE)
    with pytest.raises(Case.DoesNotExist):  # by id too
        case_status_change(case=case.pk, by=request.getfixturevalue(who), changes=CHANGE)
    _unchanged(case)


def test_a_supervisor_of_another_force_may_not_change_the_case(case, other_force):
    supervisor = UserFactory(role="police_supervisor", organisation=other_force)
    with pytest.raises(Case.DoesNotExist):
        case_status_change(case=case, by=supervisor, changes=CHANGE)
    _unchanged(case)


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_officer", 404), ("adviser", 403), ("caseworker", 403), ("auditor", 403)],
)
def test_the_api_answers_404_for_another_force_and_403_for_other_roles(
    request, api, case, who, status
):
    response = api(request.getfixturevalue(who)).post(
        f"/api/v1/cases/{case.pk}/status", CHANGE, format="json"
    )
    assert response.status_code == status, response.content
    _unchanged(case)


@pytest.mark.parametrize(("who", "status"), [("other_officer", 404), ("adviser", 403)])
def test_the_page_answers_404_for_another_force_and_403_for_other_roles(request, case, who, status):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("cases:detail", kwargs={"case_id": case.pk}),
        {**CHANGE, "note": ""},
    )
    assert response.status_code == status
    _unchanged(case)


def test_the_api_reads_the_case_once_to_change_it(api, case, officer):
    client = api(officer)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/v1/cases/{case.pk}/status", CHANGE, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["investigation_status"] == "suspect_bailed"
    # Up to the change's write, the statements that read the case (whose first table is the
    # case table; bar the unique check of `full_clean`, `SELECT 1`; after the write comes the
    # answer, the case as it now stands).
    statements = [query["sql"] for query in queries.captured_queries]
    write = next(
        index for index, sql in enumerate(statements) if sql.startswith('UPDATE "cases_case"')
    )
    case_reads = [
        sql
        for sql in statements[:write]
        if sql.startswith('SELECT "cases_case".')
        and sql.partition(" FROM ")[2].startswith('"cases_case"')
    ]
    assert len(case_reads) == 1, "\n\n".join(case_reads)
    assert "FOR UPDATE" in case_reads[0]
