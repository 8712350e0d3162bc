"""Helpers for the hold tests: referrals through the real services, and a way to see which
re-evaluations were asked for without sending them."""

import datetime as dt
import uuid

import pytest
from django.core.cache import cache

from cases.models import Case
from cases.services import Referral, case_status_change
from core.normalise import name_key
from protocol import services
from protocol.models import Hold, HoldDecision
from tests.factories import case_data, days_ago, make_referral
from victims import services as victims_services
from victims.models import Victim

HOLD_FIELDS = [field.name for field in Hold._meta.concrete_fields]


def hold_row(victim) -> dict:
    """Every stored field of the victim's hold, as the database has it."""
    return Hold.objects.filter(victim=victim).values(*HOLD_FIELDS).get()


def decisions(victim) -> list[HoldDecision]:
    return list(HoldDecision.objects.filter(hold__victim=victim).order_by("decided_at", "id"))


def no_further_action(officer, case, days: int = 10):
    """The investigation closed with no further action `days` ago (H3's review window)."""
    return case_status_change(
        case=case,
        by=officer,
        changes={
            "investigation_status": "no_further_action",
            "closed_on": days_ago(days),
            "outcome_code": 16,
        },
    )


def charge(officer, case):
    """Charged: the prosecution is awaiting trial (H2)."""
    return case_status_change(
        case=case,
        by=officer,
        changes={
            "investigation_status": "charged",
            "outcome_code": 1,
            "prosecution_status": "awaiting_trial",
            "court": "crown",
        },
    )


def many_referrals(officer, count: int) -> list[Referral]:
    """`count` victims, each with one case under investigation and its hold, quickly: victims
    and cases in two bulk inserts, each hold made by `hold_create` as a referral makes it.
    (Without the grants and notices of a full referral, which these tests do not read.)"""
    victims = Victim.objects.bulk_create(
        Victim(
            given_names="Amina",
            family_name=f"Diallo {number}",
            date_of_birth=dt.date(1990, 5, 17),
            nationality="SEN",
            preferred_language="fr",
            family_name_key=name_key(f"Diallo {number}"),
            given_names_key="amina",
        )
        for number in range(count)
    )
    cases = Case.objects.bulk_create(
        Case(
            victim=victim,
            force=officer.organisation,
            officer=officer,
            **case_data(reported_on=days_ago(300), referred_on=days_ago(299)),
        )
        for victim in victims
    )
    return [
        Referral(victim=victim, case=case, hold=services.hold_create(victim=victim))
        for victim, case in zip(victims, cases, strict=True)
    ]


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[str, str]]:
    """Re-evaluations asked for after commit, recorded instead of sent: (victim id, trigger)."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(
        victims_services,
        "enqueue_reevaluation",
        lambda victim_id, trigger: sent.append((str(victim_id), str(trigger))),
    )
    return sent


def old_referral(officer, **victim):
    """A victim whose crime was reported 300 days ago, investigation under way: `active` on H1.
    (Old enough for every status date the tests give.)"""
    return make_referral(
        officer, victim=victim, case={"reported_on": days_ago(300), "referred_on": days_ago(299)}
    )


@pytest.fixture
def referral(officer):
    return old_referral(officer)


@pytest.fixture(autouse=True)
def recheck_from_the_first_hold():
    """Every test's sweep re-checks from the first hold (the bookmark is kept in Redis, which
    outlives a test), unless the test moves the bookmark itself."""
    cache.set(services.RECHECK_BOOKMARK, str(uuid.UUID(int=0)), timeout=None)
    yield
    cache.delete(services.RECHECK_BOOKMARK)
