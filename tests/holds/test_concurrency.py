"""Two evaluations of the same hold at once: the later-locking one never replaces a decision
made on newer facts with one made on older facts."""

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from protocol import services
from protocol.models import Hold
from protocol.services import evaluation
from protocol.snapshot import Snapshot, snapshot_for
from tests.locks import sessions_waiting_for_locks
from victims.models import Victim

from .conftest import decisions, hold_row, no_further_action, old_referral


def test_an_evaluation_of_older_facts_never_replaces_a_newer_one(officer, enqueued):
    referral = old_referral(officer)
    stale = snapshot_for(referral.victim.pk)  # facts as they were: investigation ongoing
    no_further_action(officer, referral.case)
    services.hold_reevaluate(victim_id=referral.victim.pk)
    newer = hold_row(referral.victim)
    assert newer["grounds"] == ["review_window"]

    with transaction.atomic():
        [(stored, _)] = evaluation._lock(victim_id=referral.victim.pk)
        result = evaluation._apply([(stored, stale)], services.today(), "sweep")

    assert result.changed == 0
    assert hold_row(referral.victim) == newer
    assert len(decisions(referral.victim)) == 2


def test_the_evaluated_version_never_goes_back(officer, enqueued):
    referral = old_referral(officer)
    no_further_action(officer, referral.case)
    services.hold_reevaluate(victim_id=referral.victim.pk)
    newer = hold_row(referral.victim)
    with transaction.atomic():
        [(stored, fresh)] = evaluation._lock(victim_id=referral.victim.pk)
        # The same facts, read as if at an older version: the decision is the same, so only
        # the bookkeeping would be written, and it must not lower the version.
        older = Snapshot(fresh.victim_id, fresh.facts_version - 1, fresh.facts)
        evaluation._apply([(stored, older)], services.today(), "sweep")
    assert hold_row(referral.victim) == newer


@pytest.mark.django_db(transaction=True)
def test_an_evaluation_that_waited_for_the_lock_does_not_undo_the_one_it_waited_for(
    officer, enqueued
):
    """B starts reading while A holds the lock; the facts change; A evaluates the new facts and
    commits; B, let in at last, read its facts before the change and must write nothing."""
    referral = old_referral(officer)
    victim_id = referral.victim.pk
    a_has_lock, change_committed, b_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def evaluation_a():
        try:
            with transaction.atomic():
                Hold.objects.select_for_update().get(victim_id=victim_id)
                a_has_lock.set()
                assert change_committed.wait(timeout=20)
                services.hold_reevaluate(victim_id=victim_id, trigger="case_status")
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    def evaluation_b():
        try:
            services.hold_reevaluate(victim_id=victim_id, trigger="sweep")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            b_done.set()
            connection.close()

    thread_a = threading.Thread(target=evaluation_a)
    thread_a.start()
    assert a_has_lock.wait(timeout=10)
    thread_b = threading.Thread(target=evaluation_b)
    thread_b.start()
    deadline = time.monotonic() + 10
    while not sessions_waiting_for_locks():  # B has taken its snapshot and waits for A's lock
        assert time.monotonic() < deadline, "B never waited for the lock"
        time.sleep(0.01)
    no_further_action(officer, referral.case)  # the facts change while B waits
    change_committed.set()
    thread_a.join(timeout=20)
    thread_b.join(timeout=20)
    assert not errors, errors
    assert b_done.is_set()

    row = hold_row(referral.victim)
    assert row["grounds"] == ["review_window"]  # A's decision, on the newer facts, stands
    assert row["evaluated_version"] == Victim.objects.get(pk=victim_id).facts_version
    assert [d.trigger for d in decisions(referral.victim)] == ["referral", "case_status"]


@pytest.mark.django_db(transaction=True)
def test_a_write_that_fails_keeps_the_previous_hold(officer, enqueued, monkeypatch):
    """The hold and its history are written in one statement: when it fails, neither is."""
    referral = old_referral(officer)
    no_further_action(officer, referral.case, days=200)  # would end the H1 ground
    before = hold_row(referral.victim)
    monkeypatch.setattr(evaluation, "facts_as_record", lambda facts: None)  # history NOT NULL

    with pytest.raises(IntegrityError):
        services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")

    assert hold_row(referral.victim) == before
    assert before["in_force"] is True
    assert len(decisions(referral.victim)) == 1
