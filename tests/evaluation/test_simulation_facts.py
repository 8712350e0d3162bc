"""The policy simulation reads the same facts as the workers (`protocol.snapshot`): every
simulated hold, once, with its victim's facts equal to `snapshots_for`'s, whether the batches
are read on the caller's transaction or by the read-ahead thread on committed data."""

import threading

import pytest
from django.db import connection

from protocol.models import EndConfirmation, Override
from protocol.services import simulation
from protocol.snapshot import snapshots_for
from tests.factories import days_ago, make_referral
from victims.services import application_create, support_referral_create


@pytest.fixture
def world(officer, adviser, support_org, senior, senior2):
    """Victims with every kind of fact, one of them ended (not simulated)."""
    referrals = [make_referral(officer, victim={"family_name": f"Facts {n}"}) for n in range(5)]
    first, second, third, fourth, ended = referrals
    make_referral(
        officer,
        victim_id=first.victim.pk,
        case={"reported_on": days_ago(400), "referred_on": days_ago(399), "role": "witness"},
    )
    support_referral_create(
        victim=second.victim, by=officer, organisation_code=support_org.code,
        consent_given_on=days_ago(2),
    )  # fmt: skip
    application_create(
        victim=third.victim, by=adviser, route="mvdac", status="submitted",
        submitted_on=days_ago(5),
    )  # fmt: skip
    Override.objects.create(
        hold=fourth.hold, category="serious_harm_risk", justification="first",
        status="approved", requested_by=senior, decided_by=senior2, approved_on=days_ago(3),
        expires_on=days_ago(-30),
    )  # fmt: skip
    Override.objects.create(
        hold=fourth.hold, category="serious_harm_risk", justification="later",
        status="rejected", requested_by=senior, decided_by=senior2,
    )  # fmt: skip
    EndConfirmation.objects.create(
        hold=ended.hold, confirmed_on=days_ago(4), reason="deceased", confirmed_by=senior
    )
    return referrals


def _read(batch_size: int) -> dict[bytes, object]:
    read: dict[bytes, object] = {}
    for batch in simulation.simulated_batches(batch_size):
        assert 0 < len(batch) <= batch_size
        for hold_id, facts in batch:
            assert hold_id not in read  # each hold once
            read[hold_id] = facts
    return read


def _expected() -> dict[bytes, object]:
    holds = list(simulation.simulated_holds().values_list("pk", "victim_id"))
    snapshots = snapshots_for(victim for _, victim in holds)
    return {pk.bytes: snapshots[victim].facts for pk, victim in holds}


def test_the_simulation_reads_the_workers_facts_for_every_simulated_hold(world):
    assert connection.in_atomic_block  # the test's transaction: read here, not by a thread
    read = _read(batch_size=2)
    expected = _expected()
    assert len(expected) == 4 and world[4].hold.pk.bytes not in read
    assert read == expected
    kinds = [(len(f.cases), len(f.support), len(f.applications), f.override) for f in read.values()]
    assert any(c == 2 for c, *_ in kinds) and any(s for _, s, *_ in kinds)
    assert any(a for _, _, a, _ in kinds) and any(o is not None for *_, o in kinds)


@pytest.mark.django_db(transaction=True)
def test_read_ahead_on_committed_data_reads_the_same_facts_and_stops(world, monkeypatch):
    used = []
    real = simulation._read_ahead
    monkeypatch.setattr(simulation, "_read_ahead", lambda *a, **k: used.append(1) or real(*a, **k))
    assert not connection.in_atomic_block
    assert _read(batch_size=3) == _expected()
    assert used  # the thread read the batches
    # Stopping early stops the thread.
    batches = simulation.simulated_batches(1)
    next(batches)
    batches.close()
    assert not [t for t in threading.enumerate() if t.name == "simulation-read-ahead"]


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_read_ahead_thread_is_raised_to_the_reader(monkeypatch):
    def failing(batch_size):
        yield "[]"
        raise RuntimeError("the database went away")

    monkeypatch.setattr(simulation, "_batch_texts", failing)
    with pytest.raises(RuntimeError, match="went away"):
        list(simulation.simulated_batches(5))
    assert not [t for t in threading.enumerate() if t.name == "simulation-read-ahead"]
