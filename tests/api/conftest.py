"""A world of organisations, users of every role, and victims in known states, built once per
module inside a transaction that is rolled back at the end of the module. Each test runs in a
savepoint inside it (pytest-django's `db`), so tests never see each other's changes."""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import token_issue
from cases.services import case_status_change
from protocol import services as hold_services
from protocol.models import Hold
from tests.factories import (
    PASSWORD,
    OrganisationFactory,
    UserFactory,
    days_ago,
    make_referral,
)
from victims.models import PossibleDuplicate
from victims.services import application_create, consent_withdraw, support_referral_create

ROLES = (
    "police_officer",
    "police_supervisor",
    "support_adviser",
    "ie_caseworker",
    "ie_senior",
    "auditor",
    "analyst",
    "administrator",
    "anonymous",
)

# Keys that carry a victim's identity or the crime: only police and advisers may see them.
VICTIM_KEYS = {
    "given_names",
    "family_name",
    "date_of_birth",
    "nationality",
    "home_office_reference",
    "preferred_language",
    "interpreter_needed",
    "address",
    "narrative",
    "dependants",
}
SECRET_KEYS = {"password", "key_hash", "hmac", "prev_hmac"}
HOLD_CHECK_KEYS = {"in_force", "hold_reference", "protected_until", "contact", "check_id"}


@dataclass
class World:
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    own: dict = field(default_factory=dict)
    other: dict = field(default_factory=dict)
    review: dict = field(default_factory=dict)
    # A person whose consent to the referral to the adviser's organisation was withdrawn.
    withdrawn: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)
    spare_hold: str = ""

    def client(self, who: str = "anonymous") -> APIClient:
        """An API client authenticated as the world's user `who` (a role name, or e.g.
        `other_officer`), or anonymous."""
        client = APIClient()
        if who != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[who]}")
        return client

    def scope(self, scope: str) -> dict:
        if scope == "withdrawn":
            return self.withdrawn
        return self.own if scope == "own" else self.other


def _referral(officer, adviser, support_org, *, ho_ref, given, family, dob, dependants=()):
    referral = make_referral(
        officer,
        victim={
            "home_office_reference": ho_ref,
            "given_names": given,
            "family_name": family,
            "date_of_birth": dob,
        },
        dependants=list(dependants),
    )
    engagement = support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=days_ago(20),
    )
    application = application_create(
        victim=referral.victim,
        by=adviser,
        route="asylum",
        status="submitted",
        submitted_on=days_ago(10),
    )
    return {
        "victim": referral.victim,
        "case": referral.case,
        "hold": Hold.objects.get(victim=referral.victim),
        "application": application,
        "referral": engagement,
        "person": {"family_name": family, "given_names": given, "date_of_birth": dob},
        "home_office_reference": ho_ref,
    }


def build_world() -> World:
    world = World()
    orgs = world.orgs
    orgs["force"] = OrganisationFactory(
        kind="police_force", code="northshire", name="Northshire Police"
    )
    orgs["other_force"] = OrganisationFactory(
        kind="police_force", code="southshire", name="Southshire Police"
    )
    orgs["support"] = OrganisationFactory(
        kind="support_organisation", code="haven", name="Haven Migrant Support"
    )
    orgs["other_support"] = OrganisationFactory(
        kind="support_organisation", code="harbour", name="Harbour Advice"
    )
    orgs["third_support"] = OrganisationFactory(
        kind="support_organisation", code="anchor", name="Anchor Advice"
    )
    orgs["ie"] = OrganisationFactory(
        kind="immigration_enforcement", code="ie", name="IE Protocol Unit"
    )
    orgs["oversight"] = OrganisationFactory(
        kind="oversight", code="oversight", name="Protocol Oversight"
    )
    people = {
        "police_officer": ("force", "officer@northshire.example"),
        "police_supervisor": ("force", "supervisor@northshire.example"),
        "support_adviser": ("support", "adviser@haven.example"),
        "ie_caseworker": ("ie", "caseworker@ie.example"),
        "ie_senior": ("ie", "senior@ie.example"),
        "auditor": ("oversight", "auditor@oversight.example"),
        "analyst": ("oversight", "analyst@oversight.example"),
        "administrator": ("oversight", "admin@oversight.example"),
    }
    for role, (org, email) in people.items():
        world.users[role] = UserFactory(role=role, organisation=orgs[org], email=email)
    world.users["ie_senior2"] = UserFactory(
        role="ie_senior", organisation=orgs["ie"], email="senior2@ie.example"
    )
    world.users["other_officer"] = UserFactory(
        role="police_officer", organisation=orgs["other_force"], email="officer@southshire.example"
    )
    world.users["other_adviser"] = UserFactory(
        role="support_adviser", organisation=orgs["other_support"], email="adviser@harbour.example"
    )
    for who, user in world.users.items():
        world.tokens[who] = token_issue(user=user)[0]

    users = world.users
    world.own = _referral(
        users["police_officer"],
        users["support_adviser"],
        orgs["support"],
        ho_ref="B1234567",
        given="Amina",
        family="Diallo",
        dob=dt.date(1990, 5, 17),
        dependants=[
            {"given_names": "Moussa", "family_name": "Diallo", "date_of_birth": dt.date(2018, 3, 2)}
        ],
    )
    world.other = _referral(
        users["other_officer"],
        users["other_adviser"],
        orgs["other_support"],
        ho_ref="C7654321",
        given="Lin",
        family="Wei",
        dob=dt.date(1985, 11, 3),
    )

    world.withdrawn = _referral(
        users["police_officer"],
        users["support_adviser"],
        orgs["support"],
        ho_ref="D2468024",
        given="Nadia",
        family="Haddad",
        dob=dt.date(1993, 7, 21),
    )
    consent_withdraw(
        victim=world.withdrawn["victim"],
        by=users["police_officer"],
        organisation_code=orgs["support"].code,
        withdrawn_on=timezone.localdate(),
    )

    # A hold due for review: an investigation closed with no further action long ago.
    review = make_referral(
        users["police_officer"],
        victim={
            "given_names": "Rosa",
            "family_name": "Marquez",
            "date_of_birth": dt.date(1979, 1, 9),
        },
        case={"reported_on": days_ago(400), "referred_on": days_ago(399)},
    )
    case_status_change(
        case=review.case,
        by=users["police_officer"],
        changes={"investigation_status": "no_further_action", "closed_on": days_ago(300)},
    )
    hold_services.hold_reevaluate(victim_id=review.victim.pk)
    world.review = {"victim": review.victim, "hold": Hold.objects.get(victim=review.victim)}
    assert world.review["hold"].status == "review_due"

    # Overrides: one waiting for a decision, one approved (for revocation).
    for name, approve in (("requested", False), ("approved", True)):
        subject = make_referral(
            users["other_officer"],
            victim={"given_names": "Olu", "family_name": f"Override {name}"},
        )
        override = hold_services.override_request(
            by=users["ie_senior2"],
            hold_reference=subject.hold.reference,
            category="serious_harm_risk",
            justification="Intelligence report 42.",
            expires_on=timezone.localdate() + dt.timedelta(days=30),
        )
        if approve:
            hold_services.override_approve(override_id=override.pk, by=users["ie_senior"])
        world.overrides[name] = override
    # A hold in force with no override, for a new request.
    world.spare_hold = make_referral(
        users["police_officer"], victim={"given_names": "Sam", "family_name": "Spare"}
    ).hold.reference
    return world


def add_possible_duplicates(world: World) -> None:
    """Possible duplicates (for modules that set `POSSIBLE_DUPLICATES`)."""
    users = world.users
    # Possible duplicates: one of a Northshire and a Southshire record ("own" for Northshire's
    # supervisor), one of two Southshire records ("other": not Northshire's to see).
    for scope, officers in (
        ("own", ("police_officer", "other_officer")),
        ("other", ("other_officer", "other_officer")),
    ):
        twins = [
            make_referral(
                users[who], victim={"given_names": "Nadia", "family_name": f"Twin {scope}"}
            )
            for who in officers
        ]
        world.scope(scope)["pair"] = PossibleDuplicate.objects.get(
            first=twins[0].victim, second=twins[1].victim
        )
    # The withdrawn consent concerns an adviser's organisation, not a force's pairs.
    world.withdrawn["pair"] = world.own["pair"]


@pytest.fixture(scope="module")
def world(request, django_db_setup, django_db_blocker) -> World:
    """The world, built once per module and rolled back after it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
            if getattr(request.module, "POSSIBLE_DUPLICATES", False):
                add_possible_duplicates(built)
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def w(world, db) -> World:
    """The world, inside this test's own savepoint."""
    return world


def walk_keys(body):
    """Every key anywhere in a JSON body."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield key
            yield from walk_keys(value)
    elif isinstance(body, list):
        for item in body:
            yield from walk_keys(item)


def assert_role_sees_only_what_it_may(role: str, path: str, body) -> None:
    """No response carries a field the role may not see."""
    keys = set(walk_keys(body))
    assert not keys & SECRET_KEYS, (role, path, keys & SECRET_KEYS)
    if role == "support_adviser":
        assert "narrative" not in keys, path
        for change in _status_changes(body):
            assert set(change) == {"at", "changes"}, path
    if role not in ("police_officer", "police_supervisor", "support_adviser"):
        assert not keys & VICTIM_KEYS, (role, path, keys & VICTIM_KEYS)
    if role in ("ie_caseworker", "ie_senior") and path.endswith("/hold-checks"):
        assert set(body) == HOLD_CHECK_KEYS
        if body["contact"] is not None:
            assert set(body["contact"]) == {"organisation", "team", "phone", "email"}


def _status_changes(body):
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "status_changes":
                yield from value
            else:
                yield from _status_changes(value)
    elif isinstance(body, list):
        for item in body:
            yield from _status_changes(item)


__all__ = ["PASSWORD", "ROLES", "World", "assert_role_sees_only_what_it_may"]
