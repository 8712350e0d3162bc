"""Answers that hold under hostile or careless input: oversized and deeply nested bodies, unknown
API paths, caching of personal data, client-chosen request ids."""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

TEN_MB = 10 * 1024 * 1024


def test_a_10_mb_body_answers_413_json_before_sign_in(client):
    response = client.post("/api/v1/auth/token", data="x" * TEN_MB, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


def test_a_10_mb_form_answers_the_413_page(client):
    response = client.post(
        reverse("accounts:login"),
        data="a=" + "x" * TEN_MB,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "What you sent is too large" in response.content.decode()


def test_deeply_nested_json_answers_400_naming_the_problem(client):
    nested = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/auth/token", data=nested, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_deeply_nested_json_from_a_signed_in_caller_answers_400(api, caseworker):
    nested = '{"home_office_reference": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = api(caseworker).post(
        "/api/v1/hold-checks", data=nested, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/nope", "/api/v1/nope", "/api/v1/cases/", "/api/v2/x"])
@pytest.mark.parametrize("debug", [False, True])
def test_every_unknown_path_under_api_answers_json_404(client, settings, path, debug):
    settings.DEBUG = debug
    for method in ("get", "post", "patch", "delete"):
        response = getattr(client, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json", (method, path)
        assert response.json() == {"detail": "Not found."}


def test_pages_and_api_answers_are_not_stored_by_caches(api, officer):
    victim = make_referral(officer).victim
    signed_in = Client()
    signed_in.force_login(officer)
    answers = [
        api(officer).get(f"/api/v1/victims/{victim.pk}"),
        api(officer).get("/api/v1/cases"),
        api().get("/api/v1/cases"),  # a 401
        signed_in.get(reverse("victims:detail", args=[victim.pk])),
        signed_in.get(reverse("cases:list")),
        Client().get(reverse("accounts:login")),
        Client().get("/no-such-page"),
    ]
    for response in answers:
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, response


def test_a_well_formed_request_id_is_kept_and_tied_to_the_access_event(api, officer):
    supplied = str(uuid.uuid4())
    response = api(officer).get("/api/v1/cases", HTTP_X_REQUEST_ID=supplied)
    assert response["X-Request-ID"] == uuid.UUID(supplied).hex
    assert AccessEvent.objects.order_by("-id").first().request_id == uuid.UUID(supplied).hex


@pytest.mark.parametrize(
    "supplied",
    [
        "abc",
        "x" * 64,
        "<script>",
        "1; DROP TABLE",
        "0" * 31,
        "6ea84dd4-9e08-4e68-a502-cb177cfee46f0",
    ],
)
def test_a_client_chosen_request_id_that_is_not_a_uuid_is_replaced(api, officer, supplied):
    response = api(officer).get("/api/v1/cases", HTTP_X_REQUEST_ID=supplied)
    replaced = response["X-Request-ID"]
    assert replaced != supplied
    assert uuid.UUID(replaced).hex == replaced
    assert AccessEvent.objects.order_by("-id").first().request_id == replaced


def test_the_parser_still_reads_ordinary_json(api, caseworker):
    body = json.dumps({"home_office_reference": "Z9999999"})
    response = api(caseworker).post(
        "/api/v1/hold-checks", data=body, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["in_force"] is False


def test_flash_messages_are_kept_on_the_server_not_in_a_cookie(officer, support_org):
    """A success message may name a person: it lives in the session, not in a readable cookie."""
    victim = make_referral(officer).victim
    client = Client()
    client.force_login(officer)
    today = timezone.localdate()
    response = client.post(
        reverse("victims:support_referral", args=[victim.pk]),
        {
            "organisation": support_org.code,
            "consent_given_on_day": today.day,
            "consent_given_on_month": today.month,
            "consent_given_on_year": today.year,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "messages" not in response.cookies
    page = client.get(response["Location"]).content.decode()
    assert "govuk-notification-banner--success" in page
