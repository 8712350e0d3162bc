"""A hold check that cannot be made says so (in process; tests/holds/test_hold_check_outage.py
stops real servers): 503, `{"in_force": null, "detail"}` and `Retry-After` from the API; the
page's warning that no check was made, never the generic error page; and nothing recorded."""

import pytest
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from cases.services import case_status_change
from protocol.middleware import hold_check_unavailable
from protocol.models import Hold, HoldCheck, HoldDecision
from protocol.services import evaluation
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

WARNING = "Do not take any enforcement action against this person until a check succeeds"


@pytest.fixture
def referral(officer):
    return make_referral(officer, victim={"home_office_reference": "B1234567"})


def _api(api, user):
    return api(user).post(
        "/api/v1/hold-checks", {"home_office_reference": "B1234567"}, format="json"
    )


def _page(user):
    client = Client()
    client.force_login(user)
    return client.post(reverse("hold_check"), {"home_office_reference": "B1234567"})


def assert_api_unavailable(response):
    assert response.status_code == 503, response.content
    assert response.json()["in_force"] is None and response.json()["detail"]
    assert set(response.json()) == {"in_force", "detail"}
    assert int(response["Retry-After"]) > 0


def assert_page_unavailable(response):
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "govuk-warning-text" in html and "No check was made" in html and WARNING in html
    assert "No hold in force" not in html and "Hold in force" not in html
    assert "Sorry, there is a problem with the service" not in html


def test_redis_unreachable_answers_503_from_the_api_and_the_page(
    referral, caseworker, api, settings
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: the throttle fails
    assert_api_unavailable(_api(api, caseworker))
    assert_page_unavailable(_page(caseworker))
    assert not HoldCheck.objects.exists()


def test_a_failure_inside_the_check_answers_503_and_records_nothing(
    referral, officer, caseworker, api, monkeypatch
):
    """The rules fail while the check evaluates a lagging hold: no answer, rather than an
    answer from the stale decision."""
    case_status_change(case=referral.case, by=officer, changes={"investigation_status": "reopened"})
    decisions = HoldDecision.objects.count()

    def broken(*args, **kwargs):
        raise RuntimeError("the rules failed")

    monkeypatch.setattr(evaluation, "evaluate", broken)
    assert_api_unavailable(_api(api, caseworker))
    assert_page_unavailable(_page(caseworker))
    assert not HoldCheck.objects.exists()
    assert HoldDecision.objects.count() == decisions
    stored = Hold.objects.select_related("victim").get(pk=referral.hold.pk)
    assert stored.evaluated_version < stored.victim.facts_version  # kept as it was


def test_the_answer_itself_needs_neither_the_database_nor_redis(
    rf, django_assert_num_queries, settings
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens: any Redis call would fail
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": settings.REDIS_URL}}
    with django_assert_num_queries(0):
        api = hold_check_unavailable(rf.post("/api/v1/hold-checks"))
        page = hold_check_unavailable(rf.post("/check-a-hold"))
    assert api.status_code == page.status_code == 503
    assert WARNING in page.content.decode()


def test_the_schema_documents_the_503():
    document = SchemaGenerator().get_schema(request=None, public=True)
    operation = document["paths"]["/api/v1/hold-checks"]["post"]
    unavailable = operation["responses"]["503"]
    assert "Retry-After" in unavailable["headers"]
    schema = unavailable["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    fields = document["components"]["schemas"][name]
    assert set(fields["properties"]) == {"in_force", "detail"}
    assert fields["properties"]["in_force"]["nullable"] is True
