"""Reads for the accounts API: organisations, users and the access log, scoped to the caller.

(`accounts` has no selectors module of its own yet; these belong there when it gets one.)
"""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AccessEvent, Organisation, User
from core.roles import POLICE_ROLES, Role

ORGANISATION_READERS = (*POLICE_ROLES, Role.SUPPORT_ADVISER, Role.ADMINISTRATOR)


def organisation_list(*, user: User, kind: str | None = None) -> QuerySet[Organisation]:
    """Organisations' codes, names and contact points: for police, advisers and
    administrators (public contact points, no members); nobody else."""
    if user is None or not user.is_authenticated or not user.has_role(*ORGANISATION_READERS):
        return Organisation.objects.none()
    organisations = Organisation.objects.all()
    if kind:
        organisations = organisations.filter(kind=kind)
    return organisations.order_by("code")


def user_list(
    *, user: User, organisation: str | None = None, role: str | None = None
) -> QuerySet[User]:
    """User accounts, for administrators only, with organisation and roles loaded."""
    if user is None or not user.is_authenticated or not user.has_role(Role.ADMINISTRATOR):
        return User.objects.none()
    users = User.objects.select_related("organisation").prefetch_related("groups")
    if organisation:
        users = users.filter(organisation__code=organisation)
    if role:
        users = users.filter(groups__name=role)
    return users.order_by("email")


def user_get(*, user: User, user_id) -> User:
    """One user account (administrators only); `User.DoesNotExist` otherwise."""
    return user_list(user=user).get(pk=user_id)


def access_event_list(
    *,
    user: User,
    action: str | None = None,
    outcome: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    organisation: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AccessEvent]:
    """The access and disclosure log, newest first, for auditors only."""
    if user is None or not user.is_authenticated or not user.has_role(Role.AUDITOR):
        return AccessEvent.objects.none()
    events = AccessEvent.objects.all()
    if action:
        events = events.filter(action=action)
    if outcome:
        events = events.filter(outcome=outcome)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor:
        events = events.filter(actor_email=actor.strip().lower())
    if organisation:
        events = events.filter(actor_organisation=organisation)
    zone = timezone.get_current_timezone()
    if since:
        events = events.filter(at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=zone))
    if until:
        next_day = until + dt.timedelta(days=1)
        events = events.filter(at__lt=dt.datetime.combine(next_day, dt.time.min, tzinfo=zone))
    return events.order_by("-id")
