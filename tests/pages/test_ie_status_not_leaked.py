"""The confirm-end and override-request pages tell an IE senior no more about a hold than the
review queue does: a reference that names no hold, and a hold in any status that does not
allow the step, get the same page (404), on opening it and on sending it."""

import pytest
from django.urls import reverse

from cases.services import case_status_change
from protocol.models import EndConfirmation, Hold, Override
from protocol.rules import values
from protocol.services import NOT_ENDABLE
from tests.hold_states import hold_in

from .conftest import error_summary, text_of

pytestmark = pytest.mark.django_db

UNKNOWN = "H-ZZZZZZ"
END = {"reason": "left_the_uk"}
OVERRIDE = {"category": "serious_harm_risk", "justification": "Intelligence report 42."}


@pytest.fixture
def make_hold(officer, senior, senior2, adviser):
    return lambda status: hold_in(
        status, officer=officer, senior=senior, senior2=senior2, adviser=adviser
    )


def _answers(client, page: str, reference: str, data: dict) -> list[tuple[int, str]]:
    url = reverse(page, args=[reference])
    return [
        (response.status_code, text_of(response))
        for response in (client.get(url), client.post(url, data))
    ]


@pytest.mark.parametrize("status", [s for s in values.HOLD_STATUSES if s != "review_due"])
def test_the_confirm_end_page_of_a_hold_not_due_for_review_reads_like_an_unknown_reference(
    status, make_hold, senior, client_for
):
    hold = make_hold(status)
    client = client_for(senior)
    confirmations = EndConfirmation.objects.count()
    unknown = _answers(client, "hold_confirm_end", UNKNOWN, END)
    assert [code for code, _ in unknown] == [404, 404]
    assert _answers(client, "hold_confirm_end", hold.reference, END) == unknown
    assert EndConfirmation.objects.count() == confirmations


@pytest.mark.parametrize(
    "status", [s for s in values.HOLD_STATUSES if s not in values.IN_FORCE_STATUSES]
)
def test_the_override_page_of_a_hold_not_in_force_reads_like_an_unknown_reference(
    status, make_hold, senior2, client_for
):
    hold = make_hold(status)
    client = client_for(senior2)
    overrides = Override.objects.count()
    unknown = _answers(client, "hold_override", UNKNOWN, OVERRIDE)
    assert [code for code, _ in unknown] == [404, 404]
    assert _answers(client, "hold_override", hold.reference, OVERRIDE) == unknown
    assert Override.objects.count() == overrides


@pytest.mark.parametrize("status", values.IN_FORCE_STATUSES)
def test_the_override_page_of_a_hold_in_force_opens(status, make_hold, senior, client_for):
    hold = make_hold(status)
    url = reverse("hold_override", args=[hold.reference])
    assert client_for(senior).get(url).status_code == 200
    assert client_for(senior).post(url, OVERRIDE).status_code == 302
    assert Override.objects.filter(hold=hold, status="requested").exists()


def test_a_hold_no_longer_due_for_review_is_refused_with_the_one_message(
    make_hold, officer, senior, client_for
):
    """The queue listed the hold, but the investigation was reopened since: the end is refused
    on today's facts, saying no more than for any other hold."""
    hold = make_hold("review_due")
    client = client_for(senior)
    url = reverse("hold_confirm_end", args=[hold.reference])
    assert client.get(url).status_code == 200
    case = Hold.objects.get(pk=hold.pk).victim.cases.get()
    case_status_change(case=case, by=officer, changes={"investigation_status": "reopened"})
    assert Hold.objects.get(pk=hold.pk).status == "review_due"  # the stored decision lags
    response = client.post(url, END)
    assert error_summary(response) == [NOT_ENDABLE]
    assert "active" not in text_of(response).lower().replace("interactive", "")
    assert not EndConfirmation.objects.filter(hold=hold).exists()
