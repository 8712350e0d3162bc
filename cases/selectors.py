"""Reads of cases, scoped to the caller."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from core.permissions import granted_to_organisation
from core.roles import POLICE_ROLES, Role
from victims.models import Victim
from victims.selectors import SEARCH_MIN_CHARACTERS, victim_list, victims_matching

from .models import Case, CaseGroupObjectPermission, CaseStatusChange


def case_list(*, user: User) -> QuerySet[Case]:
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


def case_get(*, user: User, case_id) -> Case:
    """One case the caller may see; `Case.DoesNotExist` (a 404) otherwise."""
    return case_list(user=user).select_related("victim", "force", "victim__hold").get(pk=case_id)


def cases_matching(text: str) -> QuerySet[Case, Any]:
    """The ids of every case whose reference is `text`, whose crime reference contains it (any
    case), or whose victim's reference or name matches it (`victims_matching`): a subquery for
    a scoped list. Each part is read through its own index (the unique references, the
    trigram indexes on crime references and on victims' names) and the parts are united, so
    a search never scans a force's cases, whatever their number."""
    text = text.strip()
    by_reference = Case.objects.filter(reference=text.upper())  # stored in capitals
    by_crime_reference = (
        Case.objects.filter(crime_reference__icontains=text)
        if len(text) >= SEARCH_MIN_CHARACTERS
        else Case.objects.none()  # no crime reference is that short
    )
    by_victim = Case.objects.filter(
        victim__in=victims_matching(Victim.objects.all(), text).values("pk")
    )
    return (
        by_reference.order_by()
        .values("pk")
        .union(by_crime_reference.order_by().values("pk"), by_victim.order_by().values("pk"))
    )


def case_search(
    *,
    user: User,
    text: str | None = None,
    status: str | None = None,
    prosecution_status: str | None = None,
    hold_status: str | None = None,
) -> QuerySet[Case]:
    """The caller's cases (as `case_list`), those matching a search `text` (`cases_matching`),
    filtered by investigation status, prosecution status or the victim's hold status, with
    what a list shows joined in (no N+1)."""
    cases = case_list(user=user)
    if text and text.strip():
        cases = cases.filter(pk__in=cases_matching(text))
    if status:
        cases = cases.filter(investigation_status=status)
    if prosecution_status:
        cases = cases.filter(prosecution_status=prosecution_status)
    if hold_status:
        cases = cases.filter(victim__hold__status=hold_status)
    return cases.select_related("force", "victim", "victim__hold")


def case_detail(*, user: User, case_id) -> Case:
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


def can_change_case(*, user: User, case: Case) -> bool:
    """Police of the case's own force may record status changes."""
    return user.has_role(*POLICE_ROLES) and case.force_id == user.organisation_id
