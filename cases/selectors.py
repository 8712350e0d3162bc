"""Reads of cases, scoped to the caller."""

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.roles import POLICE_ROLES, Role
from victims.selectors import victim_list

from .models import Case


def case_list(*, user) -> QuerySet[Case]:
    """Police: their force's cases. Advisers: cases of victims referred to their organisation
    (the API and pages leave out the narrative for them). Everyone else: none."""
    if not user.is_authenticated:
        return Case.objects.none()
    if user.has_role(*POLICE_ROLES):
        return get_objects_for_user(
            user, "cases.view_case", klass=Case, accept_global_perms=False, with_superuser=False
        )
    if user.has_role(Role.SUPPORT_ADVISER):
        return Case.objects.filter(victim__in=victim_list(user=user))
    return Case.objects.none()


def case_get(*, user, case_id) -> Case:
    """One case the caller may see; `Case.DoesNotExist` (a 404) otherwise."""
    return case_list(user=user).select_related("victim", "force", "victim__hold").get(pk=case_id)


def can_change_case(*, user, case: Case) -> bool:
    """Police of the case's own force may record status changes."""
    return user.has_role(*POLICE_ROLES) and case.force_id == user.organisation_id
