"""The beat task's sweep, run in-process: holds that lag their facts (a lost message), holds
whose due date has come (a window closing), locked holds skipped, failures never starving the
rest."""

import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection, transaction

from protocol import services
from protocol.models import Hold
from protocol.rules import evaluate as real_evaluate
from protocol.services import evaluation
from protocol.tasks import sweep_holds
from tests.factories import days_ago
from victims.models import Victim

from .conftest import decisions, hold_row, no_further_action, old_referral


def _lagging(victim) -> bool:
    row = hold_row(victim)
    return row["evaluated_version"] < Victim.objects.get(pk=victim.pk).facts_version


def test_the_sweep_repairs_holds_whose_message_was_lost(officer, enqueued):
    referrals = [old_referral(officer) for _ in range(3)]
    for item in referrals[:2]:
        no_further_action(officer, item.case)
    assert len(enqueued) == 0  # inside the test's transaction nothing has committed...
    assert [_lagging(item.victim) for item in referrals] == [True, True, False]

    totals = sweep_holds()

    assert totals["failed"] == 0
    assert totals["changed"] == 2
    for item in referrals[:2]:
        assert not _lagging(item.victim)
        assert hold_row(item.victim)["grounds"] == ["review_window"]
        assert [d.trigger for d in decisions(item.victim)] == ["referral", "sweep"]
    assert [d.trigger for d in decisions(referrals[2].victim)] == ["referral"]
    assert sweep_holds()["changed"] == 0  # and again: nothing to do


def test_the_sweep_reevaluates_holds_whose_due_date_has_come(officer, monkeypatch, enqueued):
    referral = old_referral(officer)
    # Closed with no further action 90 days ago: today is the review window's last day.
    no_further_action(officer, referral.case, days=90)
    services.hold_reevaluate(victim_id=referral.victim.pk)
    row = hold_row(referral.victim)
    today = services.today()
    assert (row["status"], row["grounds"]) == ("active", ["review_window"])
    assert row["next_due_on"] == today + dt.timedelta(days=1)
    assert sweep_holds()["changed"] == 0  # not yet

    tomorrow = today + dt.timedelta(days=1)
    monkeypatch.setattr(evaluation, "today", lambda: tomorrow)
    # Only due, not lagging: the facts did not change, the date did.
    assert services.due_hold_ids(on=tomorrow, limit=10) == [referral.hold.pk]
    totals = sweep_holds()

    row = hold_row(referral.victim)
    assert totals["changed"] == 1
    assert (row["status"], row["grounds"]) == ("ending", [])
    assert row["protected_until"] == days_ago(90) + dt.timedelta(days=90 + 28)
    assert row["evaluated_on"] == tomorrow
    assert row["next_due_on"] == days_ago(90) + dt.timedelta(days=90 + 28 + 1)
    assert decisions(referral.victim)[-1].trigger == "sweep"


def test_a_hold_that_keeps_failing_does_not_starve_the_others(
    officer, monkeypatch, settings, enqueued
):
    settings.HOLD_SWEEP_BATCH = 2
    referrals = [old_referral(officer) for _ in range(5)]
    for item in referrals:
        no_further_action(officer, item.case)
    # The first hold in the sweep's order fails, every time.
    first = Hold.objects.order_by("pk").first()
    broken = next(item for item in referrals if item.hold.pk == first.pk)
    before = hold_row(broken.victim)

    def evaluate(facts, on, policy):
        if facts.cases and facts.cases[0].label == broken.case.reference:
            raise ValueError("the engine broke")
        return real_evaluate(facts, on, policy)

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    totals = sweep_holds()

    assert totals["failed"] >= 1
    assert hold_row(broken.victim) == before
    for item in referrals:
        if item is not broken:
            assert not _lagging(item.victim)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_holds_locked_by_someone_else(officer, enqueued):
    referrals = [old_referral(officer) for _ in range(3)]
    for item in referrals:
        no_further_action(officer, item.case)
    locked = referrals[0]
    has_lock, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                Hold.objects.select_for_update().get(pk=locked.hold.pk)
                has_lock.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    try:
        assert has_lock.wait(timeout=10)
        totals = sweep_holds()  # does not wait for the lock
        assert totals["evaluated"] >= 2
        assert _lagging(locked.victim)
        assert not _lagging(referrals[1].victim)
        assert not _lagging(referrals[2].victim)
    finally:
        release.set()
        thread.join(timeout=10)
    sweep_holds()
    assert not _lagging(locked.victim)
    assert hold_row(locked.victim)["grounds"] == ["review_window"]


def _walk(steps: int, limit: int) -> list[list]:
    slices = []
    for _ in range(steps):
        slices.append(services.recheck_hold_ids(limit=limit))
        services.recheck_done(slices[-1])
    return slices


def _consecutive(ids: list, every: list) -> bool:
    """`ids` are consecutive holds of `every` (in key order), going round after the last."""
    start = every.index(ids[0])
    return ids == [every[(start + step) % len(every)] for step in range(len(ids))]


def test_the_recheck_walks_every_hold_in_key_order_and_goes_round_again(officer):
    ids = sorted(old_referral(officer).hold.pk for _ in range(5))

    assert _walk(4, limit=2) == [ids[0:2], ids[2:4], [ids[4], ids[0]], ids[1:3]]


def test_a_recheck_slice_is_taken_again_until_it_is_done(officer):
    ids = sorted(old_referral(officer).hold.pk for _ in range(3))

    assert services.recheck_hold_ids(limit=2) == ids[0:2]
    assert services.recheck_hold_ids(limit=2) == ids[0:2]  # its re-check failed, say
    services.recheck_done(ids[0:2])
    assert services.recheck_hold_ids(limit=2) == [ids[2], ids[0]]


def test_a_lost_recheck_bookmark_restarts_the_walk_at_a_random_hold(officer):
    ids = sorted(old_referral(officer).hold.pk for _ in range(6))
    starts = set()
    for bookmark in [None] * 20 + ["not a hold id"] * 20:  # Redis restarted, say; or junk
        if bookmark is None:
            cache.delete(services.RECHECK_BOOKMARK)
        else:
            cache.set(services.RECHECK_BOOKMARK, bookmark)
        found = services.recheck_hold_ids(limit=3)
        assert len(found) == 3 and _consecutive(found, ids)
        starts.add(found[0])

    # Not always the first hold. (All 40 from one hold would need one gap between the six
    # random ids to cover nearly all of the id space: vanishingly unlikely.)
    assert len(starts) > 1


def test_a_sweep_whose_recheck_fails_leaves_the_bookmark(officer, monkeypatch):
    old_referral(officer)
    bookmark = cache.get(services.RECHECK_BOOKMARK)

    def lost_connection(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(evaluation, "holds_reevaluate_batch", lost_connection)
    with pytest.raises(OperationalError):
        sweep_holds()

    assert cache.get(services.RECHECK_BOOKMARK) == bookmark


def test_the_sweep_repairs_a_stored_decision_that_drifted_within_one_walk(
    officer, settings, enqueued
):
    settings.HOLD_SWEEP_BATCH = 2
    referrals = sorted((old_referral(officer) for _ in range(5)), key=lambda item: item.hold.pk)
    drifted = referrals[3]
    # Neither lagging nor due: only the re-check can find it.
    Hold.objects.filter(pk=drifted.hold.pk).update(
        status="ended", in_force=False, grounds=[], next_due_on=None
    )
    assert services.due_hold_ids(on=services.today(), limit=10) == []

    changed = [sweep_holds()["changed"] for _ in range(2)]

    assert changed == [0, 1]  # the second slice holds it
    row = hold_row(drifted.victim)
    assert (row["status"], row["in_force"], row["grounds"]) == (
        "active",
        True,
        ["investigation_ongoing"],
    )
    assert decisions(drifted.victim)[-1].trigger == "sweep"
