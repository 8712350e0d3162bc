"""The hold services: created with the referral, re-evaluated idempotently, history written only
on change, evaluation failures kept on the safe side, re-evaluation asked for after commit."""

import datetime as dt

import pytest
from django.db import transaction

from config.celery import app
from protocol import services
from protocol.models import Hold
from protocol.rules import evaluate as real_evaluate
from protocol.services import evaluation
from protocol.snapshot import snapshot_for
from protocol.tasks import reevaluate_hold
from tests.factories import days_ago, make_referral
from tests.worker import queue_length, queued_tasks
from victims.models import Victim

from .conftest import charge, decisions, hold_row, no_further_action, old_referral


def _failing_evaluation(monkeypatch, *, only_victims=None):
    """Make the pure engine raise (for `only_victims`' facts, or for all). The engine takes no
    facts the database can hold that make it raise, so this is the only way to see a failure."""
    calls = []
    target_facts = None
    if only_victims is not None:
        target_facts = {snapshot_for(victim.pk).facts for victim in only_victims}

    def evaluate(facts, on, policy):
        if target_facts is None or facts in target_facts:
            calls.append(facts)
            raise ValueError("the engine broke")
        return real_evaluate(facts, on, policy)

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    return calls


# --- Creation ------------------------------------------------------------------------------------


def test_a_referral_creates_its_hold_in_force_in_the_same_transaction(
    officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        referral = make_referral(officer)
        # Still inside the referral's transaction: the hold is there, decided, in force.
        hold = Hold.objects.get(victim=referral.victim)
        assert hold.status == "active"
        assert hold.in_force is True
        assert hold.grounds == ["investigation_ongoing"]
        assert hold.evaluated_version == Victim.objects.get(pk=referral.victim.pk).facts_version
        assert [decision.trigger for decision in decisions(referral.victim)] == ["referral"]
        assert referral.hold.reference == hold.reference
    # No worker was needed: nothing was left for after the commit.
    assert callbacks == []


def test_a_referral_whose_evaluation_fails_still_gets_a_hold_in_force(
    officer, monkeypatch, django_capture_on_commit_callbacks, enqueued
):
    calls = _failing_evaluation(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(officer)
    assert calls, "the engine was asked"
    hold = Hold.objects.get(victim=referral.victim)
    assert hold.in_force is True
    assert hold.status == "active"
    assert "data_incomplete" in hold.flags
    assert hold.explanation[0].startswith("H0:")
    assert hold.evaluated_version == 0  # lags its facts: the sweep will evaluate it again
    assert enqueued == [(str(referral.victim.pk), "referral")]
    assert decisions(referral.victim) == []  # history holds only what the rules decided

    monkeypatch.setattr(evaluation, "evaluate", real_evaluate)
    assert services.hold_reevaluate(victim_id=referral.victim.pk) is True
    hold.refresh_from_db()
    assert hold.grounds == ["investigation_ongoing"]
    assert hold.flags == []
    assert hold.evaluated_version == referral.victim.facts_version
    assert len(decisions(referral.victim)) == 1


# --- Re-evaluation -------------------------------------------------------------------------------


def test_reevaluation_is_idempotent(referral, officer, enqueued):
    before = hold_row(referral.victim)
    assert services.hold_reevaluate(victim_id=referral.victim.pk) is False
    assert services.hold_reevaluate(victim_id=referral.victim.pk) is False
    after = hold_row(referral.victim)
    assert {k: v for k, v in after.items() if k != "evaluated_at"} == {
        k: v for k, v in before.items() if k != "evaluated_at"
    }
    assert len(decisions(referral.victim)) == 1

    no_further_action(officer, referral.case)
    assert services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status") is True
    changed = hold_row(referral.victim)
    assert services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status") is False
    assert services.hold_reevaluate(victim_id=referral.victim.pk) is False
    again = hold_row(referral.victim)
    assert {k: v for k, v in again.items() if k != "evaluated_at"} == {
        k: v for k, v in changed.items() if k != "evaluated_at"
    }
    assert [d.trigger for d in decisions(referral.victim)] == ["referral", "case_status"]


def test_a_decision_is_written_only_when_it_changed(referral, officer, enqueued):
    # Another ongoing investigation status: same grounds, same status. The explanation follows
    # the facts, but the decision did not change, so no history is written.
    from cases.services import case_status_change

    case_status_change(
        case=referral.case, by=officer, changes={"investigation_status": "suspect_bailed"}
    )
    assert services.hold_reevaluate(victim_id=referral.victim.pk) is False
    row = hold_row(referral.victim)
    assert row["status"] == "active"
    assert any("suspect_bailed" in line for line in row["explanation"])
    assert row["evaluated_version"] == Victim.objects.get(pk=referral.victim.pk).facts_version
    assert len(decisions(referral.victim)) == 1

    # Closed with no further action ten days ago: H3's review window replaces H1.
    no_further_action(officer, referral.case)
    assert services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status") is True
    row = hold_row(referral.victim)
    assert row["grounds"] == ["review_window"]
    assert row["protected_until"] == days_ago(10) + dt.timedelta(days=90 + 28)
    history = decisions(referral.victim)
    assert [d.trigger for d in history] == ["referral", "case_status"]
    latest = history[-1]
    assert latest.grounds == ["review_window"]
    assert latest.facts_version == row["evaluated_version"]
    assert latest.facts["cases"][0]["investigation"]["status"] == "no_further_action"
    assert latest.ruleset == row["ruleset"]
    assert set(latest.ruleset) == {"version", "policy"}
    # The status did not change (active to active): its `since` did not move either.
    assert row["status_since"] == history[0].decided_at


def test_status_since_moves_only_when_the_status_changes(referral, officer, enqueued):
    created = hold_row(referral.victim)["status_since"]
    no_further_action(officer, referral.case, days=100)  # window closed: grace period
    services.hold_reevaluate(victim_id=referral.victim.pk)
    row = hold_row(referral.victim)
    assert row["status"] == "ending"
    assert row["status_since"] > created


def test_a_policy_change_is_a_new_decision(referral, settings):
    from protocol.policy import current_policy

    settings.HOLD_POLICY = {"grace_days": 60}
    current_policy.cache_clear()
    try:
        assert services.hold_reevaluate(victim_id=referral.victim.pk) is True
        row = hold_row(referral.victim)
        assert row["ruleset"]["policy"]["grace_days"] == 60
        assert len(decisions(referral.victim)) == 2
    finally:
        current_policy.cache_clear()


def test_when_evaluation_raises_the_stored_hold_is_kept_exactly(
    referral, officer, monkeypatch, enqueued
):
    no_further_action(officer, referral.case, days=200)  # would end the H1 ground
    before = hold_row(referral.victim)
    _failing_evaluation(monkeypatch)
    with pytest.raises(services.HoldEvaluationError, match=before["reference"]):
        services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")
    assert hold_row(referral.victim) == before
    assert before["in_force"] is True
    assert len(decisions(referral.victim)) == 1
    # Still lagging its facts, so the sweep will try again.
    victim = Victim.objects.get(pk=referral.victim.pk)
    assert before["evaluated_version"] < victim.facts_version


def test_the_task_retries_a_failing_evaluation_and_never_lifts_the_hold(
    referral, officer, monkeypatch, enqueued
):
    no_further_action(officer, referral.case, days=200)
    before = hold_row(referral.victim)
    calls = _failing_evaluation(monkeypatch)
    # Run eagerly: Celery re-runs the task at once on each retry, up to max_retries.
    result = reevaluate_hold.apply(args=[str(referral.victim.pk), "case_status"])
    assert result.state == "FAILURE"
    assert isinstance(result.result, services.HoldEvaluationError)
    assert len(calls) == 1 + reevaluate_hold.max_retries
    assert hold_row(referral.victim) == before

    monkeypatch.setattr(evaluation, "evaluate", real_evaluate)
    result = reevaluate_hold.apply(args=[str(referral.victim.pk), "case_status"])
    assert result.state == "SUCCESS"
    assert result.result is True
    assert hold_row(referral.victim)["status"] == "review_due"  # past grace: still in force


def test_the_task_ignores_victims_without_a_hold_and_junk_ids(db):
    import uuid

    assert reevaluate_hold.apply(args=[str(uuid.uuid4()), "case_status"]).result is False
    assert reevaluate_hold.apply(args=["not-a-uuid", "case_status"]).result is False


def test_a_batch_evaluates_the_others_when_one_evaluation_raises(officer, monkeypatch, enqueued):
    referrals = [old_referral(officer) for _ in range(3)]
    for item in referrals:
        no_further_action(officer, item.case)
    broken = referrals[1]
    before = hold_row(broken.victim)
    _failing_evaluation(monkeypatch, only_victims=[broken.victim])
    result = services.holds_reevaluate_batch(
        hold_ids=[item.hold.pk for item in referrals], trigger="command"
    )
    assert result.failed == [broken.hold.reference]
    assert (result.evaluated, result.changed) == (2, 2)
    assert hold_row(broken.victim) == before
    for item in (referrals[0], referrals[2]):
        assert hold_row(item.victim)["grounds"] == ["review_window"]


def test_a_batch_that_fails_as_a_whole_is_tried_hold_by_hold(officer, monkeypatch, enqueued):
    referrals = [old_referral(officer) for _ in range(3)]
    for item in referrals:
        no_further_action(officer, item.case)
    real_snapshot = evaluation.snapshot_from_row
    broken_victim = referrals[0].victim.pk

    def snapshot_from_row(victim_id, columns):
        if victim_id == broken_victim:
            raise ValueError("a fact the database cannot hand over")
        return real_snapshot(victim_id, columns)

    monkeypatch.setattr(evaluation, "snapshot_from_row", snapshot_from_row)
    before = hold_row(referrals[0].victim)
    result = services.holds_reevaluate_batch(
        hold_ids=[item.hold.pk for item in referrals], trigger="command"
    )
    assert result.failed == [referrals[0].hold.reference]
    assert (result.evaluated, result.changed) == (2, 2)
    assert hold_row(referrals[0].victim) == before


# --- Asking for re-evaluation after commit -------------------------------------------------------


def test_a_fact_change_bumps_the_version_and_enqueues_only_on_commit(
    referral, officer, celery_queue, django_capture_on_commit_callbacks
):
    version = Victim.objects.get(pk=referral.victim.pk).facts_version
    with django_capture_on_commit_callbacks() as callbacks:
        charge(officer, referral.case)
        assert Victim.objects.get(pk=referral.victim.pk).facts_version == version + 1
        assert queue_length(celery_queue) == 0  # not before the commit
    assert queue_length(celery_queue) == 0
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the message goes to the real broker
    assert queued_tasks(celery_queue) == [
        ("protocol.tasks.reevaluate_hold", [str(referral.victim.pk), "case_status"])
    ]
    # The hold is untouched until a worker evaluates it: it lags its facts.
    assert hold_row(referral.victim)["evaluated_version"] == version


def test_a_rolled_back_change_neither_bumps_nor_enqueues(
    referral, officer, django_capture_on_commit_callbacks
):
    version = Victim.objects.get(pk=referral.victim.pk).facts_version
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        charge(officer, referral.case)
        raise RuntimeError("the request failed after the change")
    assert callbacks == []
    assert Victim.objects.get(pk=referral.victim.pk).facts_version == version


def test_a_message_that_cannot_be_sent_does_not_fail_the_change(
    referral, officer, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(app, "send_task", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        change = charge(officer, referral.case)
    assert change.pk is not None
    assert "the sweep will pick it up" in caplog.text
    victim = Victim.objects.get(pk=referral.victim.pk)
    assert hold_row(referral.victim)["evaluated_version"] < victim.facts_version
