"""Every endpoint × every role × own and other organisation's objects: the exact status, no field
the role may not see, and every access (allowed or refused) in the access log."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import AccessEvent

from .conftest import PASSWORD, ROLES, World, assert_role_sees_only_what_it_may

POLICE = ("police_officer", "police_supervisor")
ADVISER = ("support_adviser",)
OWN_200_OTHER_404 = (200, 404)
POSSIBLE_DUPLICATES = True  # the world has a pair of records of each scope


def today() -> str:
    return timezone.localdate().isoformat()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    allowed: dict  # role -> status, or (own status, other status) when `scoped`
    body: Callable | None = None  # (world, scope, role) -> dict
    scoped: bool = False
    # Scoped endpoints are also tried on a person whose consent to the adviser's organisation
    # was withdrawn: its advisers get 404; other roles as for their own (or as listed here).
    withdrawn: dict | None = None

    def url(self, w: World, scope: str) -> str:
        objects = w.scope(scope) if self.scoped else w.own
        return self.path.format(
            victim=objects["victim"].pk,
            case=objects["case"].pk,
            application=objects["application"].pk,
            review_hold=w.review["hold"].reference,
            requested=w.overrides["requested"].pk,
            approved=w.overrides["approved"].pk,
            user=w.users["police_officer"].pk,
            referral=objects["referral"].pk,
            pair=objects["pair"].pk,
        )


def _everyone(status):
    return dict.fromkeys(ROLES, status)


def _each(roles, status):
    return dict.fromkeys(roles, status)


def _token_body(w, scope, role):
    who = "police_officer" if role == "anonymous" else role
    return {"email": w.users[who].email, "password": PASSWORD}


def _referral_body(w, scope, role):
    return {
        "victim": {
            "given_names": "Matrix",
            "family_name": "Person",
            "date_of_birth": "1991-01-01",
            "nationality": "GBR",
            "preferred_language": "en",
        },
        "case": {
            "crime_reference": "MX/1",
            "crime_type": "fraud",
            "role": "victim",
            "reported_on": today(),
            "investigation_status": "reported",
        },
        "notice": {"version": "1", "language": "en", "given_on": today()},
    }


def _hold_check_body(w, scope, role):
    if scope == "own":
        return {"home_office_reference": w.own["home_office_reference"]}
    person = w.other["person"]
    return {**person, "date_of_birth": person["date_of_birth"].isoformat()}


ENDPOINTS = {
    "token": Endpoint("post", "/api/v1/auth/token", _everyone(200), _token_body),
    "organisations list": Endpoint(
        "get", "/api/v1/organisations", _each((*POLICE, *ADVISER, "administrator"), 200)
    ),
    "organisations create": Endpoint(
        "post",
        "/api/v1/organisations",
        {"administrator": 201},
        lambda w, s, r: {"kind": "oversight", "code": "matrix", "name": "Matrix Body"},
    ),
    "users list": Endpoint("get", "/api/v1/users", {"administrator": 200}),
    "users create": Endpoint(
        "post",
        "/api/v1/users",
        {"administrator": 201},
        lambda w, s, r: {
            "email": "matrix@oversight.example",
            "organisation": "oversight",
            "roles": ["analyst"],
        },
    ),
    "user read": Endpoint("get", "/api/v1/users/{user}", {"administrator": 200}),
    "user change": Endpoint(
        "patch",
        "/api/v1/users/{user}",
        {"administrator": 200},
        lambda w, s, r: {"full_name": "Renamed Officer"},
    ),
    "user set-up link": Endpoint(
        "post", "/api/v1/users/{user}/set-up-link", {"administrator": 202}, lambda w, s, r: {}
    ),
    "audit events": Endpoint("get", "/api/v1/audit-events", {"auditor": 200}),
    "referral": Endpoint("post", "/api/v1/referrals", _each(POLICE, 201), _referral_body),
    "cases list": Endpoint("get", "/api/v1/cases", _each((*POLICE, *ADVISER), 200)),
    "case read": Endpoint(
        "get", "/api/v1/cases/{case}", _each((*POLICE, *ADVISER), OWN_200_OTHER_404), scoped=True
    ),
    "case status": Endpoint(
        "post",
        "/api/v1/cases/{case}/status",
        _each(POLICE, OWN_200_OTHER_404),
        lambda w, s, r: {"investigation_status": "suspect_bailed", "note": "Matrix."},
        scoped=True,
    ),
    "victim read": Endpoint(
        "get",
        "/api/v1/victims/{victim}",
        _each((*POLICE, *ADVISER), OWN_200_OTHER_404),
        scoped=True,
    ),
    "support referral": Endpoint(
        "post",
        "/api/v1/victims/{victim}/support-referrals",
        _each(POLICE, (201, 404)),
        lambda w, s, r: {"organisation": "anchor", "consent_given_on": today()},
        scoped=True,
    ),
    "support update": Endpoint(
        "post",
        "/api/v1/victims/{victim}/support",
        _each(ADVISER, OWN_200_OTHER_404),
        lambda w, s, r: {"status": "engaged", "contact_on": today()},
        scoped=True,
    ),
    "application create": Endpoint(
        "post",
        "/api/v1/victims/{victim}/applications",
        _each(ADVISER, (201, 404)),
        lambda w, s, r: {"route": "euss", "status": "submitted", "submitted_on": today()},
        scoped=True,
    ),
    "application change": Endpoint(
        "patch",
        "/api/v1/applications/{application}",
        _each(ADVISER, OWN_200_OTHER_404),
        lambda w, s, r: {"status": "refused", "decided_on": today()},
        scoped=True,
    ),
    "disclosures": Endpoint(
        "get",
        "/api/v1/victims/{victim}/disclosures",
        _each((*POLICE, *ADVISER), OWN_200_OTHER_404),
        scoped=True,
    ),
    "hold": Endpoint(
        "get",
        "/api/v1/victims/{victim}/hold",
        _each((*POLICE, *ADVISER), OWN_200_OTHER_404),
        scoped=True,
    ),
    # IE may check anybody: "other" here is a person referred by another force.
    "hold check": Endpoint(
        "post",
        "/api/v1/hold-checks",
        _each(("ie_caseworker", "ie_senior"), (200, 200)),
        _hold_check_body,
        scoped=True,
    ),
    "review queue": Endpoint("get", "/api/v1/holds?status=review_due", {"ie_senior": 200}),
    "confirm end": Endpoint(
        "post",
        "/api/v1/holds/{review_hold}/confirm-end",
        {"ie_senior": 200},
        lambda w, s, r: {"reason": "duplicate_record"},
    ),
    "overrides list": Endpoint("get", "/api/v1/overrides", {"ie_senior": 200}),
    "override request": Endpoint(
        "post",
        "/api/v1/overrides",
        {"ie_senior": 201},
        lambda w, s, r: {
            "hold_reference": w.spare_hold,
            "category": "foreign_national_offender",
            "justification": "Matrix.",
            "expires_on": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        },
    ),
    "override approve": Endpoint(
        "post", "/api/v1/overrides/{requested}/approve", {"ie_senior": 200}, lambda w, s, r: {}
    ),
    "override reject": Endpoint(
        "post", "/api/v1/overrides/{requested}/reject", {"ie_senior": 200}, lambda w, s, r: {}
    ),
    "override revoke": Endpoint(
        "post",
        "/api/v1/overrides/{approved}/revoke",
        {"ie_senior": 200},
        lambda w, s, r: {"note": "Matrix."},
    ),
    "statistics": Endpoint("get", "/api/v1/statistics", {"analyst": 200, "auditor": 200}),
    "support referrals list": Endpoint(
        "get", "/api/v1/support-referrals", _each((*POLICE, *ADVISER), 200)
    ),
    "support referral accept": Endpoint(
        "post",
        "/api/v1/support-referrals/{referral}/accept",
        _each(ADVISER, OWN_200_OTHER_404),
        lambda w, s, r: {},
        scoped=True,
    ),
    "support referral decline": Endpoint(
        "post",
        "/api/v1/support-referrals/{referral}/decline",
        _each(ADVISER, OWN_200_OTHER_404),
        lambda w, s, r: {"reason": "Matrix."},
        scoped=True,
    ),
    "consent withdrawal": Endpoint(
        "post",
        "/api/v1/victims/{victim}/consent-withdrawals",
        _each((*POLICE, *ADVISER), (201, 404)),
        lambda w, s, r: {"organisation": "haven", "withdrawn_on": today()},
        scoped=True,
        withdrawn=_each(POLICE, 409),
    ),
    "application read": Endpoint(
        "get",
        "/api/v1/applications/{application}",
        _each(ADVISER, OWN_200_OTHER_404),
        scoped=True,
    ),
    # The own application is the adviser's organisation's already: 409.
    "application take-over": Endpoint(
        "post",
        "/api/v1/applications/{application}/take-over",
        _each(ADVISER, (409, 404)),
        lambda w, s, r: {},
        scoped=True,
    ),
    "possible duplicates": Endpoint(
        "get", "/api/v1/possible-duplicates", {"police_supervisor": 200}
    ),
    "possible duplicate merge": Endpoint(
        "post",
        "/api/v1/possible-duplicates/{pair}/merge",
        {"police_supervisor": OWN_200_OTHER_404},
        lambda w, s, r: {},
        scoped=True,
    ),
    "possible duplicate dismiss": Endpoint(
        "post",
        "/api/v1/possible-duplicates/{pair}/dismiss",
        {"police_supervisor": OWN_200_OTHER_404},
        lambda w, s, r: {},
        scoped=True,
    ),
}


def _cases():
    for name, endpoint in ENDPOINTS.items():
        for role in ROLES:
            for scope in ("own", "other", "withdrawn") if endpoint.scoped else ("own",):
                yield pytest.param(name, role, scope, id=f"{name}-{role}-{scope}")


def expected_status(endpoint: Endpoint, role: str, scope: str) -> int:
    if role not in endpoint.allowed:
        return 401 if role == "anonymous" else 403
    status = endpoint.allowed[role]
    if scope == "withdrawn":
        if role in (endpoint.withdrawn or {}):
            return endpoint.withdrawn[role]
        if role in ADVISER:
            return 404
        scope = "own"
    if isinstance(status, tuple):
        return status[0] if scope == "own" else status[1]
    return status


@pytest.mark.parametrize(("name", "role", "scope"), list(_cases()))
def test_access_matrix(w, name, role, scope):
    endpoint = ENDPOINTS[name]
    client = w.client(role)
    url = endpoint.url(w, scope)
    body = endpoint.body(w, scope, role) if endpoint.body else None
    before = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if endpoint.method == "get":
        response = client.get(url)
    else:
        response = getattr(client, endpoint.method)(url, body, format="json")
    expected = expected_status(endpoint, role, scope)
    assert response.status_code == expected, (name, role, scope, response.json())
    assert response["Content-Type"].startswith("application/json")
    assert_role_sees_only_what_it_may(role, url.split("?")[0], response.json())

    if role == "anonymous" and expected == 401:
        return
    who = w.users["police_officer" if role == "anonymous" else role]
    events = AccessEvent.objects.filter(id__gt=before, actor=who)
    outcome = "allowed" if expected < 400 else "denied"
    if expected == 409:  # a conflict rolls back the whole access: nothing allowed is recorded
        assert not events.filter(outcome="allowed").exists()
        return
    assert events.filter(outcome=outcome).exists(), (name, role, scope, outcome)
    if expected >= 400:
        assert not events.filter(outcome="allowed").exists()


PLACEHOLDERS = {
    "{victim}": "{victim_id}",
    "{case}": "{case_id}",
    "{application}": "{application_id}",
    "{review_hold}": "{reference}",
    "{requested}": "{override_id}",
    "{approved}": "{override_id}",
    "{user}": "{user_id}",
    "{referral}": "{referral_id}",
    "{pair}": "{pair_id}",
}


def schema_operation(endpoint: Endpoint) -> tuple[str, str]:
    """The endpoint as the OpenAPI schema names it: `("post", "/api/v1/cases/{case_id}/status")`."""
    path = endpoint.path.split("?")[0]
    for placeholder, name in PLACEHOLDERS.items():
        path = path.replace(placeholder, name)
    return endpoint.method, path


def test_the_matrix_covers_every_api_operation(api, auditor):
    """A new endpoint must be added to the matrix."""
    schema = api(auditor).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "patch", "put", "delete")
    }
    assert operations == {schema_operation(endpoint) for endpoint in ENDPOINTS.values()}
