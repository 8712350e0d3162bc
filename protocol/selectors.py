"""Reads of holds, already scoped and minimised for the caller's role."""

import re
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject

from accounts.models import User
from cases.models import Case
from cases.selectors import case_list
from core.roles import POLICE_ROLES, OrganisationKind, Role
from victims.models import Victim

from .models import Hold, HoldAlias, Notification, NotificationRead, Override

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import WithAnnotations


def referring_force_contact() -> Subquery:
    """The contact point of the force that referred the person first (the surviving record's
    force, after a merge or when another force joins the person: ADR 0012), as
    `{"organisation", "team", "phone", "email"}`: one subquery, not one query per hold."""
    latest = (
        Case.objects.filter(victim_id=OuterRef("victim_id"))
        .order_by("created_at", "id")
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
        .annotate(referring_contact=referring_force_contact())
        .order_by("status_since", "pk")
    )


def override_list(*, user: User, status: str | None = None) -> QuerySet[Override]:
    """Public-protection overrides, newest first, for IE seniors only (hold references, no
    identities), optionally of one status (`requested`: those waiting for a second senior)."""
    if user is None or not user.is_authenticated or not user.has_role(Role.IE_SENIOR):
        return Override.objects.none()
    overrides = Override.objects.select_related("hold", "requested_by", "decided_by", "revoked_by")
    if status:
        overrides = overrides.filter(status=status)
    return overrides.order_by("-requested_at")


def override_queue(*, user: User) -> QuerySet[Override]:
    """Overrides waiting for a decision, then approved ones that may be revoked (IE seniors)."""
    return (
        override_list(user=user)
        .filter(status__in=("requested", "approved"))
        .order_by("status", "requested_at")
    )


def override_get(*, user: User, override_id) -> Override:
    """One override (`Override.DoesNotExist` otherwise)."""
    return override_list(user=user).get(pk=override_id)


_CASE_REFERENCE = re.compile(r"\bC-[0-9A-Z]{6}\b")
OTHER_FORCE_CASE = "a case of another force"


def mask_case_references(lines, visible: set[str]) -> list[str]:
    """Explanation lines with every case reference the caller may not see replaced by words:
    another force's case stays invisible, even by its reference."""
    return [
        _CASE_REFERENCE.sub(
            lambda match: match[0] if match[0] in visible else OTHER_FORCE_CASE, line
        )
        for line in lines
    ]


def hold_for_victim(victim: Victim, *, user: User | None = None) -> Hold:
    """The victim's hold with its history (the caller has already been scoped to the victim).

    With `user`, explanation lines (current and past) name only the cases that user may see.
    """
    hold = Hold.objects.prefetch_related("decisions").get(victim=victim)
    if user is not None:
        visible = set(
            case_list(user=user).filter(victim=victim).values_list("reference", flat=True)
        )
        hold.explanation = mask_case_references(hold.explanation, visible)
        for decision in hold.decisions.all():
            decision.explanation = mask_case_references(decision.explanation, visible)
    return hold


def hold_by_reference(*, reference: str) -> Hold | None:
    """The hold with this reference (any case), with its referring force's contact point as
    the review queue has it; None if there is none. The IE pages decide whether it may be
    shown (`protocol.views._ie_hold`)."""
    return (
        Hold.objects.filter(reference=resolved_hold_reference(reference))
        .annotate(referring_contact=referring_force_contact())
        .first()
    )


def resolved_hold_reference(reference: str) -> str:
    """The reference of the hold `reference` names now: a merged hold's reference resolves to
    the hold it was merged into (ADR 0012); any other is returned as given (in capitals)."""
    reference = reference.upper()
    alias = HoldAlias.objects.filter(reference=reference).values_list("hold__reference", flat=True)
    return alias.first() or reference


def hold_overrides(hold: Hold) -> list[Override]:
    """A hold's overrides, with the seniors who requested, decided and revoked them."""
    return list(hold.overrides.select_related("requested_by", "decided_by", "revoked_by"))


def notification_list(*, organisation, limit: int = 5) -> list[Notification]:
    """The organisation's latest notifications about its holds."""
    return list(
        Notification.objects.filter(organisation=organisation).select_related("hold")[:limit]
    )


NOTIFIED_ROLES = (*POLICE_ROLES, Role.SUPPORT_ADVISER, Role.IE_SENIOR)
UNREAD_COUNT_UP_TO = 99


class _Read(TypedDict):
    read: bool


def notifications_visible(*, user) -> "QuerySet[WithAnnotations[Notification, _Read]]":
    """The notifications the user may read, newest first, each with `read` (by this user): their
    organisation's, for police, support advisers and IE seniors (IE caseworkers, analysts,
    auditors and administrators receive none)."""
    queryset = Notification.objects.annotate(
        read=Exists(NotificationRead.objects.filter(notification=OuterRef("pk"), user=user))
    ).order_by("-created_at", "-id")
    organisation = getattr(user, "organisation", None)
    if organisation is None or not user.has_role(*NOTIFIED_ROLES):
        return queryset.none()
    if organisation.kind == OrganisationKind.IMMIGRATION_ENFORCEMENT and not user.has_role(
        Role.IE_SENIOR
    ):
        return queryset.none()
    return queryset.filter(organisation=organisation)


def notifications_unread_count(*, user) -> int:
    """How many of the user's notifications they have not read, counted up to 100 (the header
    shows "99+" beyond)."""
    return (
        notifications_visible(user=user)
        .filter(read=False)
        .order_by()
        .values("pk")[: UNREAD_COUNT_UP_TO + 1]
        .count()
    )
