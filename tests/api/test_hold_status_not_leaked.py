"""Confirming an end and requesting an override tell an IE senior no more about a hold than the
review queue does: a reference that names no hold, and a hold in any status that does not
allow the step, get the same answer (409, one message)."""

import pytest

from protocol.models import EndConfirmation, Override
from protocol.rules import values
from protocol.services import NOT_ENDABLE, NOT_OVERRIDABLE
from tests.hold_states import hold_in

pytestmark = pytest.mark.django_db

UNKNOWN = "H-ZZZZZZ"


@pytest.fixture
def make_hold(officer, senior, senior2, adviser):
    return lambda status: hold_in(
        status, officer=officer, senior=senior, senior2=senior2, adviser=adviser
    )


def confirm_end(client, reference):
    return client.post(
        f"/api/v1/holds/{reference}/confirm-end", {"reason": "left_the_uk"}, format="json"
    )


def request_override(client, reference):
    return client.post(
        "/api/v1/overrides",
        {"hold_reference": reference, "category": "serious_harm_risk", "justification": "x"},
        format="json",
    )


@pytest.mark.parametrize("status", [s for s in values.HOLD_STATUSES if s != "review_due"])
def test_confirm_end_answers_a_hold_not_due_for_review_exactly_like_an_unknown_reference(
    status, make_hold, senior, api
):
    hold = make_hold(status)
    client = api(senior)
    confirmations = EndConfirmation.objects.count()
    unknown = confirm_end(client, UNKNOWN)
    known = confirm_end(client, hold.reference)
    assert (unknown.status_code, unknown.json()) == (409, {"detail": NOT_ENDABLE})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert EndConfirmation.objects.count() == confirmations


def test_confirm_end_of_a_hold_due_for_review_is_answered(make_hold, senior, api):
    hold = make_hold("review_due")
    response = confirm_end(api(senior), hold.reference)
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ended"


@pytest.mark.parametrize(
    "status", [s for s in values.HOLD_STATUSES if s not in values.IN_FORCE_STATUSES]
)
def test_an_override_request_answers_a_hold_not_in_force_exactly_like_an_unknown_reference(
    status, make_hold, senior2, api
):
    hold = make_hold(status)
    client = api(senior2)
    overrides = Override.objects.count()
    unknown = request_override(client, UNKNOWN)
    known = request_override(client, hold.reference)
    assert (unknown.status_code, unknown.json()) == (409, {"detail": NOT_OVERRIDABLE})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert Override.objects.count() == overrides


@pytest.mark.parametrize("status", values.IN_FORCE_STATUSES)
def test_an_override_of_a_hold_in_force_may_be_requested(status, make_hold, senior, api):
    hold = make_hold(status)
    response = request_override(api(senior), hold.reference)
    assert response.status_code == 201, response.json()
    assert Override.objects.filter(hold=hold, status="requested").count() == 1
