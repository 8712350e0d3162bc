"""Merges under real concurrency (API.md "One person, one record"): two forces confirming at the
same moment, or a merge racing a status change, end with one person, one hold, nothing lost.

Each party runs in a thread with its own PostgreSQL connection. The test holds both victims'
row locks until every party is waiting for them, then lets them go at once."""

import threading
import time

import pytest
from django.db import connection, transaction

from cases.models import Case, CaseStatusChange
from core.errors import ConflictError
from protocol import services
from protocol.models import Hold, HoldAlias
from protocol.services import merges
from tests.factories import UserFactory
from tests.locks import sessions_waiting_for_locks
from victims.models import PossibleDuplicate, Victim

from .conftest import no_further_action, old_referral

pytestmark = pytest.mark.django_db(transaction=True)

PERSON = {"given_names": "Dara", "family_name": "Okafor"}


def _race(pair: PossibleDuplicate, *parties) -> list:
    """Run each party (a callable) in its own thread and connection while this test holds the
    pair's two victims locked, starting each once the one before waits for the locks; release
    them once every party waits. Each party's result or
    exception, in order."""
    results: list = [None] * len(parties)
    locked, release = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            list(
                Victim.records.select_for_update()
                .filter(pk__in=(pair.first_id, pair.second_id))
                .order_by("pk")
            )
            locked.set()
            assert release.wait(timeout=20)
        connection.close()

    def run(index, party):
        try:
            results[index] = party()
        except BaseException as error:  # noqa: BLE001 (returned to the test)
            results[index] = error
        finally:
            connection.close()

    holding = threading.Thread(target=holder)
    holding.start()
    assert locked.wait(timeout=10)
    threads = [
        threading.Thread(target=run, args=(index, party)) for index, party in enumerate(parties)
    ]
    for waiting, thread in enumerate(threads, start=1):
        thread.start()  # each in turn, so they queue for the locks in the order given
        deadline = time.monotonic() + 10
        while sessions_waiting_for_locks() < waiting:
            assert time.monotonic() < deadline, "a party never waited for the lock"
            time.sleep(0.01)
    release.set()
    holding.join(timeout=20)
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a party never finished (a deadlock?)"
    return results


@pytest.fixture
def two_forces(officer, other_officer, enqueued):
    first = old_referral(officer, **PERSON)
    second = old_referral(other_officer, **PERSON)
    pair = PossibleDuplicate.objects.get(first=first.victim, second=second.victim)
    supervisors = {
        "north": UserFactory(
            role="police_supervisor", organisation=officer.organisation, email="s1@north.example"
        ),
        "south": UserFactory(
            role="police_supervisor",
            organisation=other_officer.organisation,
            email="s1@south.example",
        ),
        "south2": UserFactory(
            role="police_supervisor",
            organisation=other_officer.organisation,
            email="s2@south.example",
        ),
    }
    return first, second, pair, supervisors


def _one_person(first, second) -> Hold:
    """One record (the one referred first), one hold, every case on it."""
    assert Victim.objects.filter(pk__in=(first.victim.pk, second.victim.pk)).count() == 1
    assert Victim.records.get(pk=second.victim.pk).merged_into_id == first.victim.pk
    assert Hold.objects.filter(victim__in=(first.victim.pk, second.victim.pk)).count() == 1
    assert set(Case.objects.filter(victim=first.victim).values_list("pk", flat=True)) == {
        first.case.pk,
        second.case.pk,
    }
    hold = Hold.objects.get(victim=first.victim)
    assert HoldAlias.objects.get(reference=second.hold.reference).hold_id == hold.pk
    assert PossibleDuplicate.objects.get(first=first.victim, second=second.victim).status == (
        "merged"
    )
    return hold


def test_both_forces_merging_at_once_propose_and_confirm_once(two_forces):
    first, second, pair, supervisors = two_forces
    results = _race(
        pair,
        lambda: merges.possible_duplicate_merge(user=supervisors["north"], pair_id=pair.pk),
        lambda: merges.possible_duplicate_merge(user=supervisors["south"], pair_id=pair.pk),
    )
    assert not any(isinstance(result, BaseException) for result in results), results
    assert sorted(result.merged for result in results) == [False, True]  # one proposed
    hold = _one_person(first, second)
    assert hold.in_force


def test_two_confirmations_at_once_merge_once(two_forces):
    first, second, pair, supervisors = two_forces
    merges.possible_duplicate_merge(user=supervisors["north"], pair_id=pair.pk)
    results = _race(
        pair,
        lambda: merges.possible_duplicate_merge(user=supervisors["south"], pair_id=pair.pk),
        lambda: merges.possible_duplicate_merge(user=supervisors["south2"], pair_id=pair.pk),
    )
    merged = [result for result in results if not isinstance(result, BaseException)]
    refused = [result for result in results if isinstance(result, BaseException)]
    assert len(merged) == 1 and merged[0].merged, results
    assert len(refused) == 1 and isinstance(refused[0], ConflictError), results
    _one_person(first, second)


def test_a_merge_racing_a_status_change_loses_nothing(two_forces, other_officer, enqueued):
    first, second, pair, supervisors = two_forces
    merges.possible_duplicate_merge(user=supervisors["north"], pair_id=pair.pk)
    results = _race(
        pair,
        lambda: merges.possible_duplicate_merge(user=supervisors["south"], pair_id=pair.pk),
        lambda: no_further_action(other_officer, second.case, days=5),
    )
    assert not any(isinstance(result, BaseException) for result in results), results
    hold = _one_person(first, second)
    # The status change is kept, on the case now of the surviving record.
    case = Case.objects.get(pk=second.case.pk)
    assert case.investigation_status == "no_further_action"
    assert CaseStatusChange.objects.filter(case=case).count() == 1
    # The status change asked the worker for a re-evaluation after it committed (recorded
    # here); the one hold reads both cases once evaluated at the latest facts.
    assert "case_status" in {trigger for _victim, trigger in enqueued}, enqueued
    services.hold_reevaluate(victim_id=first.victim.pk)
    hold = Hold.objects.get(pk=hold.pk)
    assert hold.evaluated_version == Victim.objects.get(pk=first.victim.pk).facts_version
    assert hold.in_force  # the first record's investigation is still under way
