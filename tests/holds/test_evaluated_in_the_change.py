"""Overrides, end confirmations and merges re-evaluate the hold once, in their own transaction,
and ask no worker to do it again after the commit: the hold commits evaluated at the facts'
new version, so nothing is owed (API.md "Guarantees")."""

import pytest

from cases.services import case_status_change
from core.errors import ConflictError
from protocol import services
from protocol.models import Hold
from protocol.rules import evaluate as real_evaluate
from protocol.services import evaluation, merges
from tests.factories import UserFactory
from tests.pages.conftest import make_review_due
from victims.models import PossibleDuplicate, Victim

from .conftest import old_referral


@pytest.fixture
def evaluations(monkeypatch) -> list:
    """The facts each evaluation of a stored hold was asked to decide on, in order."""
    calls: list = []

    def counting(facts, on, policy):
        calls.append(facts)
        return real_evaluate(facts, on, policy)

    monkeypatch.setattr(evaluation, "evaluate", counting)
    return calls


def _evaluated_at_its_facts(victim_id) -> Hold:
    hold = Hold.objects.select_related("victim").get(victim_id=victim_id)
    assert hold.evaluated_version == hold.victim.facts_version
    return hold


def _override(hold, senior, senior2):
    override = services.override_request(
        by=senior,
        hold_reference=hold.reference,
        category="serious_harm_risk",
        justification="Intelligence report 42.",
        expires_on=None,
    )
    return services.override_approve(override_id=override.pk, by=senior2)


def test_an_override_is_evaluated_once_and_asks_no_worker(
    referral, senior, senior2, enqueued, evaluations, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        override = _override(referral.hold, senior, senior2)
    assert len(evaluations) == 1
    assert enqueued == []
    assert _evaluated_at_its_facts(referral.victim.pk).status == "overridden"

    evaluations.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.override_revoke(override_id=override.pk, by=senior)
    assert len(evaluations) == 1
    assert enqueued == []
    hold = _evaluated_at_its_facts(referral.victim.pk)
    assert (hold.status, hold.in_force) == ("active", True)


def test_an_end_confirmation_is_evaluated_once_and_asks_no_worker(
    officer, senior, enqueued, evaluations, django_capture_on_commit_callbacks
):
    hold = make_review_due(officer, family_name="Ndiaye")
    assert hold.next_due_on is None or hold.next_due_on > services.today()  # does not lag
    evaluations.clear()
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ended = services.end_confirm(hold_reference=hold.reference, by=senior, reason="deceased")
    assert ended.status == "ended"
    assert len(evaluations) == 1
    assert enqueued == []
    assert _evaluated_at_its_facts(hold.victim_id).status == "ended"


def test_an_end_confirmation_decides_on_the_facts_not_a_lagging_hold(
    officer, senior, enqueued, evaluations
):
    hold = make_review_due(officer, family_name="Sesay")
    case = Victim.objects.get(pk=hold.victim_id).cases.get()
    # Police reopen the investigation; no worker has run: the stored hold still says review_due.
    case_status_change(case=case, by=officer, changes={"investigation_status": "reopened"})
    assert Hold.objects.get(pk=hold.pk).status == "review_due"
    evaluations.clear()
    with pytest.raises(ConflictError):
        services.end_confirm(hold_reference=hold.reference, by=senior, reason="left_the_uk")
    assert len(evaluations) == 1  # the lagging hold was evaluated first, and refused
    assert not hold.end_confirmations.exists()


def test_a_merge_is_evaluated_once_and_asks_no_worker(
    officer, other_officer, enqueued, evaluations, django_capture_on_commit_callbacks
):
    person = {"given_names": "Dara", "family_name": "Okafor"}
    first, second = old_referral(officer, **person), old_referral(other_officer, **person)
    pair = PossibleDuplicate.objects.get(first=first.victim, second=second.victim)
    north = UserFactory(role="police_supervisor", organisation=officer.organisation)
    south = UserFactory(role="police_supervisor", organisation=other_officer.organisation)
    merges.possible_duplicate_merge(user=north, pair_id=pair.pk)
    evaluations.clear()
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = merges.possible_duplicate_merge(user=south, pair_id=pair.pk)
    assert answer.merged
    assert len(evaluations) == 1
    assert enqueued == []
    assert _evaluated_at_its_facts(first.victim.pk).in_force
