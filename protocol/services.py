"""The only writers of holds. Every hold is the output of the rules over the recorded facts.

`hold_reevaluate` and `holds_reevaluate_batch` lock the hold rows, build the facts in one place
(`snapshot.py`), evaluate, and write a `HoldDecision` only when the decision changed. Running
them twice, late or out of order gives the same result. If evaluation raises, the previous hold
stays as it was (in force if it was) and the error is raised for the caller to retry.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from victims.models import Victim

from .models import Hold, HoldDecision
from .policy import current_policy
from .rules import Decision, evaluate
from .snapshot import Snapshot, facts_as_record, snapshots_for

logger = logging.getLogger(__name__)

Trigger = HoldDecision.Trigger


def today() -> date:
    """The evaluation date: today in the service's time zone (Europe/London)."""
    return timezone.localdate()


def _ruleset_record(decision: Decision) -> dict:
    return decision.as_dict()["ruleset"]


def _decision_key(status, in_force, grounds, protected_until, flags, ruleset) -> tuple:
    return (status, in_force, tuple(grounds), protected_until, tuple(flags), ruleset)


def _stored_key(hold: Hold) -> tuple:
    return _decision_key(
        hold.status,
        hold.in_force,
        hold.grounds,
        hold.protected_until,
        hold.flags,
        (hold.ruleset or {}).get("version"),
    )


def _fresh_key(decision: Decision) -> tuple:
    return _decision_key(
        decision.status,
        decision.in_force,
        decision.grounds,
        decision.protected_until,
        decision.flags,
        decision.ruleset,
    )


def _copy_decision(target, decision: Decision) -> None:
    target.status = decision.status
    target.in_force = decision.in_force
    target.grounds = list(decision.grounds)
    target.protected_until = decision.protected_until
    target.flags = list(decision.flags)
    target.explanation = list(decision.explanation)
    target.ruleset = _ruleset_record(decision)


@dataclass(frozen=True)
class BatchResult:
    evaluated: int
    changed: int
    failed: list[UUID]


def hold_create(*, victim: Victim, on: date | None = None) -> Hold:
    """Create the victim's hold from the facts just written, in the caller's transaction.

    Called by the referral service, so the hold exists and is in force (where the rules say so)
    before any worker runs.
    """
    on = on or today()
    snapshot = snapshots_for([victim.pk])[victim.pk]
    decision = evaluate(snapshot.facts, on, current_policy())
    now = timezone.now()
    hold = Hold(
        victim=victim,
        evaluated_version=snapshot.facts_version,
        evaluated_at=now,
        evaluated_on=on,
        next_due_on=decision.reevaluate_on,
        status_since=now,
    )
    _copy_decision(hold, decision)
    hold.save(force_insert=True)
    _record_decision(hold, decision, snapshot, on, Trigger.REFERRAL, now)
    return hold


def _record_decision(
    hold: Hold, decision: Decision, snapshot: Snapshot, on: date, trigger: str, now
) -> HoldDecision:
    record = HoldDecision(
        hold=hold,
        decided_at=now,
        evaluated_on=on,
        facts_version=snapshot.facts_version,
        facts=facts_as_record(snapshot.facts),
        trigger=trigger,
    )
    _copy_decision(record, decision)
    record.save(force_insert=True)
    return record


def _apply(holds: Sequence[Hold], on: date, trigger: str) -> BatchResult:
    """Evaluate locked `holds` and write what changed. Must run inside a transaction."""
    snapshots = snapshots_for([hold.victim_id for hold in holds])
    policy = current_policy()
    now = timezone.now()
    changed_holds: list[Hold] = []
    decisions: list[HoldDecision] = []
    failed: list[UUID] = []
    for hold in holds:
        snapshot = snapshots[hold.victim_id]
        try:
            decision = evaluate(snapshot.facts, on, policy)
        except Exception:
            # Fail towards protection: the stored hold stays exactly as it was.
            logger.exception("Evaluating hold %s failed; it stays as it was", hold.reference)
            failed.append(hold.victim_id)
            continue
        if _fresh_key(decision) != _stored_key(hold):
            if decision.status != hold.status:
                hold.status_since = now
            _copy_decision(hold, decision)
            record = HoldDecision(
                hold=hold,
                decided_at=now,
                evaluated_on=on,
                facts_version=snapshot.facts_version,
                facts=facts_as_record(snapshot.facts),
                trigger=trigger,
            )
            _copy_decision(record, decision)
            decisions.append(record)
        elif list(decision.explanation) != list(hold.explanation):
            hold.explanation = list(decision.explanation)
        hold.evaluated_version = snapshot.facts_version
        hold.evaluated_at = now
        hold.evaluated_on = on
        hold.next_due_on = decision.reevaluate_on
        changed_holds.append(hold)
    if changed_holds:
        Hold.objects.bulk_update(
            changed_holds,
            [
                "status",
                "in_force",
                "grounds",
                "protected_until",
                "flags",
                "explanation",
                "ruleset",
                "evaluated_version",
                "evaluated_at",
                "evaluated_on",
                "next_due_on",
                "status_since",
            ],
        )
    if decisions:
        HoldDecision.objects.bulk_create(decisions)
    return BatchResult(evaluated=len(holds) - len(failed), changed=len(decisions), failed=failed)


def hold_reevaluate(
    *, victim_id: UUID, trigger: str = Trigger.SWEEP, on: date | None = None
) -> bool:
    """Re-evaluate one victim's hold. Returns True when the decision changed.

    Raises if evaluation fails, after leaving the stored hold untouched, so the task retries.
    """
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(victim_id=victim_id)
        result = _apply([hold], on or today(), trigger)
    if result.failed:
        raise RuntimeError(f"Evaluating the hold of victim {victim_id} failed; it was kept.")
    return result.changed > 0


def holds_reevaluate_batch(
    *, hold_ids: Sequence[UUID], trigger: str, on: date | None = None, skip_locked: bool = False
) -> BatchResult:
    """Re-evaluate a batch of holds in one transaction (bulk command and sweep)."""
    with transaction.atomic():
        queryset = Hold.objects.select_for_update(skip_locked=skip_locked).filter(pk__in=hold_ids)
        holds = list(queryset.order_by("pk"))
        return _apply(holds, on or today(), trigger)


def due_hold_ids(*, on: date, limit: int) -> list[UUID]:
    """Holds that must be re-evaluated now: facts changed since the last evaluation (a lost
    message, a broker outage), or a date that changes the decision has come."""
    lagging = Hold.objects.filter(evaluated_version__lt=F("victim__facts_version"))
    due = Hold.objects.filter(next_due_on__lte=on)
    ids: list[UUID] = list(lagging.values_list("pk", flat=True)[:limit])
    if len(ids) < limit:
        ids.extend(due.exclude(pk__in=ids).values_list("pk", flat=True)[: limit - len(ids)])
    return ids


def oldest_hold_ids(*, limit: int) -> list[UUID]:
    """The holds evaluated longest ago: the sweep re-checks a slice of them on every run, so
    any stored decision that differs from a fresh evaluation is repaired in time."""
    return list(Hold.objects.order_by("evaluated_at").values_list("pk", flat=True)[:limit])


def hold_verify(hold: Hold, snapshot: Snapshot, on: date) -> Decision | None:
    """The fresh decision when it differs from the stored one, else None."""
    decision = evaluate(snapshot.facts, on, current_policy())
    return decision if _fresh_key(decision) != _stored_key(hold) else None


def facts_changed(*, victim_id: UUID, trigger: str) -> None:
    """Record that a fact the rules read has changed: bump `facts_version` now, and ask a
    worker to re-evaluate once the change has committed. Call inside the change's transaction.

    If the broker is unreachable the message is lost, but the bumped version is not: the sweep
    finds the hold lagging and re-evaluates it.
    """
    Victim.objects.filter(pk=victim_id).update(facts_version=F("facts_version") + 1)
    transaction.on_commit(lambda: enqueue_reevaluation(victim_id, trigger), robust=True)


def enqueue_reevaluation(victim_id: UUID, trigger: str) -> None:
    from .tasks import reevaluate_hold

    try:
        reevaluate_hold.delay(str(victim_id), trigger)
    except Exception:
        logger.warning(
            "Could not enqueue re-evaluation of victim %s; the sweep will pick it up",
            victim_id,
            exc_info=True,
        )
