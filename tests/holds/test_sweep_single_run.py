"""Two beat processes (or a slow sweep overlapping the next) never double a sweep's effects: a
scheduled run that starts while another holds its lock does nothing. Real concurrent runs, each
on its own database connection."""

import threading
import time

import pytest
from django.db import connection

from accounts.audit_verify import checkpoint_latest
from accounts.tasks import checkpoint_access_log
from core.locks import SCHEDULED_TASKS, single_run
from protocol.models import HoldDecision
from protocol.tasks import sweep_holds
from victims.models import Victim

from .conftest import hold_row, no_further_action, old_referral

pytestmark = pytest.mark.django_db(transaction=True)


def _lagging(victim) -> bool:
    return hold_row(victim)["evaluated_version"] < Victim.objects.get(pk=victim.pk).facts_version


def _lagging_referrals(officer, count: int):
    referrals = [old_referral(officer) for _ in range(count)]
    for item in referrals:
        no_further_action(officer, item.case)  # committed; its message recorded, not sent
    assert all(_lagging(item.victim) for item in referrals)
    return referrals


class _Holding:
    """Another run, in another thread with its own connection, holding the lock `name`."""

    def __init__(self, name: str):
        self.name, self.has_lock, self.release = name, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with single_run(self.name) as mine:
                assert mine
                self.has_lock.set()
                self.release.wait(timeout=30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.has_lock.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=10)


def test_a_sweep_that_starts_while_another_runs_does_nothing(officer, enqueued):
    referrals = _lagging_referrals(officer, 3)

    with _Holding("protocol.tasks.sweep_holds"):
        totals = sweep_holds()  # does not wait for the lock either
        assert totals == {"evaluated": 0, "changed": 0, "failed": 0, "skipped": 1}
        assert all(_lagging(item.victim) for item in referrals)

    totals = sweep_holds()  # the lock is free again: the next run does the work
    assert totals["skipped"] == 0
    assert totals["changed"] == 3
    assert not any(_lagging(item.victim) for item in referrals)


def test_two_sweeps_at_once_write_each_change_once(officer, enqueued):
    referrals = _lagging_referrals(officer, 6)
    before = HoldDecision.objects.count()
    start = threading.Barrier(2)
    results: list[dict] = []

    def sweep() -> None:
        try:
            start.wait(timeout=10)
            results.append(sweep_holds())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 2
    assert sum(result["changed"] for result in results) == 6  # not 12
    assert HoldDecision.objects.count() - before == 6  # one new decision per hold
    for item in referrals:
        assert not _lagging(item.victim)
        assert hold_row(item.victim)["grounds"] == ["review_window"]


def test_a_checkpoint_that_starts_while_another_is_taken_does_nothing():
    with _Holding("accounts.tasks.checkpoint_access_log"):
        assert checkpoint_access_log() is False
        assert checkpoint_latest() is None
    assert checkpoint_access_log() is True
    assert checkpoint_latest() is not None


def test_the_lock_goes_with_a_run_that_died():
    """A process that dies holding the lock (its backend ends) does not keep the sweep away."""
    has_lock, finished = threading.Event(), threading.Event()
    backend: list[int] = []

    def die_holding_the_lock() -> None:
        # Takes the lock as single_run does and never releases it.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s)), pg_backend_pid()",
                [SCHEDULED_TASKS, "protocol.tasks.sweep_holds"],
            )
            taken, pid = cursor.fetchone()
            assert taken
            backend.append(pid)
        has_lock.set()
        finished.wait(timeout=30)
        connection.close()

    thread = threading.Thread(target=die_holding_the_lock)
    thread.start()
    try:
        assert has_lock.wait(timeout=10)
        with single_run("protocol.tasks.sweep_holds") as mine:
            assert not mine
        with connection.cursor() as cursor:
            # The holder's server process dies, as it does when its worker is killed.
            cursor.execute("SELECT pg_terminate_backend(%s)", backend)
            deadline = time.monotonic() + 10
            while True:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %s",
                    backend,
                )
                if cursor.fetchone()[0] == 0:
                    break
                assert time.monotonic() < deadline, "the dead backend's lock was never freed"
                time.sleep(0.05)
        with single_run("protocol.tasks.sweep_holds") as mine:
            assert mine
    finally:
        finished.set()
        thread.join(timeout=10)
