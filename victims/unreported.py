"""Crimes a supported victim chose not to report (API.md "Evaluating the protocol"): the
service and the selector, kept out of `services.py` because no fact of any person's hold
changes. Nothing identifies the person: a crime type, a nationality, a date, reason codes."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from core.roles import Role
from protocol.rules import values

from .models import UnreportedCrime

FIELDS = ("crime_type", "nationality", "recorded_on", "reasons", "reported_later")


def _validate(data: dict[str, Any]) -> None:
    reasons = data.get("reasons") or []
    if not reasons:
        raise ValidationError({"reasons": ["Give at least one reason."]})
    unknown = [reason for reason in reasons if reason not in values.WITHDRAWAL_REASONS]
    if unknown:
        raise ValidationError({"reasons": [f"Unknown reason(s): {', '.join(unknown)}."]})


@transaction.atomic
def unreported_crime_record(*, by: User, **data: Any) -> UnreportedCrime:
    """Record, for the adviser's organisation, a crime the victim chose not to report."""
    if by.organisation is None:
        raise PermissionDenied("Only a member of a support organisation may record this.")
    data = {key: data[key] for key in FIELDS if key in data}
    data["reasons"] = list(dict.fromkeys(data.get("reasons") or []))
    _validate(data)
    crime = UnreportedCrime(organisation=by.organisation, **data)
    crime.full_clean(exclude=["organisation"])
    crime.save(force_insert=True)
    return crime


@transaction.atomic
def unreported_crime_update(*, crime: UnreportedCrime, **changes: Any) -> UnreportedCrime:
    """Change a recorded unreported crime (say, that it was reported later)."""
    crime = UnreportedCrime.objects.select_for_update().get(pk=crime.pk)
    for key in FIELDS:
        if key in changes:
            setattr(crime, key, changes[key])
    crime.reasons = list(dict.fromkeys(crime.reasons))
    _validate({"reasons": crime.reasons})
    crime.full_clean(exclude=["organisation"])
    crime.save()
    return crime


def unreported_crime_get(*, user: User, crime_id) -> UnreportedCrime:
    """One the adviser's organisation recorded (anyone else: `DoesNotExist`, a 404)."""
    if not user.has_role(Role.SUPPORT_ADVISER) or user.organisation_id is None:
        raise UnreportedCrime.DoesNotExist
    return UnreportedCrime.objects.get(pk=crime_id, organisation_id=user.organisation_id)
