"""Who may open which page, and what the access log says about it.

Sign-in first; 403 for a role that may not use a page at all; 404 for a record that is not the
caller's (another force's case, a victim not referred to the adviser). Every page records its
access as the API does, through the same helper (`core.permissions.audited`): a read is a
`view` or `list`, a refusal (403 or 404 for what exists) is `denied`, and a write leaves the same
event as the same write through the API, in the write's own transaction.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent
from cases.models import Case, CaseStatusChange
from core import permissions
from protocol.models import EndConfirmation, Hold, Override
from protocol.services import end_confirm, override_approve, override_request
from tests.factories import UserFactory, make_referral
from victims.models import Application, SupportUpdate, Victim
from victims.services import application_create

from .conftest import date_data, error_summary, make_review_due
from .test_referral_journey import walk

pytestmark = pytest.mark.django_db

ROLES = ["officer", "adviser", "caseworker", "senior", "auditor", "analyst", "administrator"]


def today() -> dt.date:
    return timezone.localdate()


@dataclass
class Scene:
    """A victim of the officer's force referred to the adviser's organisation, with an
    application; a hold due for review; an override waiting for a decision and an approved one
    (both asked for by `senior2`)."""

    victim: Victim
    case: Case
    hold: Hold
    application: Application
    review_hold: Hold
    requested: Override
    approved: Override


@pytest.fixture
def scene(referred_to_haven, officer, adviser, senior, senior2) -> Scene:
    application = application_create(
        victim=referred_to_haven.victim,
        by=adviser,
        route="asylum",
        status="submitted",
        submitted_on=today() - dt.timedelta(days=5),
    )
    review_hold = make_review_due(officer, given_names="Rosa", family_name="Marquez")
    overrides = []
    for name, approve in (("requested", False), ("approved", True)):
        subject = make_referral(officer, victim={"given_names": "Olu", "family_name": name})
        override = override_request(
            by=senior2,
            hold_reference=subject.hold.reference,
            category="serious_harm_risk",
            justification="Intelligence report 42.",
            expires_on=today() + dt.timedelta(days=30),
        )
        if approve:
            override_approve(override_id=override.pk, by=senior)
        overrides.append(override)
    return Scene(
        victim=referred_to_haven.victim,
        case=referred_to_haven.case,
        hold=referred_to_haven.hold,
        application=application,
        review_hold=review_hold,
        requested=overrides[0],
        approved=overrides[1],
    )


@dataclass(frozen=True)
class Page:
    url: str
    allowed: set
    # The event of an allowed GET, as (action, object_type, object_id); None: nothing is read.
    event: tuple | None
    # The event of a 403, as the API records one: the action of a GET, the page's object type,
    # and the first object the address names.
    refused: tuple


def _referral(s) -> str:
    """The scene's (or the other world's) referral to the adviser's organisation."""
    return str(s.victim.support_engagements.order_by("created_at").first().pk)


def _pages(s: Scene) -> dict[str, Page]:
    victim, case, hold = str(s.victim.pk), str(s.case.pk), str(s.hold.pk)
    application = str(s.application.pk)
    requested, approved = str(s.requested.pk), str(s.approved.pk)
    police, adviser, both = {"officer"}, {"adviser"}, {"officer", "adviser"}
    return {
        "case list": Page(
            reverse("cases:list"), police, ("list", "case", ""), ("list", "case", "")
        ),
        "referral start": Page(reverse("cases:referral_start"), police, None, ("view", "case", "")),
        "case": Page(
            reverse("cases:detail", args=[case]),
            police,
            ("view", "case", case),
            ("view", "case", case),
        ),
        "referral logged": Page(
            reverse("cases:referral_done", args=[case]),
            police,
            ("view", "case", case),
            ("view", "case", case),
        ),
        "victim list": Page(
            reverse("victims:list"), adviser, ("list", "victim", ""), ("list", "victim", "")
        ),
        "victim": Page(
            reverse("victims:detail", args=[victim]),
            both,
            ("view", "victim", victim),
            ("view", "victim", victim),
        ),
        "victim record": Page(
            reverse("victims:record", args=[victim]),
            both,
            ("view", "victim_record", victim),
            ("view", "victim_record", victim),
        ),
        "support referral": Page(
            reverse("victims:support_referral", args=[victim]),
            police,
            ("view", "victim", victim),
            ("view", "victim", victim),
        ),
        "new application": Page(
            reverse("victims:application_new", args=[victim]),
            adviser,
            ("view", "victim", victim),
            ("view", "victim", victim),
        ),
        "application": Page(
            reverse("victims:application_change", args=[application]),
            adviser,
            ("view", "application", application),
            ("view", "application", application),
        ),
        "support referrals": Page(
            reverse("victims:referrals"),
            both,
            ("list", "support_referral", ""),
            ("list", "support_referral", ""),
        ),
        "referral accept": Page(
            reverse("victims:referral_accept", args=[_referral(s)]),
            adviser,
            ("view", "support_referral", _referral(s)),
            ("view", "support_referral", _referral(s)),
        ),
        "referral decline": Page(
            reverse("victims:referral_decline", args=[_referral(s)]),
            adviser,
            ("view", "support_referral", _referral(s)),
            ("view", "support_referral", _referral(s)),
        ),
        "consent withdrawal": Page(
            reverse("victims:consent_withdrawal", args=[victim]),
            both,
            ("view", "victim", victim),
            ("view", "victim", victim),
        ),
        "check a hold": Page(
            reverse("hold_check"), {"caseworker", "senior"}, None, ("view", "hold_check", "")
        ),
        "review queue": Page(
            reverse("review_queue"), {"senior"}, ("list", "hold", ""), ("list", "hold", "")
        ),
        "overrides": Page(
            reverse("override_list"), {"senior"}, ("list", "override", ""), ("list", "override", "")
        ),
        "hold": Page(
            reverse("hold_detail", args=[s.hold.reference]),
            {"senior"},
            ("view", "hold", hold),
            ("view", "hold", s.hold.reference),
        ),
        "confirm end": Page(
            reverse("hold_confirm_end", args=[s.review_hold.reference]),
            {"senior"},
            ("view", "hold", str(s.review_hold.pk)),
            ("view", "hold", s.review_hold.reference),
        ),
        "override request": Page(
            reverse("hold_override", args=[s.hold.reference]),
            {"senior"},
            ("view", "hold", hold),
            ("view", "override", s.hold.reference),
        ),
        "override decision": Page(
            reverse("override_decide", args=[requested]),
            {"senior"},
            ("view", "override", requested),
            ("view", "override", requested),
        ),
        "override revocation": Page(
            reverse("override_revoke", args=[approved]),
            {"senior"},
            ("view", "override", approved),
            ("view", "override", approved),
        ),
        # Police supervisors only (none of ROLES): see the possible-duplicate tests below.
        "possible duplicates": Page(
            reverse("victims:possible_duplicates"),
            set(),
            ("list", "possible_duplicate", ""),
            ("list", "possible_duplicate", ""),
        ),
        "notifications": Page(
            reverse("notifications"),
            {"officer", "adviser", "senior"},
            ("list", "notification", ""),
            ("list", "notification", ""),
        ),
        # Police supervisors only (tests/lifecycle/test_subject_access.py opens it).
        "subject access": Page(
            reverse("subject_access", args=[victim]), set(), None, ("export", "victim", victim)
        ),
        "subject access pdf": Page(
            reverse("subject_access_pdf", args=[victim]), set(), None, ("export", "victim", victim)
        ),
        **_evaluation_pages(s),
    }


def _evaluation_pages(s: Scene) -> dict[str, Page]:
    """The pages of issue 14: counts only for analysts and auditors; the what-if forecast for
    police and advisers as for the victim."""
    oversight, victim = {"analyst", "auditor"}, str(s.victim.pk)
    return {
        "hold forecast": Page(
            reverse("hold_forecast", args=[victim]),
            {"officer", "adviser"},
            ("view", "victim", victim),
            ("view", "victim", victim),
        ),
        "barrier statistics": Page(
            reverse("statistics"), oversight, ("view", "statistics", ""), ("view", "statistics", "")
        ),
        "barrier statistics csv": Page(
            reverse("statistics_csv"),
            oversight,
            ("export", "statistics", ""),
            ("view", "statistics", ""),
        ),
        "policy simulation": Page(
            reverse("simulation_new"), oversight, None, ("view", "policy_simulation", "")
        ),
        "access log": Page(
            reverse("accounts:audit_log"),
            {"auditor"},
            ("list", "access_event", ""),
            ("list", "access_event", ""),
        ),
        "unreported crime": Page(
            reverse("victims:unreported_crime_new"),
            {"adviser"},
            None,
            ("view", "unreported_crime", ""),
        ),
    }


def events_since(before: int, user) -> list[tuple]:
    """The events `user` left after event `before`, oldest first, as
    (action, object_type, object_id, outcome)."""
    return list(
        AccessEvent.objects.filter(id__gt=before, actor=user)
        .order_by("id")
        .values_list("action", "object_type", "object_id", "outcome")
    )


def last_event_id() -> int:
    return AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_its_pages_gets_403_on_the_others_and_each_is_recorded(
    request, role, scene, client_for
):
    user = request.getfixturevalue(role)
    client = client_for(user)
    for name, page in _pages(scene).items():
        before = last_event_id()
        response = client.get(page.url)
        events = events_since(before, user)
        if role in page.allowed:
            assert response.status_code == 200, f"{role} on {name} ({page.url})"
            expected = [(*page.event, "allowed")] if page.event else []
        else:
            assert response.status_code == 403, f"{role} on {name} ({page.url})"
            assert "You cannot use this page" in response.content.decode()
            expected = [(*page.refused, "denied")]
        assert events == expected, f"{role} on {name}"


@pytest.mark.parametrize("role", ROLES)
def test_the_home_page_records_what_it_lists(request, role, scene, client_for):
    user = request.getfixturevalue(role)
    before = last_event_id()
    assert client_for(user).get(reverse("home")).status_code == 200
    expected = [("list", "case", "", "allowed")] if role == "officer" else []
    assert events_since(before, user) == expected


def test_a_refused_post_is_recorded_as_the_api_records_it(scene, adviser, client_for, api):
    """A 403 for a write names the write's action, as the API's refusal does."""
    url = reverse("victims:support_referral", args=[scene.victim.pk])
    before = last_event_id()
    assert client_for(adviser).post(url, {}).status_code == 403
    page = events_since(before, adviser)
    before = last_event_id()
    api_url = f"/api/v1/victims/{scene.victim.pk}/support-referrals"
    assert api(adviser).post(api_url, {}, format="json").status_code == 403
    assert (
        page
        == events_since(before, adviser)
        == [("create", "victim", str(scene.victim.pk), "denied")]
    )
    event = AccessEvent.objects.order_by("-id").first()
    assert event.detail == f"role may not use POST {api_url}"


def test_anonymous_visitors_are_sent_to_sign_in(scene, client_for):
    client = client_for()
    for page in _pages(scene).values():
        response = client.get(page.url)
        assert response.status_code == 302, page.url
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), page.url
    assert not AccessEvent.objects.filter(actor=None).exists()


def test_another_forces_case_and_victim_do_not_exist_and_each_try_is_recorded(
    referral, other_officer, client_for
):
    client = client_for(other_officer)
    case, victim = str(referral.case.pk), str(referral.victim.pk)
    for url, event in (
        (reverse("cases:detail", args=[case]), ("view", "case", case)),
        (reverse("victims:detail", args=[victim]), ("view", "victim", victim)),
        (reverse("victims:record", args=[victim]), ("view", "victim_record", victim)),
        (reverse("victims:support_referral", args=[victim]), ("view", "victim", victim)),
        (reverse("cases:referral_done", args=[case]), ("view", "case", case)),
    ):
        before = last_event_id()
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.content.decode()
        assert events_since(before, other_officer) == [(*event, "denied")], url
    # Nor can they start a referral naming that victim.
    before = last_event_id()
    response = client.post(reverse("cases:referral_start"), {"victim": victim})
    assert response.status_code == 404
    assert events_since(before, other_officer) == [("view", "victim", victim, "denied")]


def test_what_does_not_exist_at_all_is_a_404_with_nothing_recorded(officer, senior, client_for):
    """As in the API: only an object that exists but is not the caller's is a refusal."""
    unknown = "00000000-0000-0000-0000-000000000000"
    before = last_event_id()
    assert client_for(officer).get(reverse("cases:detail", args=[unknown])).status_code == 404
    assert client_for(senior).get(reverse("hold_detail", args=["H-NOSUCH"])).status_code == 404
    assert events_since(before, officer) == events_since(before, senior) == []


def test_a_hold_ie_may_not_see_is_a_404_recorded_as_denied(review_due_hold, senior, client_for):
    end_confirm(hold_reference=review_due_hold.reference, by=senior, reason="deceased")
    before = last_event_id()
    url = reverse("hold_detail", args=[review_due_hold.reference])
    assert client_for(senior).get(url).status_code == 404
    assert events_since(before, senior) == [("view", "hold", str(review_due_hold.pk), "denied")]


def test_an_adviser_sees_only_victims_referred_to_their_organisation(
    referral, referred_to_haven, officer, other_support_org, client_for
):
    other_adviser = UserFactory(role="support_adviser", organisation=other_support_org)
    unreferred = make_referral(officer, victim={"given_names": "Mei", "family_name": "Chen"})
    client = client_for(other_adviser)
    before = last_event_id()
    assert client.get(reverse("victims:detail", args=[referral.victim.pk])).status_code == 404
    assert events_since(before, other_adviser) == [
        ("view", "victim", str(referral.victim.pk), "denied")
    ]
    listing = client.get(reverse("victims:list")).content.decode()
    assert "Diallo" not in listing and "Chen" not in listing
    assert unreferred.victim.pk  # still exists: just not theirs


# --- Writes: the page leaves the API's event --------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One write made through its page and through the API, by `who` on the scene (`own`) or on
    objects that are not theirs (`other`: another force's or organisation's)."""

    who: str
    page: Any  # (scene, other) -> (url, form data)
    api: Any  # (scene, other) -> (method, path, body)
    scope: str = "own"
    page_status: int = 302
    api_status: int = 200


def _case_status_page(s, o):
    case = o.case if o else s.case
    return reverse("cases:detail", args=[case.pk]), {
        "investigation_status": "suspect_bailed",
        "prosecution_status": "none",
        "note": "Bailed.",
    }


def _case_status_api(s, o):
    case = o.case if o else s.case
    return (
        "post",
        f"/api/v1/cases/{case.pk}/status",
        {
            "investigation_status": "suspect_bailed",
            "note": "Bailed.",
        },
    )


def _victim(s, o):
    return o.victim if o else s.victim


def _application(s, o):
    return o.application if o else s.application


WRITES = {
    "status change": Write("officer", _case_status_page, _case_status_api),
    "status change, another force's case": Write(
        "officer", _case_status_page, _case_status_api, "other", 404, 404
    ),
    "support referral": Write(
        "officer",
        lambda s, o: (
            reverse("victims:support_referral", args=[_victim(s, o).pk]),
            {"organisation": "harbour", **date_data("consent_given_on", today())},
        ),
        lambda s, o: (
            "post",
            f"/api/v1/victims/{_victim(s, o).pk}/support-referrals",
            {"organisation": "harbour", "consent_given_on": today().isoformat()},
        ),
        api_status=201,
    ),
    "support update": Write(
        "adviser",
        lambda s, o: (
            reverse("victims:detail", args=[_victim(s, o).pk]),
            {"status": "engaged", **date_data("contact_on", today())},
        ),
        lambda s, o: (
            "post",
            f"/api/v1/victims/{_victim(s, o).pk}/support",
            {"status": "engaged", "contact_on": today().isoformat()},
        ),
    ),
    "application": Write(
        "adviser",
        lambda s, o: (
            reverse("victims:application_new", args=[_victim(s, o).pk]),
            {"route": "euss", "status": "submitted", **date_data("submitted_on", today())},
        ),
        lambda s, o: (
            "post",
            f"/api/v1/victims/{_victim(s, o).pk}/applications",
            {"route": "euss", "status": "submitted", "submitted_on": today().isoformat()},
        ),
        api_status=201,
    ),
    "application change": Write(
        "adviser",
        lambda s, o: (
            reverse("victims:application_change", args=[_application(s, o).pk]),
            {"status": "refused", **date_data("decided_on", today())},
        ),
        lambda s, o: (
            "patch",
            f"/api/v1/applications/{_application(s, o).pk}",
            {"status": "refused", "decided_on": today().isoformat()},
        ),
    ),
    "end confirmation": Write(
        "senior",
        lambda s, o: (
            reverse("hold_confirm_end", args=[s.review_hold.reference]),
            {"reason": "left_the_uk"},
        ),
        lambda s, o: (
            "post",
            f"/api/v1/holds/{s.review_hold.reference}/confirm-end",
            {"reason": "left_the_uk"},
        ),
    ),
    "override request": Write(
        "senior",
        lambda s, o: (
            reverse("hold_override", args=[s.hold.reference]),
            {"category": "serious_harm_risk", "justification": "Risk."},
        ),
        lambda s, o: (
            "post",
            "/api/v1/overrides",
            {
                "hold_reference": s.hold.reference,
                "category": "serious_harm_risk",
                "justification": "Risk.",
            },
        ),
        api_status=201,
    ),
    "override approval": Write(
        "senior",
        lambda s, o: (
            reverse("override_decide", args=[s.requested.pk]),
            {"decision": "approve"},
        ),
        lambda s, o: ("post", f"/api/v1/overrides/{s.requested.pk}/approve", {}),
    ),
    "override rejection": Write(
        "senior",
        lambda s, o: (reverse("override_decide", args=[s.requested.pk]), {"decision": "reject"}),
        lambda s, o: ("post", f"/api/v1/overrides/{s.requested.pk}/reject", {}),
    ),
    "override decided by the senior who asked": Write(
        "senior2",
        lambda s, o: (reverse("override_decide", args=[s.requested.pk]), {"decision": "approve"}),
        lambda s, o: ("post", f"/api/v1/overrides/{s.requested.pk}/approve", {}),
        page_status=200,
        api_status=403,
    ),
    "override revocation": Write(
        "senior",
        lambda s, o: (reverse("override_revoke", args=[s.approved.pk]), {"note": "Dropped."}),
        lambda s, o: ("post", f"/api/v1/overrides/{s.approved.pk}/revoke", {"note": "Dropped."}),
    ),
}
WRITES |= {
    "referral accept": Write(
        "adviser",
        lambda s, o: (reverse("victims:referral_accept", args=[_referral(o or s)]), {}),
        lambda s, o: ("post", f"/api/v1/support-referrals/{_referral(o or s)}/accept", {}),
    ),
    "referral decline": Write(
        "adviser",
        lambda s, o: (
            reverse("victims:referral_decline", args=[_referral(o or s)]),
            {"reason": "No capacity."},
        ),
        lambda s, o: (
            "post",
            f"/api/v1/support-referrals/{_referral(o or s)}/decline",
            {"reason": "No capacity."},
        ),
    ),
    "consent withdrawal": Write(
        "officer",
        lambda s, o: (
            reverse("victims:consent_withdrawal", args=[_victim(s, o).pk]),
            {"organisation": "haven", **date_data("withdrawn_on", today())},
        ),
        lambda s, o: (
            "post",
            f"/api/v1/victims/{_victim(s, o).pk}/consent-withdrawals",
            {"organisation": "haven", "withdrawn_on": today().isoformat()},
        ),
        api_status=201,
    ),
}
WRITES["consent withdrawal by the adviser"] = Write(
    "adviser", WRITES["consent withdrawal"].page, WRITES["consent withdrawal"].api, api_status=201
)
WRITES["consent withdrawal, another force's victim"] = Write(
    "officer",
    WRITES["consent withdrawal"].page,
    WRITES["consent withdrawal"].api,
    "other",
    404,
    404,
)
for _name in ("referral accept", "referral decline"):
    WRITES[f"{_name}, another organisation's"] = Write(
        "adviser", WRITES[_name].page, WRITES[_name].api, "other", 404, 404
    )
WRITES["support referral, another force's victim"] = Write(
    "officer", WRITES["support referral"].page, WRITES["support referral"].api, "other", 404, 404
)
for _name in ("support update", "application", "application change"):
    WRITES[f"{_name}, another organisation's"] = Write(
        "adviser", WRITES[_name].page, WRITES[_name].api, "other", 404, 404
    )


@dataclass
class Other:
    victim: Victim
    case: Case
    application: Application


@pytest.fixture
def other(other_officer, other_support_org) -> Other:
    """Another force's referral, referred to another organisation, with an application."""
    from victims.services import support_referral_create

    other_adviser = UserFactory(
        role="support_adviser", organisation=other_support_org, email="adviser@harbour.example"
    )
    referral = make_referral(other_officer, victim={"given_names": "Lin", "family_name": "Wei"})
    support_referral_create(
        victim=referral.victim,
        by=other_officer,
        organisation_code=other_support_org.code,
        consent_given_on=today(),
    )
    application = application_create(
        victim=referral.victim,
        by=other_adviser,
        route="asylum",
        status="submitted",
        submitted_on=today(),
    )
    return Other(victim=referral.victim, case=referral.case, application=application)


def _known_ids() -> set[str]:
    known = set()
    for model in (Victim, Case, Application, Override, Hold):
        known.update(str(pk) for pk in model.objects.values_list("pk", flat=True))
    return known


def _writes_only(events: list[tuple], known: set[str]) -> list[tuple]:
    """The events that are not page reads, with the ids of objects the write created read as
    `new` (the page and the API each create their own)."""
    return sorted(
        (action, object_type, object_id if object_id in known else "new", outcome)
        for action, object_type, object_id, outcome in events
        if action != "view"
    )


def _undone(do):
    """Run `do` in a savepoint rolled back afterwards: the scene is as before for the next."""
    with transaction.atomic():
        result = do()
        transaction.set_rollback(True)
    return result


@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_through_a_page_leaves_the_event_the_api_leaves(
    request, name, scene, other, client_for, api
):
    write = WRITES[name]
    user = request.getfixturevalue(write.who)
    others = other if write.scope == "other" else None
    known = _known_ids()

    def through_page():
        url, data = write.page(scene, others)
        before = last_event_id()
        response = client_for(user).post(url, data)
        assert response.status_code == write.page_status, (name, response.status_code)
        return events_since(before, user)

    def through_api():
        method, path, body = write.api(scene, others)
        before = last_event_id()
        response = getattr(api(user), method)(path, body, format="json")
        assert response.status_code == write.api_status, (name, response.json())
        return events_since(before, user)

    page_events = _undone(through_page)
    api_events = _undone(through_api)
    assert api_events, name
    assert _writes_only(page_events, known) == _writes_only(api_events, known), name
    # What else the page recorded is its read of the object it shows, allowed.
    reads = [event for event in page_events if event[0] == "view"]
    assert all(event[3] == "allowed" for event in reads), reads
    outcome = "allowed" if write.api_status < 400 else "denied"
    assert {event[3] for event in _writes_only(page_events, known)} == {outcome}


def test_a_referral_logged_through_the_pages_leaves_the_events_the_api_leaves(
    officer, client_for, api
):
    client = client_for(officer)
    check = walk(client)
    before = last_event_id()
    assert client.post(check).status_code == 302
    case = Case.objects.get()
    assert events_since(before, officer) == [
        ("create", "victim", str(case.victim_id), "allowed"),
        ("create", "case", str(case.pk), "allowed"),
    ]
    body = {
        "victim": {
            "given_names": "Ada",
            "family_name": "Obi",
            "date_of_birth": "1991-01-01",
            "nationality": "GBR",
            "preferred_language": "en",
        },
        "case": {
            "crime_reference": "NS/2",
            "crime_type": "fraud",
            "role": "victim",
            "reported_on": today().isoformat(),
            "investigation_status": "reported",
        },
        "notice": {"version": "2026-01", "language": "en", "given_on": today().isoformat()},
    }
    before = last_event_id()
    assert api(officer).post("/api/v1/referrals", body, format="json").status_code == 201
    created = Case.objects.exclude(pk=case.pk).get()
    assert events_since(before, officer) == [
        ("create", "victim", str(created.victim_id), "allowed"),
        ("create", "case", str(created.pk), "allowed"),
    ]


# --- A write and its event are one transaction ------------------------------------------------


def test_a_write_the_service_refuses_leaves_no_event(referral, officer, client_for):
    url = reverse("cases:detail", args=[referral.case.pk])
    before = last_event_id()
    response = client_for(officer).post(
        url,
        {
            "investigation_status": "no_further_action",
            "prosecution_status": "none",
            **date_data("closed_on", referral.case.reported_on - dt.timedelta(days=1)),
        },
    )
    assert response.status_code == 200  # the page again, saying what to fix
    assert error_summary(response)[0].startswith(
        "This date is before the date the crime was reported"
    )
    assert CaseStatusChange.objects.count() == 0
    # Only the page shown again is recorded: no change.
    assert events_since(before, officer) == [("view", "case", str(referral.case.pk), "allowed")]


@pytest.mark.parametrize(
    ("role", "url", "data", "written"),
    [
        (
            "officer",
            lambda r: reverse("cases:detail", args=[r.case.pk]),
            {"investigation_status": "suspect_bailed", "prosecution_status": "none"},
            lambda: CaseStatusChange.objects.exists(),
        ),
        (
            "adviser",
            lambda r: reverse("victims:detail", args=[r.victim.pk]),
            {"status": "engaged", **date_data("contact_on", today())},
            lambda: SupportUpdate.objects.exists(),
        ),
    ],
    ids=["status change", "support update"],
)
def test_a_write_whose_event_cannot_be_recorded_is_undone(
    request, monkeypatch, referred_to_haven, client_for, role, url, data, written
):
    """The event is written in the write's transaction: if it fails, nothing is written."""
    real = permissions.record_access

    def failing(**event):
        if event["action"] == "change" and event["outcome"] == "allowed":
            raise DatabaseError("the access log refused the event")
        return real(**event)

    monkeypatch.setattr(permissions, "record_access", failing)
    user = request.getfixturevalue(role)
    with pytest.raises(DatabaseError):
        client_for(user).post(url(referred_to_haven), data)
    assert not written()
    assert not AccessEvent.objects.filter(action="change").exists()


def test_an_end_confirmed_through_the_page_is_recorded_with_it(review_due_hold, senior, client_for):
    before = last_event_id()
    url = reverse("hold_confirm_end", args=[review_due_hold.reference])
    assert client_for(senior).post(url, {"reason": "left_the_uk"}).status_code == 302
    confirmation = EndConfirmation.objects.get()
    event = AccessEvent.objects.get(id__gt=before, action="change")
    assert (event.object_type, event.object_id, event.outcome) == (
        "hold",
        str(review_due_hold.pk),
        "allowed",
    )
    assert event.detail == f"end of {review_due_hold.reference} confirmed: left_the_uk"
    assert confirmation.confirmed_by == senior


# --- Consent withdrawn: the organisation's pages answer 404 for the person --------------------


def test_after_consent_is_withdrawn_every_page_of_the_organisation_is_a_404_for_the_person(
    scene, officer, adviser, support_org, client_for
):
    """The "consent withdrawn" column of the page table: the adviser's organisation had every
    page for the person; after the withdrawal each is a 404, recorded as denied, and the
    lists no longer name them, but for the notification of the withdrawal itself (which names
    the person's reference only, as API.md has it). The police keep theirs."""
    from protocol.services.support import consent_withdraw

    pages = _pages(scene)
    adviser_pages = [name for name, page in pages.items() if "adviser" in page.allowed]
    client = client_for(adviser)
    assert all(client.get(pages[name].url).status_code == 200 for name in adviser_pages)
    consent_withdraw(
        victim=scene.victim, by=officer, organisation_code=support_org.code, withdrawn_on=today()
    )
    for name in adviser_pages:
        page = pages[name]
        before = last_event_id()
        response = client.get(page.url)
        if page.event is None or page.event[0] == "list":
            assert response.status_code == 200, name
            if name != "notifications":  # which tells the organisation, by reference, of it
                assert scene.victim.reference not in response.content.decode(), name
            continue
        assert response.status_code == 404, name
        assert events_since(before, adviser) == [(*page.event, "denied")], name
    posts = (
        reverse("victims:detail", args=[scene.victim.pk]),
        reverse("victims:application_take_over", args=[scene.application.pk]),
        reverse("victims:referral_accept", args=[_referral(scene)]),
    )
    for url in posts:
        assert client.post(url, {"status": "engaged"}).status_code == 404, url
    for name in ("victim", "victim record", "consent withdrawal"):
        assert client_for(officer).get(pages[name].url).status_code == 200, name


# --- Possible duplicates: police supervisors only ----------------------------------------------


@pytest.fixture
def duplicate_pair(officer, other_officer):
    """A Northshire and a Southshire record that may be one person, and a pair of two
    Southshire records (not Northshire's to see)."""
    from victims.models import PossibleDuplicate

    pairs = []
    for family, officers in (("Twin", (officer, other_officer)), ("Other", (other_officer,) * 2)):
        twins = [
            make_referral(who, victim={"given_names": "Nadia", "family_name": family})
            for who in officers
        ]
        pairs.append(PossibleDuplicate.objects.get(first=twins[0].victim, second=twins[1].victim))
    return pairs


@pytest.fixture
def supervisor(force):
    return UserFactory(
        role="police_supervisor", organisation=force, email="supervisor@northshire.example"
    )


def test_a_supervisor_opens_the_duplicates_page_and_it_is_recorded(
    duplicate_pair, supervisor, client_for
):
    before = last_event_id()
    response = client_for(supervisor).get(reverse("victims:possible_duplicates"))
    assert response.status_code == 200
    own, other = duplicate_pair
    assert own.first.reference in response.text
    assert other.first.reference not in response.text  # two records of another force only
    assert events_since(before, supervisor) == [("list", "possible_duplicate", "", "allowed")]


@pytest.mark.parametrize("decision", ["merge", "dismiss"])
def test_a_decision_through_the_page_leaves_the_event_the_api_leaves(
    decision, duplicate_pair, supervisor, client_for, api
):
    own, _ = duplicate_pair

    def through_page():
        before = last_event_id()
        url = reverse("victims:possible_duplicate_decide", args=[own.pk])
        response = client_for(supervisor).post(url, {"decision": decision})
        assert response.status_code == 302
        return events_since(before, supervisor)

    def through_api():
        before = last_event_id()
        response = api(supervisor).post(f"/api/v1/possible-duplicates/{own.pk}/{decision}")
        assert response.status_code == 200, response.json()
        return events_since(before, supervisor)

    page_events, api_events = _undone(through_page), _undone(through_api)
    assert page_events == api_events == [("change", "possible_duplicate", str(own.pk), "allowed")]


@pytest.mark.parametrize("decision", ["merge", "dismiss"])
def test_another_forces_pair_does_not_exist_and_the_try_is_recorded(
    decision, duplicate_pair, supervisor, officer, client_for
):
    _, other = duplicate_pair
    url = reverse("victims:possible_duplicate_decide", args=[other.pk])
    before = last_event_id()
    assert client_for(supervisor).post(url, {"decision": decision}).status_code == 404
    assert events_since(before, supervisor) == [
        ("change", "possible_duplicate", str(other.pk), "denied")
    ]
    before = last_event_id()
    assert client_for(officer).post(url, {"decision": decision}).status_code == 403
    assert events_since(before, officer) == [
        ("change", "possible_duplicate", str(other.pk), "denied")
    ]
    assert other.__class__.objects.get(pk=other.pk).status == "open"
