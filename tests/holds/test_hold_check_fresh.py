"""A hold check never answers from a decision that lags the facts: a hold behind its facts, or
past its next due date, is evaluated in the check's own transaction first (API and page).

The worker is paused throughout: the re-evaluation the fact change asked for is still waiting
in the real Redis queue when the check answers, so the answer can only be the check's own."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from cases.services import case_status_change
from protocol import services
from protocol.models import Hold, HoldCheck
from protocol.services import evaluation
from tests.pages.conftest import make_review_due, text_of
from tests.worker import queue_length, queued_tasks
from victims.models import Victim

REFERENCE = "R4455667"


def _check(channel: str, user) -> tuple[bool, str]:
    """Check REFERENCE through the API or the page: (in force?, the answer's hold reference)."""
    if channel == "api":
        from rest_framework.test import APIClient

        from accounts.services import token_issue

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[0]}")
        response = client.post(
            "/api/v1/hold-checks", {"home_office_reference": REFERENCE}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()["in_force"], response.json()["hold_reference"]
    client = Client()
    client.force_login(user)
    response = client.post(reverse("hold_check"), {"home_office_reference": REFERENCE})
    assert response.status_code == 200
    text = text_of(response)
    assert ("Hold in force" in text) != ("No hold in force" in text)
    record = HoldCheck.objects.order_by("-at").first()
    return "Hold in force" in text, record.hold.reference if record.hold else None


@pytest.mark.parametrize("channel", ["api", "page"])
def test_a_check_after_a_reopened_investigation_answers_in_force_with_the_worker_paused(
    channel, transactional_db, celery_queue, officer, senior, caseworker
):
    hold = make_review_due(officer, family_name="Okafor", home_office_reference=REFERENCE)
    services.end_confirm(hold_reference=hold.reference, by=senior, reason="left_the_uk")
    assert Hold.objects.get(pk=hold.pk).status == "ended"
    assert _check(channel, caseworker) == (False, None)

    # Police reopen the investigation: a new ground. No worker consumes the queue.
    case = Victim.objects.get(pk=hold.victim_id).cases.get()
    case_status_change(case=case, by=officer, changes={"investigation_status": "reopened"})
    stored = Hold.objects.select_related("victim").get(pk=hold.pk)
    assert (stored.status, stored.in_force) == ("ended", False)  # the stored decision lags
    assert stored.evaluated_version < stored.victim.facts_version
    waiting = queue_length(celery_queue)
    assert waiting >= 1, "the fact change asked a worker to re-evaluate"

    assert _check(channel, caseworker) == (True, hold.reference)

    # The check evaluated the hold itself, in its transaction, and wrote the decision.
    fresh = Hold.objects.select_related("victim").get(pk=hold.pk)
    assert (fresh.status, fresh.in_force) == ("active", True)
    assert fresh.evaluated_version == fresh.victim.facts_version
    latest = fresh.decisions.order_by("-decided_at").first()
    assert (latest.status, latest.trigger) == ("active", "hold_check")  # recorded as the check's
    assert HoldCheck.objects.order_by("-at").first().answered_in_force
    # ...and no worker did: the message is still waiting.
    assert queue_length(celery_queue) == waiting
    assert any(name.endswith("reevaluate_hold") for name, _ in queued_tasks(celery_queue))


@pytest.mark.parametrize("channel", ["api", "page"])
def test_a_check_after_an_override_has_lapsed_answers_in_force(
    channel, transactional_db, celery_queue, monkeypatch, officer, senior, senior2, caseworker
):
    hold = make_review_due(officer, family_name="Mensah", home_office_reference=REFERENCE)
    today = services.today()
    override = services.override_request(
        by=senior,
        hold_reference=hold.reference,
        category="serious_harm_risk",
        justification="Convictions for violence",
        expires_on=today + dt.timedelta(days=2),
    )
    services.override_approve(override_id=override.pk, by=senior2)
    stored = Hold.objects.get(pk=hold.pk)
    assert (stored.status, stored.in_force) == ("overridden", False)
    assert stored.next_due_on is not None
    assert _check(channel, caseworker) == (False, None)

    # Time passes beyond the override's last day; no fact changes, and no sweep runs.
    later = today + dt.timedelta(days=5)
    monkeypatch.setattr(evaluation, "today", lambda: later)
    stored = Hold.objects.select_related("victim").get(pk=hold.pk)
    assert stored.evaluated_version == stored.victim.facts_version  # not lagging: only due
    assert stored.next_due_on <= later

    assert _check(channel, caseworker) == (True, hold.reference)
    fresh = Hold.objects.get(pk=hold.pk)
    assert fresh.in_force and fresh.status != "overridden"
    assert fresh.evaluated_on == later


def test_a_check_of_a_hold_that_does_not_lag_writes_no_decision(
    transactional_db, officer, caseworker
):
    hold = make_review_due(officer, family_name="Novak", home_office_reference=REFERENCE)
    before = hold.decisions.count()
    evaluated_at = Hold.objects.get(pk=hold.pk).evaluated_at
    assert _check("api", caseworker) == (True, hold.reference)
    assert hold.decisions.count() == before
    assert Hold.objects.get(pk=hold.pk).evaluated_at == evaluated_at


def _lagging_namesakes(officer, count: int, family_name: str) -> list:
    """`count` people with one name and date of birth (a check by identity matches them all),
    each hold lagging its facts: charged, and no worker has run."""
    from tests.factories import make_referral

    from .conftest import charge

    referrals = [
        make_referral(
            officer,
            victim={"family_name": family_name},
            case={"reported_on": dt.date(2026, 1, 5), "referred_on": dt.date(2026, 1, 6)},
        )
        for _ in range(count)
    ]
    for referral in referrals:
        charge(officer, referral.case)
    assert len({referral.victim.pk for referral in referrals}) == count
    return referrals


def _check_by_identity(user, family_name: str):
    return services.hold_check(
        user=user, family_name=family_name, given_names="Amina", date_of_birth=dt.date(1990, 5, 17)
    )


def test_the_check_evaluates_all_its_lagging_holds_in_one_batch(db, officer, caseworker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _check_by_identity(caseworker, "Nobody")  # the access log's chain head exists from now on
    statements = {}
    for count, name in ((1, "Batchone"), (3, "Batchthree")):
        referrals = _lagging_namesakes(officer, count, name)
        with CaptureQueriesContext(connection) as queries:
            answer = _check_by_identity(caseworker, name)
        assert answer.in_force
        for referral in referrals:
            hold = Hold.objects.select_related("victim").get(victim=referral.victim)
            assert hold.evaluated_version == hold.victim.facts_version
            assert hold.decisions.order_by("-decided_at").first().trigger == "hold_check"
        statements[count] = len(queries)
    # Three lagging holds cost the check what one does: one lock, one write.
    assert statements[3] == statements[1], statements


def test_a_check_answers_nothing_when_one_of_its_lagging_holds_fails_to_evaluate(
    db, officer, caseworker, monkeypatch
):
    from protocol.rules import evaluate as real_evaluate
    from protocol.snapshot import snapshot_for

    referrals = _lagging_namesakes(officer, 2, "Halfbroken")
    broken_facts = snapshot_for(referrals[1].victim.pk).facts

    def evaluate(facts, on, policy):
        if facts == broken_facts:
            raise ValueError("the rules failed for this one")
        return real_evaluate(facts, on, policy)

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    checks = HoldCheck.objects.count()
    with pytest.raises(evaluation.HoldEvaluationError):
        _check_by_identity(caseworker, "Halfbroken")
    # No answer read from the stale decision, and nothing written: both holds still lag.
    assert HoldCheck.objects.count() == checks
    for referral in referrals:
        hold = Hold.objects.select_related("victim").get(victim=referral.victim)
        assert hold.evaluated_version < hold.victim.facts_version
