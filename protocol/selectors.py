"""Reads of holds, already scoped and minimised for the caller's role."""

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from accounts.audit import record_access
from accounts.models import Organisation
from accounts.roles import Role
from victims.models import Dependant, Disclosure, Victim
from victims.normalise import home_office_reference_key, name_key

from .models import Hold, HoldCheck, Override

# For choosing between several matching holds: the one that protects longest wins.
_NEVER = date.max


@dataclass(frozen=True)
class HoldCheckAnswer:
    """The minimal answer IE receives. Identical for unknown and not-in-force people."""

    check_id: UUID
    in_force: bool
    hold_reference: str | None
    protected_until: date | None
    contact: dict | None


def _matching_victim_ids(
    *,
    home_office_reference: str | None,
    family_name: str | None,
    given_names: str | None,
    date_of_birth: date | None,
) -> set[UUID]:
    """Exact identifiers only: a normalised Home Office reference, or the normalised full name
    with the date of birth. Dependants are covered by their victim's hold."""
    if home_office_reference:
        key = home_office_reference_key(home_office_reference)
        if not key:
            return set()
        return set(
            Victim.objects.filter(home_office_reference_key=key).values_list("pk", flat=True)
        )
    family, given = name_key(family_name or ""), name_key(given_names or "")
    if not (family and given and date_of_birth):
        return set()
    identity = Q(family_name_key=family, given_names_key=given, date_of_birth=date_of_birth)
    victims = set(Victim.objects.filter(identity).values_list("pk", flat=True))
    victims |= set(Dependant.objects.filter(identity).values_list("victim_id", flat=True))
    return victims


def _referring_force(hold: Hold) -> Organisation | None:
    return (
        Organisation.objects.filter(cases__victim_id=hold.victim_id)
        .order_by("-cases__referred_on")
        .first()
    )


def hold_check(
    *,
    user,
    request=None,
    home_office_reference: str | None = None,
    family_name: str | None = None,
    given_names: str | None = None,
    date_of_birth: date | None = None,
) -> HoldCheckAnswer:
    """Whether a hold is in force for one person, and nothing else about them.

    The check, its answer and (for a person on record) the disclosure are recorded in the same
    transaction as the answer is made.
    """
    with transaction.atomic():
        victim_ids = _matching_victim_ids(
            home_office_reference=home_office_reference,
            family_name=family_name,
            given_names=given_names,
            date_of_birth=date_of_birth,
        )
        holds = list(Hold.objects.filter(victim_id__in=victim_ids)) if victim_ids else []
        in_force = [hold for hold in holds if hold.in_force]
        chosen = max(in_force, key=lambda h: h.protected_until or _NEVER, default=None)
        check = HoldCheck.objects.create(by=user, hold=chosen, answered_in_force=bool(chosen))
        organisation = user.organisation
        for hold in holds:
            Disclosure.objects.create(
                victim_id=hold.victim_id,
                organisation=organisation,
                categories=["hold_status"] if hold is chosen else [],
                purpose=(
                    "Immigration Enforcement checked whether a hold is in force and was told: "
                    + ("a hold is in force" if hold is chosen else "no hold in force")
                ),
                by=user,
            )
        answer = HoldCheckAnswer(check.pk, False, None, None, None)
        if chosen is not None:
            force = _referring_force(chosen)
            answer = HoldCheckAnswer(
                check_id=check.pk,
                in_force=True,
                hold_reference=chosen.reference,
                protected_until=chosen.protected_until,
                contact=({"organisation": force.name, **force.contact} if force else None),
            )
        # Last, so the audit chain's lock is held only for the commit that follows.
        record_access(
            user=user,
            action="hold_check",
            object_type="hold_check",
            object_id=str(check.pk),
            request=request,
        )
        return answer


def _referring_force_contact() -> Subquery:
    """The contact point of the force that referred the victim most recently, as
    `{"organisation", "team", "phone", "email"}`: one subquery, not one query per hold."""
    from cases.models import Case

    latest = (
        Case.objects.filter(victim_id=OuterRef("victim_id"))
        .order_by("-referred_on", "-created_at")
        .values(
            contact=JSONObject(
                organisation="force__name",
                team="force__contact_team",
                phone="force__contact_phone",
                email="force__contact_email",
            )
        )[:1]
    )
    return Subquery(latest)


def review_queue() -> QuerySet[Hold]:
    """Holds due for review, oldest first: references and dates only, no identities.
    Each carries `referring_contact`, the contact point of the force that referred it."""
    return (
        Hold.objects.filter(status="review_due")
        .annotate(referring_contact=_referring_force_contact())
        .order_by("status_since", "pk")
    )


def override_list(*, user, status: str | None = None) -> QuerySet[Override]:
    """Public-protection overrides, newest first, for IE seniors only (hold references, no
    identities), optionally of one status (`requested`: those waiting for a second senior)."""
    if user is None or not user.is_authenticated or not user.has_role(Role.IE_SENIOR):
        return Override.objects.none()
    overrides = Override.objects.select_related("hold", "requested_by", "decided_by", "revoked_by")
    if status:
        overrides = overrides.filter(status=status)
    return overrides.order_by("-requested_at")


def override_get(*, user, override_id) -> Override:
    """One override (`Override.DoesNotExist` otherwise)."""
    return override_list(user=user).get(pk=override_id)


_CASE_REFERENCE = re.compile(r"\bC-[0-9A-Z]{6}\b")
OTHER_FORCE_CASE = "a case recorded by another force"


def mask_case_references(lines, visible: set[str]) -> list[str]:
    """Explanation lines with every case reference the caller may not see replaced by words:
    another force's case stays invisible, even by its reference."""
    return [
        _CASE_REFERENCE.sub(
            lambda match: match[0] if match[0] in visible else OTHER_FORCE_CASE, line
        )
        for line in lines
    ]


def hold_for_victim(victim: Victim, *, user=None) -> Hold:
    """The victim's hold with its history (the caller has already been scoped to the victim).

    With `user`, explanation lines (current and past) name only the cases that user may see.
    """
    hold = Hold.objects.prefetch_related("decisions").get(victim=victim)
    if user is not None:
        from cases.selectors import case_list  # cases depends on protocol, not the reverse

        visible = set(
            case_list(user=user).filter(victim=victim).values_list("reference", flat=True)
        )
        hold.explanation = mask_case_references(hold.explanation, visible)
        for decision in hold.decisions.all():
            decision.explanation = mask_case_references(decision.explanation, visible)
    return hold
