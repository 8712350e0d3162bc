"""Public-protection overrides (requested by one IE senior, decided by another) and end
confirmations: facts of the rules, written with the victim's `facts_version` bumped and the hold
re-evaluated in the same transaction."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import ConflictError

from ..models import EndConfirmation, Hold, Override
from ..policy import current_policy
from ..rules import values
from ..selectors import resolved_hold_reference
from . import evaluation
from .evaluation import Trigger
from .notifications import notify


def _check_expiry(expires_on: date | None) -> None:
    if expires_on is None:
        return
    errors: dict[str, list[str]] = {}
    if expires_on <= evaluation.today():
        errors["expires_on"] = ["Give a date after today."]
    limit = current_policy().override_max_days
    if expires_on > evaluation.today() + timedelta(days=limit):
        errors["expires_on"] = [f"An override lasts at most {limit} days: give an earlier date."]
    if errors:
        raise ValidationError(errors)


# What IE seniors are told when a reference names no hold they may act on: one message, the
# same for a reference that names no hold at all and for a hold in any other status, so that a
# request never tells a senior more about a hold than the review queue and the hold check do.
NOT_OVERRIDABLE = "No hold in force has this reference: there is nothing to override."
NOT_ENDABLE = "No hold due for review has this reference: only such a hold can be ended."


@transaction.atomic
def override_request(
    *, by: User, hold_reference: str, category: str, justification: str, expires_on: date | None
) -> Override:
    """An IE senior asks for a public-protection override of a hold in force (409 with
    `NOT_OVERRIDABLE` for any other reference, known or not)."""
    if category not in values.OVERRIDE_CATEGORIES:
        raise ValidationError(
            {"category": [f"Choose one of: {', '.join(values.OVERRIDE_CATEGORIES)}."]}
        )
    if not justification or not justification.strip():
        raise ValidationError({"justification": ["Explain why the override is needed."]})
    _check_expiry(expires_on)
    hold = (
        Hold.objects.select_for_update()
        .filter(reference=resolved_hold_reference(hold_reference))
        .first()
    )
    if hold is None or not hold.in_force:
        raise ConflictError(NOT_OVERRIDABLE)
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


def _decide(override_id, by: User, *, status: str, note: str, **fields) -> Override:
    """Record another IE senior's decision on a requested override (locked while deciding)."""
    override = Override.objects.select_for_update().select_related("hold").get(pk=override_id)
    if override.status != "requested":
        raise ConflictError(f"This override is {override.status}: it can no longer be decided.")
    if override.requested_by_id == by.pk:
        raise PermissionDenied("You requested this override: another IE senior must decide it.")
    override.status = status
    override.decided_by = by
    override.decided_at = timezone.now()
    override.decision_note = note
    for name, value in fields.items():
        setattr(override, name, value)
    override.save()
    return override


@transaction.atomic
def override_approve(*, override_id, by: User, note: str = "") -> Override:
    """Another IE senior approves the override; the hold is re-evaluated at once."""
    override = _decide(
        override_id, by, status="approved", note=note, approved_on=evaluation.today()
    )
    evaluation.hold_facts_changed(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    notify(
        hold=override.hold,
        kind="override_approved",
        message=f"A public-protection override of hold {override.hold.reference} was approved.",
    )
    return override


@transaction.atomic
def override_reject(*, override_id, by: User, note: str = "") -> Override:
    """Another IE senior rejects the override request; the hold is unchanged."""
    override = _decide(override_id, by, status="rejected", note=note)
    notify(
        hold=override.hold,
        kind="override_rejected",
        message=f"The override requested for hold {override.hold.reference} was rejected.",
    )
    return override


@transaction.atomic
def override_revoke(*, override_id, by: User, note: str = "") -> Override:
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
    evaluation.hold_facts_changed(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    notify(
        hold=override.hold,
        kind="override_revoked",
        message=f"The override of hold {override.hold.reference} was revoked: the hold is "
        "back to what the rules say.",
    )
    return override


@transaction.atomic
def end_confirm(*, hold_reference: str, by: User, reason: str) -> Hold:
    """An IE senior confirms the end of a hold that is `review_due` (409 with `NOT_ENDABLE`
    for any other reference, known or not)."""
    if reason not in values.END_REASONS:
        raise ValidationError({"reason": [f"Choose one of: {', '.join(values.END_REASONS)}."]})
    on = evaluation.today()
    hold = (
        Hold.objects.select_for_update(of=("self",))
        .select_related("victim")
        .filter(reference=resolved_hold_reference(hold_reference))
        .first()
    )
    if hold is None:
        raise ConflictError(NOT_ENDABLE)
    # Decide on the facts as they are now, not on a stored decision that may lag them: a hold
    # behind its facts or past its due date is evaluated first (the hold check's rule). One that
    # does not lag is evaluated once, after the confirmation.
    lags = hold.evaluated_version < hold.victim.facts_version or (
        hold.next_due_on is not None and hold.next_due_on <= on
    )
    if lags:
        evaluation.hold_reevaluate(
            victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION, on=on
        )
        hold.refresh_from_db()
    if hold.status != "review_due":
        raise ConflictError(NOT_ENDABLE)
    EndConfirmation.objects.create(hold=hold, confirmed_on=on, reason=reason, confirmed_by=by)
    evaluation.hold_facts_changed(victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION, on=on)
    hold.refresh_from_db()
    notify(
        hold=hold,
        kind="hold_ended",
        message=f"The end of hold {hold.reference} was confirmed ({reason}).",
    )
    return hold
