"""Auditors, analysts and administrators; API tokens; the audit chain's verification."""

import datetime as dt
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection, transaction
from rest_framework.throttling import ScopedRateThrottle

from accounts.audit import record_access
from accounts.models import AccessEvent, ApiToken, Organisation, User
from cases.models import Case
from protocol.statistics import SUPPRESS_BELOW, suppress
from tests.factories import PASSWORD, make_referral

from .conftest import VICTIM_KEYS, walk_keys

# --- The access log ----------------------------------------------------------------------


def test_auditors_read_the_access_log_with_filters(w):
    w.client("police_officer").get(f"/api/v1/victims/{w.own['victim'].pk}")
    w.client("other_officer").get(f"/api/v1/victims/{w.own['victim'].pk}")
    client = w.client("auditor")
    response = client.get("/api/v1/audit-events", {"object_id": str(w.own["victim"].pk)})
    assert response.status_code == 200
    events = response.json()["results"]
    assert [(e["actor"]["email"], e["outcome"]) for e in events] == [
        ("officer@southshire.example", "denied"),
        ("officer@northshire.example", "allowed"),
    ]
    event = events[1]
    assert set(event) >= {"at", "actor", "action", "object_type", "object_id", "outcome"}
    assert event["actor"] == {
        "email": "officer@northshire.example",
        "role": "police_officer",
        "organisation": "northshire",
    }
    assert event["action"] == "view" and event["object_type"] == "victim"
    denied = client.get("/api/v1/audit-events", {"outcome": "denied"}).json()["results"]
    assert {e["outcome"] for e in denied} == {"denied"}
    today = dt.date.today().isoformat()
    dated = client.get("/api/v1/audit-events", {"since": today, "until": today}).json()
    assert dated["results"]
    bad = client.get("/api/v1/audit-events", {"action": "peek"})
    assert bad.status_code == 400 and "action" in bad.json()
    backwards = client.get("/api/v1/audit-events", {"since": today, "until": "2020-01-01"})
    assert backwards.status_code == 400 and "until" in backwards.json()
    # Reading the log is itself recorded.
    assert AccessEvent.objects.filter(actor_email="auditor@oversight.example").exists()


def test_only_auditors_read_the_access_log(w):
    for role in ("police_officer", "support_adviser", "ie_senior", "analyst", "administrator"):
        assert w.client(role).get("/api/v1/audit-events").status_code == 403
    assert w.client().get("/api/v1/audit-events").status_code == 401


# The chains themselves and `verify_audit`: tests/foundation/test_audit_chain.py.


def test_the_access_log_refuses_updates(w):
    event = record_access(user=w.users["auditor"], action="view", object_type="statistics")
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE accounts_accessevent SET detail='x' WHERE id=%s", [event.pk])


# --- Statistics ----------------------------------------------------------------------------


def test_small_counts_are_suppressed_and_a_lone_one_takes_the_next_with_it():
    cells = suppress([("a", "A", 3), ("b", "B", 0), ("c", "C", 12), ("d", "D", 40)])
    assert [(c.key, c.count, c.suppressed) for c in cells] == [
        ("a", None, True),
        ("b", 0, False),
        ("c", None, True),
        ("d", 40, False),
    ]
    two = suppress([("a", "A", 1), ("b", "B", 2), ("c", "C", 9)])
    assert [c.count for c in two] == [None, None, 9]
    assert SUPPRESS_BELOW == 5


def test_analysts_and_auditors_read_anonymised_counts(w, django_assert_max_num_queries):
    # The world has 6 domestic abuse cases; add 7 of fraud and 2 of hate crime.
    for crime_type, count in (("fraud", 7), ("hate_crime", 2)):
        for index in range(count):
            make_referral(
                w.users["police_officer"],
                victim={"family_name": f"{crime_type} {index}"},
                case={"crime_type": crime_type},
            )
    # A fixed number of statements, whatever the rows: 4 of them (applications, holds leaving
    # force and their median, hold checks) came with the broken-down measures of issue 14.
    with django_assert_max_num_queries(34):
        response = w.client("analyst").get("/api/v1/statistics")
    assert response.status_code == 200
    body = response.json()
    assert not set(walk_keys(body)) & VICTIM_KEYS
    crime = {cell["key"]: cell for cell in body["cases_by_crime_type"]}
    assert crime["fraud"] == {"key": "fraud", "label": "Fraud", "count": 7, "suppressed": False}
    assert crime["hate_crime"] == {
        "key": "hate_crime",
        "label": "Hate crime",
        "count": None,
        "suppressed": True,
    }
    # The lone small count takes the next smallest with it, so it cannot be subtracted out.
    assert crime["domestic_abuse"]["count"] is None and crime["domestic_abuse"]["suppressed"]
    assert crime["sexual_offence"]["count"] == 0
    assert all(
        cell["count"] is None or cell["count"] == 0 or cell["count"] >= SUPPRESS_BELOW
        for table in body.values()
        if isinstance(table, list)
        for cell in table
    )
    actual = Counter(f"{day:%Y-%m}" for day in Case.objects.values_list("referred_on", flat=True))
    # Each month's referrals, counted here from the cases, then suppressed as every table is.
    expected = suppress((month, month, actual[month]) for month in sorted(actual))
    assert [(c["key"], c["count"], c["suppressed"]) for c in body["referrals_by_month"]] == [
        (cell.key, cell.count, cell.suppressed) for cell in expected
    ]
    assert w.client("auditor").get("/api/v1/statistics").status_code == 200
    for role in ("police_officer", "ie_senior", "administrator", "support_adviser"):
        assert w.client(role).get("/api/v1/statistics").status_code == 403


# --- Administrators ------------------------------------------------------------------------


def test_administrators_manage_organisations(w):
    client = w.client("administrator")
    created = client.post(
        "/api/v1/organisations",
        {
            "kind": "support_organisation",
            "code": "lighthouse",
            "name": "Lighthouse",
            "contact": {"team": "Intake", "phone": "0161 496 0000", "email": "in@lh.example"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["contact"] == {
        "team": "Intake",
        "phone": "0161 496 0000",
        "email": "in@lh.example",
    }
    updated = client.post(
        "/api/v1/organisations",
        {"kind": "support_organisation", "code": "lighthouse", "name": "Lighthouse Trust"},
        format="json",
    )
    assert updated.status_code == 200
    assert Organisation.objects.get(code="lighthouse").name == "Lighthouse Trust"
    kinds = client.get("/api/v1/organisations", {"kind": "support_organisation"}).json()
    assert {org["kind"] for org in kinds["results"]} == {"support_organisation"}
    assert "lighthouse" in {org["code"] for org in kinds["results"]}
    assert (
        w.client("police_officer")
        .post(
            "/api/v1/organisations", {"kind": "oversight", "code": "x", "name": "X"}, format="json"
        )
        .status_code
        == 403
    )
    officer_view = w.client("police_officer").get(
        "/api/v1/organisations", {"kind": "support_organisation"}
    )
    assert officer_view.status_code == 200
    assert set(officer_view.json()["results"][0]) == {"code", "name", "kind", "contact"}


def test_administrators_manage_users_and_roles_must_fit(w):
    client = w.client("administrator")
    created = client.post(
        "/api/v1/users",
        {
            "email": "New.Officer@Northshire.example",
            "organisation": "northshire",
            "roles": ["police_officer"],
            "full_name": "New Officer",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["email"] == "new.officer@northshire.example"
    assert body["roles"] == ["police_officer"]
    assert "password" not in body
    misfit = client.post(
        "/api/v1/users",
        {"email": "x@northshire.example", "organisation": "northshire", "roles": ["auditor"]},
        format="json",
    )
    assert misfit.status_code == 400 and "roles" in misfit.json()
    promoted = client.patch(
        f"/api/v1/users/{body['id']}",
        {"roles": ["police_officer", "police_supervisor"]},
        format="json",
    )
    assert promoted.status_code == 200, promoted.json()
    assert promoted.json()["roles"] == ["police_officer", "police_supervisor"]
    moved = client.patch(f"/api/v1/users/{body['id']}", {"organisation": "ie"}, format="json")
    assert moved.status_code == 400 and "roles" in moved.json()  # police roles don't fit IE
    listed = client.get("/api/v1/users", {"organisation": "northshire"}).json()["results"]
    assert "new.officer@northshire.example" in {user["email"] for user in listed}
    assert client.get(f"/api/v1/users/{w.users['auditor'].pk}").status_code == 200
    assert w.client("auditor").get("/api/v1/users").status_code == 403


def test_administrators_see_no_victim_data(w):
    client = w.client("administrator")
    victim, case = w.own["victim"], w.own["case"]
    for path in (
        "/api/v1/cases",
        f"/api/v1/cases/{case.pk}",
        f"/api/v1/victims/{victim.pk}",
        f"/api/v1/victims/{victim.pk}/hold",
        f"/api/v1/victims/{victim.pk}/disclosures",
        "/api/v1/holds",
        "/api/v1/statistics",
        "/api/v1/audit-events",
    ):
        assert client.get(path).status_code == 403, path
    assert (
        client.post(
            "/api/v1/hold-checks", {"home_office_reference": "B1234567"}, format="json"
        ).status_code
        == 403
    )


# --- Tokens --------------------------------------------------------------------------------


def test_a_token_is_issued_for_correct_credentials_and_works(w):
    response = w.client().post(
        "/api/v1/auth/token",
        {"email": "Officer@Northshire.example", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/cases").status_code == 200
    assert ApiToken.objects.filter(key_hash=ApiToken.hash_key(body["token"])).exists()
    assert AccessEvent.objects.filter(action="sign_in", actor=w.users["police_officer"]).exists()


def test_wrong_credentials_do_not_say_which_was_wrong_and_repeated_failures_lock(w):
    client = w.client()
    wrong_password = client.post(
        "/api/v1/auth/token",
        {"email": "officer@northshire.example", "password": "wrong"},
        format="json",
    )
    unknown_email = client.post(
        "/api/v1/auth/token",
        {"email": "nobody@nowhere.example", "password": "wrong"},
        format="json",
    )
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        client.post(
            "/api/v1/auth/token",
            {"email": "officer@northshire.example", "password": "wrong"},
            format="json",
        )
    locked = client.post(
        "/api/v1/auth/token",
        {"email": "officer@northshire.example", "password": PASSWORD},
        format="json",
    )
    assert locked.status_code == 400
    assert "locked" in locked.json()["non_field_errors"][0]
    assert "token" not in locked.json()


def test_token_requests_are_throttled(w, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "token": "2/min"},
    )
    client = w.client()
    for _ in range(2):
        client.post("/api/v1/auth/token", {"email": "a@b.example", "password": "x"}, format="json")
    throttled = client.post(
        "/api/v1/auth/token", {"email": "a@b.example", "password": "x"}, format="json"
    )
    assert throttled.status_code == 429
    # A forwarded-for header of the caller's own choosing does not give it a new budget.
    spoofed = client.post(
        "/api/v1/auth/token",
        {"email": "a@b.example", "password": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert spoofed.status_code == 429


def test_an_expired_or_unknown_token_is_a_401(w):
    ApiToken.objects.filter(user=w.users["police_officer"]).update(expires_at="2000-01-01T00:00Z")
    response = w.client("police_officer").get("/api/v1/cases")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/cases").status_code == 401


def test_an_inactive_user_gets_no_token(w):
    User.objects.filter(pk=w.users["analyst"].pk).update(is_active=False)
    response = w.client().post(
        "/api/v1/auth/token",
        {"email": "analyst@oversight.example", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 400
