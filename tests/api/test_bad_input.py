"""Bad input on every endpoint: malformed JSON, wrong types, unknown values, impossible and
future dates, over-long strings, missing fields. Always a 400 naming the field (nested as in
the request body), never a 500, and nothing written."""

import base64
import datetime as dt
import json

import pytest
from django.apps import apps
from django.db.models import Sum
from django.utils import timezone

from .conftest import World

TOMORROW = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
TODAY = timezone.localdate().isoformat()


def referral(**changes) -> dict:
    body = {
        "victim": {
            "given_names": "Bad",
            "family_name": "Input",
            "date_of_birth": "1990-01-01",
            "nationality": "GBR",
            "preferred_language": "en",
        },
        "case": {
            "crime_reference": "BI/1",
            "crime_type": "fraud",
            "role": "victim",
            "reported_on": TODAY,
            "investigation_status": "reported",
        },
        "dependants": [{"given_names": "Kid", "family_name": "Input", "date_of_birth": TODAY}],
        "notice": {"version": "2026-01", "language": "en", "given_on": TODAY},
    }
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return body


DELETE = object()
REFERRAL = ("police_officer", "post", "/api/v1/referrals")


def case_status(w):
    return ("police_officer", "post", f"/api/v1/cases/{w.own['case'].pk}/status")


def support_referral(w):
    return ("police_officer", "post", f"/api/v1/victims/{w.own['victim'].pk}/support-referrals")


def support_update(w):
    return ("support_adviser", "post", f"/api/v1/victims/{w.own['victim'].pk}/support")


def application_create(w):
    return ("support_adviser", "post", f"/api/v1/victims/{w.own['victim'].pk}/applications")


def application_change(w):
    return ("support_adviser", "patch", f"/api/v1/applications/{w.own['application'].pk}")


HOLD_CHECK = ("ie_caseworker", "post", "/api/v1/hold-checks")
OVERRIDES = ("ie_senior", "post", "/api/v1/overrides")


def confirm_end(w):
    return ("ie_senior", "post", f"/api/v1/holds/{w.review['hold'].reference}/confirm-end")


def approve(w):
    return ("ie_senior", "post", f"/api/v1/overrides/{w.overrides['requested'].pk}/approve")


TOKEN = ("anonymous", "post", "/api/v1/auth/token")
ORGANISATIONS = ("administrator", "post", "/api/v1/organisations")
USERS = ("administrator", "post", "/api/v1/users")


def user_change(w):
    return ("administrator", "patch", f"/api/v1/users/{w.users['analyst'].pk}")


def override(**changes):
    body = {"hold_reference": "H-AAAAAA", "category": "national_security", "justification": "x"}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not DELETE}


CASES = [
    # -- referral: every kind of bad input, nested field names
    (REFERRAL, b'{"victim": ', ("detail",)),
    (REFERRAL, b"[1, 2]", ("non_field_errors",)),
    (REFERRAL, b'"just a string"', ("non_field_errors",)),
    (REFERRAL, referral(victim__date_of_birth=19900101), ("victim", "date_of_birth")),
    (REFERRAL, referral(victim__date_of_birth="1990-02-30"), ("victim", "date_of_birth")),
    (REFERRAL, referral(victim__date_of_birth="0001-01-01"), ("victim", "date_of_birth")),
    (REFERRAL, referral(victim__date_of_birth=TOMORROW), ("victim", "date_of_birth")),
    (REFERRAL, referral(victim__given_names=123), ("victim", "given_names")),
    (REFERRAL, referral(victim__given_names="x" * 201), ("victim", "given_names")),
    (REFERRAL, referral(victim__given_names="nul\x00byte"), ("victim", "given_names")),
    (REFERRAL, referral(victim__given_names=""), ("victim", "given_names")),
    (REFERRAL, referral(victim__nationality="SE"), ("victim", "nationality")),
    (REFERRAL, referral(victim__nationality="S3N"), ("victim", "nationality")),
    (REFERRAL, referral(victim__nationality=DELETE), ("victim", "nationality")),
    (REFERRAL, referral(victim__preferred_language="fra"), ("victim", "preferred_language")),
    (REFERRAL, referral(victim__interpreter_needed="yes"), ("victim", "interpreter_needed")),
    (REFERRAL, referral(victim__address="x" * 2001), ("victim", "address")),
    (REFERRAL, referral(victim="Bad Input"), ("victim", "non_field_errors")),
    (REFERRAL, referral(victim_id="not-a-uuid"), ("victim_id",)),
    (REFERRAL, referral(victim_id="5f0c6d1e-0000-4000-8000-000000000000"), ("victim",)),
    (REFERRAL, referral(case__crime_type="arson"), ("case", "crime_type")),
    (REFERRAL, referral(case__crime_type=["fraud"]), ("case", "crime_type")),
    (REFERRAL, referral(case__role="bystander"), ("case", "role")),
    (REFERRAL, referral(case__investigation_status=None), ("case", "investigation_status")),
    (REFERRAL, referral(case__reported_on=TOMORROW), ("case", "reported_on")),
    (REFERRAL, referral(case__reported_on="2026-13-01"), ("case", "reported_on")),
    (REFERRAL, referral(case__referred_on="2020-01-01"), ("case", "referred_on")),
    (REFERRAL, referral(case__crime_reference="x" * 61), ("case", "crime_reference")),
    (REFERRAL, referral(case__narrative="x" * 20_001), ("case", "narrative")),
    (REFERRAL, referral(case=DELETE), ("case",)),
    (REFERRAL, referral(notice=DELETE), ("notice",)),
    (REFERRAL, referral(notice__given_on=TOMORROW), ("notice", "given_on")),
    (REFERRAL, referral(notice__language="english"), ("notice", "language")),
    (REFERRAL, referral(dependants__0__date_of_birth=TOMORROW), ("dependants", 0, "date_of_birth")),
    (REFERRAL, referral(dependants__0__family_name=DELETE), ("dependants", 0, "family_name")),
    (REFERRAL, referral(dependants={"a": 1}), ("dependants",)),
    # -- case status
    (case_status, {}, ("non_field_errors",)),
    (case_status, {"note": "only a note"}, ("non_field_errors",)),
    (case_status, {"investigation_status": "solved"}, ("investigation_status",)),
    (case_status, {"outcome_code": "14"}, ("outcome_code",)),
    (case_status, {"outcome_code": 23}, ("outcome_code",)),
    (case_status, {"outcome_code": True}, ("outcome_code",)),
    (case_status, {"outcome_code": 10**30}, ("outcome_code",)),
    (case_status, {"closed_on": TOMORROW}, ("closed_on",)),
    (
        case_status,
        {"concluded_on": "2020-01-01", "prosecution_status": "acquitted"},
        ("concluded_on",),
    ),
    (case_status, {"prosecution_status": "sentenced", "concluded_on": TODAY}, ("court",)),
    (case_status, {"court": "supreme"}, ("court",)),
    (case_status, {"investigation_status": "reported", "note": "x" * 5001}, ("note",)),
    (case_status, {"investigation_status": "under_investigation"}, ("non_field_errors",)),
    # -- support referral, update
    (support_referral, {"organisation": "anchor"}, ("consent_given_on",)),
    (support_referral, {"organisation": "anchor", "consent_given_on": None}, ("consent_given_on",)),
    (
        support_referral,
        {"organisation": "anchor", "consent_given_on": TOMORROW},
        ("consent_given_on",),
    ),
    (support_referral, {"organisation": 7, "consent_given_on": TODAY}, ("organisation",)),
    (
        support_referral,
        {"organisation": "northshire", "consent_given_on": TODAY},
        ("organisation",),
    ),
    (support_update, {}, ("status",)),
    (support_update, {"status": "happy"}, ("status",)),
    (support_update, {"status": "engaged", "contact_on": TOMORROW}, ("contact_on",)),
    (support_update, {"status": "engaged", "note": "x" * 5001}, ("note",)),
    (support_update, {"status": "engaged", "closed_on": TODAY}, ("closed_on",)),
    # -- applications
    (
        application_create,
        {"route": "visa", "status": "submitted", "submitted_on": TODAY},
        ("route",),
    ),
    (application_create, {"route": "nrm", "status": "granted", "submitted_on": TODAY}, ("status",)),
    (
        application_create,
        {"route": "asylum", "status": "submitted", "submitted_on": TOMORROW},
        ("submitted_on",),
    ),
    (application_create, {"route": "asylum", "status": "submitted"}, ("submitted_on",)),
    (
        application_create,
        {"route": "asylum", "status": "refused", "submitted_on": TODAY, "decided_on": "2020-01-01"},
        ("decided_on",),
    ),
    (
        application_create,
        {
            "route": "asylum",
            "status": "submitted",
            "submitted_on": TODAY,
            "leave_expires_on": "2030-01-01",
        },
        ("leave_expires_on",),
    ),
    (application_change, {}, ("non_field_errors",)),
    (application_change, {"status": 5}, ("status",)),
    (application_change, {"decided_on": "yesterday"}, ("decided_on",)),
    # -- hold checks
    (
        HOLD_CHECK,
        {"family_name": "A", "given_names": "B", "date_of_birth": TOMORROW},
        ("date_of_birth",),
    ),
    (
        HOLD_CHECK,
        {"family_name": "A", "given_names": "B", "date_of_birth": "17/05/1990"},
        ("date_of_birth",),
    ),
    (
        HOLD_CHECK,
        {"family_name": "x" * 201, "given_names": "B", "date_of_birth": TODAY},
        ("family_name",),
    ),
    (HOLD_CHECK, {"home_office_reference": "x" * 41}, ("home_office_reference",)),
    (HOLD_CHECK, {"home_office_reference": 1234567}, ("home_office_reference",)),
    (HOLD_CHECK, {"home_office_reference": "B1", "date_of_birth": TODAY}, ("non_field_errors",)),
    (HOLD_CHECK, {"given_names": "B", "date_of_birth": TODAY}, ("family_name",)),
    # -- overrides, end confirmation
    (OVERRIDES, override(category="other"), ("category",)),
    (OVERRIDES, override(justification=DELETE), ("justification",)),
    (OVERRIDES, override(justification="   "), ("justification",)),
    (OVERRIDES, override(expires_on="soon"), ("expires_on",)),
    (OVERRIDES, override(hold_reference="H-" + "A" * 20), ("hold_reference",)),
    (confirm_end, {}, ("reason",)),
    (confirm_end, {"reason": "bored"}, ("reason",)),
    (approve, {"note": 123}, ("note",)),
    # -- accounts
    (TOKEN, {"email": "not-an-email", "password": "x"}, ("email",)),
    (TOKEN, {"email": "a@b.example"}, ("password",)),
    (TOKEN, b"email=a@b.example", ("detail",)),
    (ORGANISATIONS, {"kind": "club", "code": "c", "name": "C"}, ("kind",)),
    (ORGANISATIONS, {"kind": "oversight", "code": "has space", "name": "C"}, ("code",)),
    (
        ORGANISATIONS,
        {
            "kind": "oversight",
            "code": "c",
            "name": "C",
            "contact": {"team": "T", "phone": "1", "email": "nope"},
        },
        ("contact", "email"),
    ),
    (USERS, {"email": "u@x.example", "organisation": "oversight", "roles": []}, ("roles",)),
    (USERS, {"email": "u@x.example", "organisation": "oversight", "roles": ["king"]}, ("roles",)),
    (
        USERS,
        {"email": "u@x.example", "organisation": "nowhere", "roles": ["analyst"]},
        ("organisation",),
    ),
    (user_change, {"organisation": "northshire"}, ("roles",)),
    (
        USERS,
        {"email": "u@x.example", "organisation": "northshire", "roles": ["auditor"]},
        ("roles",),
    ),
    (user_change, {"password": "password"}, ("password",)),
]

QUERY_CASES = [
    ("police_officer", "/api/v1/cases", {"status": "solved"}, ("status",)),
    ("police_officer", "/api/v1/cases", {"hold_status": "paused"}, ("hold_status",)),
    ("police_officer", "/api/v1/cases", {"cursor": "ü"}, ("cursor",)),
    (
        "police_officer",
        "/api/v1/cases",
        {"cursor": base64.b64encode(b"p=not-a-date").decode()},
        ("cursor",),
    ),
    ("auditor", "/api/v1/audit-events", {"since": TOMORROW}, ("since",)),
    ("auditor", "/api/v1/audit-events", {"action": "peek"}, ("action",)),
    ("auditor", "/api/v1/audit-events", {"object_type": "x" * 41}, ("object_type",)),
    (
        "auditor",
        "/api/v1/audit-events",
        {"cursor": base64.b64encode(b"p=abc").decode()},
        ("cursor",),
    ),
    ("police_officer", "/api/v1/organisations", {"kind": "club"}, ("kind",)),
    ("ie_senior", "/api/v1/holds", {"status": "active"}, ("status",)),
    ("ie_senior", "/api/v1/overrides", {"status": "maybe"}, ("status",)),
    ("administrator", "/api/v1/users", {"role": "king"}, ("role",)),
]


def _written_state():
    """Row counts of every table of the service's apps, and the sum of facts versions."""
    counts = {
        model._meta.label: model._default_manager.count()
        for app in ("accounts", "victims", "cases", "protocol")
        for model in apps.get_app_config(app).get_models()
    }
    victim = apps.get_model("victims", "Victim")
    counts["facts_version"] = victim.objects.aggregate(total=Sum("facts_version"))["total"]
    return counts


def _has_path(errors, path) -> bool:
    node = errors
    for part in map(str, path):  # list items are keyed by their index, as DRF does
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return bool(node)


def _send(w: World, target, body):
    role, method, url = target(w) if callable(target) else target
    client = w.client(role)
    if isinstance(body, bytes):
        return getattr(client, method)(url, body, content_type="application/json")
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(
    ("target", "body", "path"),
    CASES,
    ids=[f"{i}-{'.'.join(map(str, case[2]))}" for i, case in enumerate(CASES)],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(w, target, body, path):
    before = _written_state()
    response = _send(w, target, body)
    assert response.status_code == 400, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    errors = response.json()
    assert _has_path(errors, path), errors
    assert _written_state() == before


@pytest.mark.parametrize(
    ("role", "url", "params", "path"),
    QUERY_CASES,
    ids=[f"{case[1]}-{'.'.join(case[3])}-{i}" for i, case in enumerate(QUERY_CASES)],
)
def test_bad_query_parameters_are_a_400_naming_the_parameter(w, role, url, params, path):
    before = _written_state()
    response = w.client(role).get(url, params)
    assert response.status_code == 400, (response.status_code, response.content[:500])
    assert _has_path(response.json(), path), response.json()
    assert _written_state() == before


def test_service_errors_with_dotted_keys_are_nested_like_serializer_errors():
    from core.api import nested_errors

    assert nested_errors(
        {
            "case.reported_on": ["a"],
            "dependants[1].date_of_birth": ["b"],
            "victim": ["c"],
            "victim.date_of_birth": ["d"],
            "__all__": ["e"],
        }
    ) == {
        "case": {"reported_on": ["a"]},
        "dependants": {"1": {"date_of_birth": ["b"]}},
        "victim": {"non_field_errors": ["c"], "date_of_birth": ["d"]},
        "non_field_errors": ["e"],
    }


def test_a_non_json_body_is_refused_in_json(w):
    response = w.client("police_officer").post(
        "/api/v1/referrals", "victim=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert "detail" in response.json()
    assert json.loads(response.content)
