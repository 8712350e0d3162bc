"""A referral is never lost because its hold's evaluation failed: the hold stays exactly as it
was, lagging its facts, and the worker is still asked to re-evaluate it."""

import pytest

from cases.models import Case
from protocol.services import evaluation
from tests.factories import make_referral
from victims.models import Victim

from .conftest import decisions, hold_row
from .test_services import _failing_evaluation

pytestmark = pytest.mark.django_db


def _engine_fails(monkeypatch) -> None:
    _failing_evaluation(monkeypatch)


def _write_fails(monkeypatch) -> None:
    # A database error inside the evaluation's savepoint: the write's rows are not JSON.
    monkeypatch.setattr(evaluation, "_json", lambda rows: "not json")


@pytest.mark.parametrize("failure", [_engine_fails, _write_fails])
def test_a_new_case_for_a_known_victim_is_saved_even_if_evaluation_fails(
    officer, monkeypatch, enqueued, django_capture_on_commit_callbacks, failure
):
    first = make_referral(officer)
    before = hold_row(first.victim)
    failure(monkeypatch)

    with django_capture_on_commit_callbacks(execute=True):
        make_referral(officer, victim_id=first.victim.pk, case={"crime_reference": "NS/2"})

    assert Case.objects.filter(victim=first.victim).count() == 2
    assert hold_row(first.victim) == before  # in force, as it was
    assert before["in_force"] is True
    assert len(decisions(first.victim)) == 1
    victim = Victim.objects.get(pk=first.victim.pk)
    assert before["evaluated_version"] < victim.facts_version  # the sweep will pick it up
    assert enqueued == [(str(victim.pk), "referral")]  # and the worker is asked now
