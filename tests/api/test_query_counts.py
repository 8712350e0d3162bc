"""Lists and records read in a fixed number of queries, whatever their length (no N+1), and lists
never COUNT the table (cursor pagination)."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import make_chain_heads, record_access
from cases.services import case_status_change
from protocol import services as hold_services
from tests.factories import UserFactory, days_ago, make_referral
from victims.services import support_referral_create

# Authentication, the caller's roles, scoping, the page and the access log's append.
MAX_QUERIES = 16


@pytest.fixture(autouse=True)
def _chain_heads(db):
    """Every access-log chain has its head, as after `migrate` (a flushed database has none, and
    the first event of a chain without one takes two statements more)."""
    with connection.cursor() as cursor:
        make_chain_heads(cursor, settings.AUDIT_CHAINS)


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return [query["sql"] for query in context.captured_queries]


def _grow(w, kind: str, count: int) -> None:
    officer, adviser = w.users["police_officer"], w.users["support_adviser"]
    for index in range(count):
        if kind == "cases":
            referral = make_referral(officer, victim={"family_name": f"Many {kind} {index}"})
            support_referral_create(
                victim=referral.victim,
                by=officer,
                organisation_code="haven",
                consent_given_on=days_ago(1),
            )
            case_status_change(
                case=referral.case, by=officer, changes={"investigation_status": "suspect_bailed"}
            )
        elif kind == "review":
            referral = make_referral(
                officer,
                victim={"family_name": f"Review {index}"},
                case={"reported_on": days_ago(400), "referred_on": days_ago(399)},
            )
            case_status_change(
                case=referral.case,
                by=officer,
                changes={"investigation_status": "no_further_action", "closed_on": days_ago(300)},
            )
            hold_services.hold_reevaluate(victim_id=referral.victim.pk)
        elif kind == "overrides":
            referral = make_referral(officer, victim={"family_name": f"Override {index}"})
            hold_services.override_request(
                by=w.users["ie_senior2"],
                hold_reference=referral.hold.reference,
                category="serious_harm_risk",
                justification="x",
                expires_on=timezone.localdate() + dt.timedelta(days=5),
            )
        elif kind == "users":
            UserFactory(
                role="analyst", organisation=w.orgs["oversight"], email=f"u{index}@o.example"
            )
        elif kind == "events":
            record_access(user=adviser, action="view", object_type="victim", object_id=str(index))
        elif kind == "disclosures":
            from victims.services import disclosure_record

            disclosure_record(
                victim=w.own["victim"],
                organisation=w.orgs["ie"],
                categories=["hold_status"],
                purpose="A check",
            )
        elif kind == "organisations":
            from tests.factories import OrganisationFactory

            OrganisationFactory(kind="support_organisation", code=f"many{index}")


LISTS = [
    ("police_officer", "/api/v1/cases", "cases"),
    ("support_adviser", "/api/v1/cases", "cases"),
    ("police_officer", "/api/v1/cases?status=suspect_bailed&hold_status=active", "cases"),
    ("ie_senior", "/api/v1/holds?status=review_due", "review"),
    ("ie_senior", "/api/v1/overrides", "overrides"),
    ("administrator", "/api/v1/users", "users"),
    ("auditor", "/api/v1/audit-events", "events"),
    ("police_officer", "/api/v1/victims/{victim}/disclosures", "disclosures"),
    ("support_adviser", "/api/v1/organisations?kind=support_organisation", "organisations"),
]


@pytest.mark.parametrize(("role", "url", "kind"), LISTS, ids=[f"{r}-{u}" for r, u, _ in LISTS])
def test_lists_take_a_fixed_number_of_queries_and_never_count(
    w, role, url, kind, django_assert_max_num_queries
):
    url = url.format(victim=w.own["victim"].pk)
    client = w.client(role)
    _grow(w, kind, 2)
    client.get(url)  # warm the per-process caches (content types) first
    few = _queries(client, url)
    _grow(w, kind, 8)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert len(response.json()["results"]) >= 10
    many = _queries(client, url)
    assert len(many) == len(few), "\n".join(many)
    assert not any("COUNT(" in sql.upper() for sql in many)


DETAILS = [
    ("police_officer", "/api/v1/victims/{victim}"),
    ("support_adviser", "/api/v1/victims/{victim}"),
    ("police_officer", "/api/v1/cases/{case}"),
    ("support_adviser", "/api/v1/cases/{case}"),
    ("police_officer", "/api/v1/victims/{victim}/hold"),
]


@pytest.mark.parametrize(("role", "url"), DETAILS, ids=[f"{r}-{u}" for r, u in DETAILS])
def test_records_take_a_fixed_number_of_queries(w, role, url):
    url = url.format(victim=w.own["victim"].pk, case=w.own["case"].pk)
    client = w.client(role)
    client.get(url)  # warm the per-process caches (content types) first
    few = _queries(client, url)
    officer = w.users["police_officer"]
    for index in range(6):  # more cases, status changes and decisions of the same victim
        make_referral(officer, victim_id=w.own["victim"].pk)
        case_status_change(
            case=w.own["case"],
            by=officer,
            changes={"investigation_status": ("suspect_bailed", "reopened")[index % 2]},
        )
        hold_services.hold_reevaluate(victim_id=w.own["victim"].pk)
    many = _queries(client, url)
    assert len(many) == len(few) <= MAX_QUERIES, "\n".join(many)


def _statements(client, method: str, url: str, **kwargs) -> list[str]:
    """The statements of one request, without the transaction's own (BEGIN, COMMIT, savepoints)."""
    with CaptureQueriesContext(connection) as context:
        response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 200, response.content
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [
        query["sql"]
        for query in context.captured_queries
        if not query["sql"].upper().startswith(control)
    ]


def test_a_hold_check_takes_three_statements(w):
    """The token with its user, organisation and roles; the check (the lag test, the choice of
    hold, the check row, the disclosures and the lock of the access log's chain head); the
    access event's append. (It took five: the lag test and the head's lock were their own.)"""
    client = w.client("ie_caseworker")
    url, body = "/api/v1/hold-checks", {"home_office_reference": "B1234567"}
    client.post(url, body, format="json")  # warm the per-process caches first
    statements = _statements(client, "post", url, data=body, format="json")
    assert len(statements) == 3, "\n".join(statements)
    assert "protocol_holdcheck" in statements[1] and "FOR UPDATE" in statements[1]


def test_a_police_case_read_takes_four_statements(w):
    """The token with its user, organisation and roles; the case with its force, victim, hold
    and status history; the access log's chain head locked; the event appended. (It took five:
    the status history was a second query.)"""
    client = w.client("police_officer")
    url = f"/api/v1/cases/{w.own['case'].pk}"
    client.get(url)
    statements = _statements(client, "get", url)
    assert len(statements) == 4, "\n".join(statements)
