"""Reads of cases, scoped to the caller."""

from django.db.models import Prefetch, QuerySet

from core.permissions import granted_to_organisation
from core.roles import POLICE_ROLES, Role
from victims.selectors import victim_list

from .models import Case, CaseGroupObjectPermission, CaseStatusChange


def case_list(*, user) -> QuerySet[Case]:
    """Police: their force's cases. Advisers: cases of victims referred to their organisation
    (the API and pages leave out the narrative for them). Everyone else: none."""
    if not user.is_authenticated:
        return Case.objects.none()
    if user.has_role(*POLICE_ROLES):
        # The force's own cases (which lets PostgreSQL walk the force's index in order), each
        # confirmed by its grant to the force.
        return granted_to_organisation(
            Case.objects.filter(force_id=user.organisation_id),
            CaseGroupObjectPermission,
            user=user,
            codename="view_case",
        )
    if user.has_role(Role.SUPPORT_ADVISER):
        return Case.objects.filter(victim__in=victim_list(user=user))
    return Case.objects.none()


def case_get(*, user, case_id) -> Case:
    """One case the caller may see; `Case.DoesNotExist` (a 404) otherwise."""
    return case_list(user=user).select_related("victim", "force", "victim__hold").get(pk=case_id)


def case_search(
    *,
    user,
    status: str | None = None,
    prosecution_status: str | None = None,
    hold_status: str | None = None,
) -> QuerySet[Case]:
    """The caller's cases (as `case_list`), filtered by investigation status, prosecution
    status or the victim's hold status, with what a list shows joined in (no N+1)."""
    cases = case_list(user=user)
    if status:
        cases = cases.filter(investigation_status=status)
    if prosecution_status:
        cases = cases.filter(prosecution_status=prosecution_status)
    if hold_status:
        cases = cases.filter(victim__hold__status=hold_status)
    return cases.select_related("force", "victim", "victim__hold")


def case_detail(*, user, case_id) -> Case:
    """One case the caller may see with its status history; `Case.DoesNotExist` otherwise.
    (The API leaves out the narrative and the notes for advisers.)"""
    return (
        case_list(user=user)
        .select_related("force", "victim", "victim__hold")
        .prefetch_related(
            Prefetch("status_changes", queryset=CaseStatusChange.objects.select_related("by"))
        )
        .get(pk=case_id)
    )


def can_change_case(*, user, case: Case) -> bool:
    """Police of the case's own force may record status changes."""
    return user.has_role(*POLICE_ROLES) and case.force_id == user.organisation_id
