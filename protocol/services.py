"""The only writers of holds. Every hold is the output of the rules over the recorded facts.

`hold_reevaluate` and `holds_reevaluate_batch` lock the hold rows, build the facts in one place
(`snapshot.py`), evaluate, and write a `HoldDecision` only when the decision changed. Running
them twice, late or out of order gives the same result. If evaluation raises, the previous hold
stays as it was (in force if it was) and the error is raised for the caller to retry.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config.errors import ConflictError
from victims.models import Victim

from .models import EndConfirmation, Hold, HoldDecision, Notification, Override
from .policy import current_policy
from .rules import Decision, evaluate, values
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


# --- Overrides, end confirmations and notifications ---------------------------------------


def _interested_organisations(hold: Hold):
    """The referring forces and the support organisations engaged with the victim."""
    from accounts.models import Organisation

    return Organisation.objects.filter(
        Q(cases__victim_id=hold.victim_id) | Q(support_engagements__victim_id=hold.victim_id)
    ).distinct()


def notify(*, hold: Hold, kind: str, message: str) -> None:
    """Tell the referring force and the support organisation about a step on their hold."""
    Notification.objects.bulk_create(
        Notification(organisation=organisation, hold=hold, kind=kind, message=message)
        for organisation in _interested_organisations(hold)
    )


def _check_expiry(expires_on: date | None) -> None:
    if expires_on is None:
        return
    errors: dict[str, list[str]] = {}
    if expires_on <= today():
        errors["expires_on"] = ["Give a date after today."]
    limit = current_policy().override_max_days
    if expires_on > today() + timedelta(days=limit):
        errors["expires_on"] = [f"An override lasts at most {limit} days: give an earlier date."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def override_request(
    *, by, hold_reference: str, category: str, justification: str, expires_on: date | None
) -> Override:
    """An IE senior asks for a public-protection override of a hold in force."""
    hold = Hold.objects.select_for_update().filter(reference=hold_reference).first()
    if hold is None:
        raise ValidationError({"hold_reference": "No hold has this reference."})
    if category not in values.OVERRIDE_CATEGORIES:
        raise ValidationError(
            {"category": [f"Choose one of: {', '.join(values.OVERRIDE_CATEGORIES)}."]}
        )
    if not justification or not justification.strip():
        raise ValidationError({"justification": ["Explain why the override is needed."]})
    _check_expiry(expires_on)
    if not hold.in_force:
        raise ConflictError("This hold is not in force: there is nothing to override.")
    if hold.overrides.filter(status__in=("requested", "approved")).exists():
        raise ConflictError("This hold already has an override requested or approved.")
    override = Override.objects.create(
        hold=hold,
        category=category,
        justification=justification.strip(),
        expires_on=expires_on,
        requested_by=by,
    )
    notify(
        hold=hold,
        kind="override_requested",
        message=f"A public-protection override ({category}) was requested for hold "
        f"{hold.reference}. You may be consulted before it is decided.",
    )
    return override


def _decidable(override_id, by) -> Override:
    override = Override.objects.select_for_update().select_related("hold").get(pk=override_id)
    if override.status != "requested":
        raise ConflictError(f"This override is {override.status}: it can no longer be decided.")
    if override.requested_by_id == by.pk:
        raise PermissionDenied("You requested this override: another IE senior must decide it.")
    return override


@transaction.atomic
def override_approve(*, override_id, by, note: str = "") -> Override:
    """Another IE senior approves the override; the hold is re-evaluated at once."""
    override = _decidable(override_id, by)
    override.status = "approved"
    override.decided_by = by
    override.decided_at = timezone.now()
    override.approved_on = today()
    override.decision_note = note
    override.save()
    facts_changed(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    hold_reevaluate(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    notify(
        hold=override.hold,
        kind="override_approved",
        message=f"A public-protection override of hold {override.hold.reference} was approved.",
    )
    return override


@transaction.atomic
def override_reject(*, override_id, by, note: str = "") -> Override:
    """Another IE senior rejects the override request; the hold is unchanged."""
    override = _decidable(override_id, by)
    override.status = "rejected"
    override.decided_by = by
    override.decided_at = timezone.now()
    override.decision_note = note
    override.save()
    notify(
        hold=override.hold,
        kind="override_rejected",
        message=f"The override requested for hold {override.hold.reference} was rejected.",
    )
    return override


@transaction.atomic
def override_revoke(*, override_id, by, note: str = "") -> Override:
    """End an approved override: the hold returns to what the rules say."""
    override = Override.objects.select_for_update().select_related("hold").get(pk=override_id)
    if override.status != "approved":
        raise ConflictError(
            f"Only an approved override can be revoked; this one is {override.status}."
        )
    override.status = "revoked"
    override.revoked_by = by
    override.revoked_at = timezone.now()
    override.revocation_note = note
    override.save()
    facts_changed(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    hold_reevaluate(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    notify(
        hold=override.hold,
        kind="override_revoked",
        message=f"The override of hold {override.hold.reference} was revoked: the hold is "
        "back to what the rules say.",
    )
    return override


@transaction.atomic
def end_confirm(*, hold_reference: str, by, reason: str) -> Hold:
    """An IE senior confirms the end of a hold that is `review_due` (409 otherwise)."""
    if reason not in values.END_REASONS:
        raise ValidationError({"reason": [f"Choose one of: {', '.join(values.END_REASONS)}."]})
    hold = Hold.objects.select_for_update().filter(reference=hold_reference).first()
    if hold is None:
        raise Hold.DoesNotExist
    # Decide on the facts as they are now, not on a stored decision that may lag them.
    hold_reevaluate(victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION)
    hold.refresh_from_db()
    if hold.status != "review_due":
        raise ConflictError(
            f"This hold is {hold.status}: only a hold that is due for review can be ended."
        )
    EndConfirmation.objects.create(hold=hold, confirmed_on=today(), reason=reason, confirmed_by=by)
    facts_changed(victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION)
    hold_reevaluate(victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION)
    hold.refresh_from_db()
    notify(
        hold=hold,
        kind="hold_ended",
        message=f"The end of hold {hold.reference} was confirmed ({reason}).",
    )
    return hold
