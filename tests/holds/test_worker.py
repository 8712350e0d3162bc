"""With real parts: a Celery worker process, Redis and PostgreSQL. A status change reaches the
hold through the worker; a broker outage loses no change; a worker killed mid-batch loses no
evaluation; two changes end in the same hold whatever order their messages arrive in; a worker
and the sweep at once write each decision once."""

import pytest
from django.core.management import call_command
from django.db.models import F

from cases.models import CaseStatusChange
from config.celery import app
from protocol.models import Hold
from protocol.tasks import reevaluate_hold, sweep_holds
from tests.worker import broker_unreachable, queue_length, wait_for
from victims import services as victims_services
from victims.models import Victim
from victims.services import support_referral_create

from .conftest import (
    charge,
    decisions,
    hold_row,
    many_referrals,
    no_further_action,
    old_referral,
)

pytestmark = pytest.mark.worker


def lagging_holds() -> int:
    """How many holds have not yet seen their victim's latest facts."""
    return Hold.objects.filter(evaluated_version__lt=F("victim__facts_version")).count()


def caught_up(victim) -> bool:
    return hold_row(victim)["evaluated_version"] == Victim.objects.get(pk=victim.pk).facts_version


def unacknowledged(queue: str) -> int:
    """Messages of `queue` delivered to a worker that never acknowledged them."""
    import json

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        payloads = channel.client.hvals(channel.unacked_key)
    return sum(1 for payload in payloads if json.loads(payload)[2] == queue)


def verify_clean() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_holds", stdout=out, stderr=StringIO())  # raises CommandError if not
    return out.getvalue()


def test_a_status_change_reaches_the_hold_through_the_worker(officer, celery_worker_process):
    worker = celery_worker_process()
    referral = old_referral(officer)
    assert hold_row(referral.victim)["grounds"] == ["investigation_ongoing"]

    no_further_action(officer, referral.case)  # commits; the message goes after the commit

    wait_for(lambda: caught_up(referral.victim), timeout=30, message="the worker")
    row = hold_row(referral.victim)
    assert (row["status"], row["grounds"]) == ("active", ["review_window"])
    assert [d.trigger for d in decisions(referral.victim)] == ["referral", "case_status"]
    assert "protocol.tasks.reevaluate_hold" in worker.log()


def test_with_the_broker_unreachable_changes_are_saved_and_the_sweep_repairs_every_hold(
    officer, celery_worker_process, celery_queue, caplog
):
    worker = celery_worker_process()
    referrals = [old_referral(officer) for _ in range(10)]

    with broker_unreachable(app):
        for number, item in enumerate(referrals):
            if number % 2:
                no_further_action(officer, item.case)
            else:
                charge(officer, item.case)

    # Every change was saved, none raised, and none reached a worker.
    assert CaseStatusChange.objects.count() == 10
    assert caplog.text.count("the sweep will pick it up") == 10
    worker.wait_ready()
    assert queue_length(celery_queue) == 0
    assert lagging_holds() == 10
    assert all(hold.in_force for hold in Hold.objects.all())  # still protected meanwhile

    # The broker is back: the sweep (as beat would send it) brings every hold right.
    sweep_holds.delay()
    wait_for(lambda: lagging_holds() == 0, timeout=30, message="the sweep")
    assert "All 10 holds match a fresh evaluation." in verify_clean()
    for number, item in enumerate(referrals):
        expected = ["review_window"] if number % 2 else ["prosecution_ongoing"]
        assert hold_row(item.victim)["grounds"] == expected
        assert decisions(item.victim)[-1].trigger == "sweep"


def test_a_worker_killed_mid_batch_loses_no_evaluation(
    officer, celery_worker_process, celery_queue
):
    referrals = many_referrals(officer, 200)
    for item in referrals:  # 200 changes through the real service, each its own transaction
        no_further_action(officer, item.case)
    assert queue_length(celery_queue) == 200  # queued: no worker yet
    assert lagging_holds() == 200

    first = celery_worker_process()
    wait_for(lambda: lagging_holds() <= 180, timeout=30, interval=0.02, message="a start")
    first.kill()  # SIGKILL: no warm shutdown, the task in hand is never acknowledged
    left = lagging_holds()
    assert 0 < left < 200, "killed mid-way"
    assert "Warm shutdown" not in first.log()
    # Nothing is lost at the broker either: every hold still lagging has its message queued, or
    # held unacknowledged (acks_late) for redelivery.
    assert queue_length(celery_queue) + unacknowledged(celery_queue) >= left

    second = celery_worker_process()
    sweep_holds.delay()
    wait_for(lambda: lagging_holds() == 0, timeout=45, message="the second worker and sweep")
    assert "All 200 holds match a fresh evaluation." in verify_clean()
    assert all(hold_row(item.victim)["grounds"] == ["review_window"] for item in referrals)
    assert "protocol.tasks.sweep_holds" in second.log()


def test_two_changes_end_in_the_same_hold_whatever_order_their_messages_arrive_in(
    officer, adviser, support_org, celery_worker_process, monkeypatch
):
    from tests.factories import days_ago

    worker = celery_worker_process()
    # Messages are held back here and delivered by hand, one at a time, in a chosen order.
    held: list[tuple[str, str]] = []
    monkeypatch.setattr(
        victims_services,
        "enqueue_reevaluation",
        lambda victim_id, trigger: held.append((str(victim_id), str(trigger))),
    )
    first, second = old_referral(officer), old_referral(officer, given_names="Fatou")

    def refer_to_support(referral):  # change X: regularisation support starts (H5)
        support_referral_create(
            victim=referral.victim,
            by=officer,
            organisation_code=support_org.code,
            consent_given_on=days_ago(1),
        )

    def close_investigation(referral):  # change Y: no further action; review window (H3)
        no_further_action(officer, referral.case)

    def deliver(referral, message) -> None:
        """Send one held message to the worker and wait until it has evaluated the hold."""
        before = hold_row(referral.victim)["evaluated_at"]
        reevaluate_hold.delay(*message)
        wait_for(
            lambda: hold_row(referral.victim)["evaluated_at"] > before,
            timeout=30,
            message=f"the worker to evaluate {message}",
        )

    worker.wait_ready()
    # First victim: X, its message, then Y, its message; each evaluated before the next change.
    refer_to_support(first)
    deliver(first, held.pop())
    close_investigation(first)
    deliver(first, held.pop())
    # Second victim: Y, then X, and their messages only afterwards, the later one first.
    close_investigation(second)
    refer_to_support(second)
    messages = [held.pop(0), held.pop(0)]
    assert [trigger for _, trigger in messages] == ["case_status", "support"]
    deliver(second, messages[1])
    after_first_message = len(decisions(second.victim))
    deliver(second, messages[0])  # stale: it was sent for an older version of the facts
    assert len(decisions(second.victim)) == after_first_message  # nothing new to decide
    # And a stale message for the first victim, long after: nothing changes either.
    deliver(first, (str(first.victim.pk), "support"))

    a, b = hold_row(first.victim), hold_row(second.victim)
    for field in ("status", "in_force", "grounds", "protected_until", "flags", "ruleset"):
        assert a[field] == b[field], field
    assert a["grounds"] == ["regularisation_support", "review_window"]
    assert [line.split(":")[0] for line in a["explanation"]] == [
        line.split(":")[0] for line in b["explanation"]
    ]
    assert caught_up(first.victim)
    assert caught_up(second.victim)
    assert held == []


def test_a_worker_and_the_sweep_at_once_write_each_decision_once(
    officer, celery_worker_process, celery_queue
):
    referrals = many_referrals(officer, 200)
    for item in referrals:
        no_further_action(officer, item.case)
    assert lagging_holds() == 200

    worker = celery_worker_process()
    wait_for(lambda: lagging_holds() <= 180, timeout=30, interval=0.02, message="a start")
    # The sweep, here, while the worker is still busy with the rest: it locks every lagging hold
    # it can in one batch (skipping the one the worker holds), and the worker's tasks for those
    # holds wait for its commit, then find nothing new to write.
    totals = sweep_holds()
    assert totals["failed"] == 0
    wait_for(
        lambda: lagging_holds() == 0 and queue_length(celery_queue) == 0,
        timeout=45,
        message="the worker to finish",
    )
    wait_for(lambda: unacknowledged(celery_queue) == 0, timeout=15, message="every ack")

    triggers = {item.victim.pk: [d.trigger for d in decisions(item.victim)] for item in referrals}
    assert all(len(found) == 2 and found[0] == "referral" for found in triggers.values())
    latest = [found[1] for found in triggers.values()]
    assert "case_status" in latest and "sweep" in latest, "both wrote decisions"
    assert totals["changed"] == latest.count("sweep")
    assert "All 200 holds match a fresh evaluation." in verify_clean()
    assert "Traceback" not in worker.log() and "ERROR" not in worker.log()
