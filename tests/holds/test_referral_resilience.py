"""A referral is never lost because the engine failed on it: the hold stays in force and lags."""

import pytest

from cases.models import Case
from protocol import services
from protocol.models import Hold
from tests.factories import make_referral
from victims.models import Victim

pytestmark = pytest.mark.django_db


def test_a_new_case_for_a_known_victim_is_saved_even_if_evaluation_fails(officer, monkeypatch):
    first = make_referral(officer)

    def broken(*args, **kwargs):
        raise RuntimeError("engine failure")

    monkeypatch.setattr(services, "evaluate", broken)
    second = make_referral(officer, victim_id=first.victim.pk)

    assert Case.objects.filter(victim=first.victim).count() == 2
    hold = Hold.objects.get(pk=second.hold.pk)
    assert hold.in_force
    victim = Victim.objects.get(pk=first.victim.pk)
    assert hold.evaluated_version < victim.facts_version  # the sweep will pick it up
