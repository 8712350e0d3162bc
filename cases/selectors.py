"""Reads of cases, scoped to the caller."""

from typing import Any

from django.db import connection
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


# A police officer's read of one case (`GET /api/v1/cases/{id}`, the busiest read there is) in
# one statement written once: the case, its force, victim and hold, and its status history
# (newest first, with who made each change), scoped exactly as `case_list` scopes police (the
# force's own cases, each confirmed by its grant to the force). The ORM would build and compile
# the scoped query and the history's prefetch again on every request.
_POLICE_CASE = """
SELECT c.id, c.reference, force.code, force.name, victim.id, victim.reference,
       hold.reference, hold.status, hold.in_force, hold.protected_until,
       c.crime_reference, c.crime_type, c.role, c.reported_on, c.referred_on,
       c.investigation_status, c.closed_on, c.outcome_code, c.prosecution_status, c.court,
       c.concluded_on, c.created_at, c.updated_at, c.narrative,
       (SELECT json_agg(
                   json_build_object(
                       'at', change.at, 'changes', change.changes, 'by', author.email,
                       'note', change.note
                   )
                   ORDER BY change.at DESC, change.id DESC
               )
        FROM cases_casestatuschange AS change
        JOIN accounts_user AS author ON author.id = change.by_id
        WHERE change.case_id = c.id)
FROM cases_case AS c
JOIN accounts_organisation AS force ON force.id = c.force_id
JOIN victims_victim AS victim ON victim.id = c.victim_id
LEFT JOIN protocol_hold AS hold ON hold.victim_id = victim.id
WHERE c.id = %(case)s AND c.force_id = %(force)s
  AND EXISTS (
      SELECT FROM cases_casegroupobjectpermission AS grant_
      WHERE grant_.content_object_id = c.id AND grant_.group_id = %(group)s
        AND grant_.permission_id = (  -- by content type and codename: one permission
            SELECT permission.id FROM auth_permission AS permission
            JOIN django_content_type AS content_type
              ON content_type.id = permission.content_type_id
            WHERE content_type.app_label = 'cases' AND content_type.model = 'case'
              AND permission.codename = 'view_case'
        )
  )
"""
_POLICE_CASE_FIELDS = (
    "id",
    "reference",
    "force_code",
    "force_name",
    "victim_id",
    "victim_reference",
    "hold_reference",
    "hold_status",
    "hold_in_force",
    "hold_protected_until",
    "crime_reference",
    "crime_type",
    "role",
    "reported_on",
    "referred_on",
    "investigation_status",
    "closed_on",
    "outcome_code",
    "prosecution_status",
    "court",
    "concluded_on",
    "created_at",
    "updated_at",
    "narrative",
    "status_changes",
)


def police_case(*, user: User, case_id) -> dict:
    """One case of the caller's force as police see it, as plain values (`_POLICE_CASE_FIELDS`;
    each status change is a dict of `at` (ISO text), `changes`, `by` (an email) and `note`);
    `Case.DoesNotExist` for anyone but police, or for a case that is not theirs to see
    (the same scope as `case_list`)."""
    organisation = user.organisation if user.is_authenticated else None
    if organisation is None or not user.has_role(*POLICE_ROLES):
        raise Case.DoesNotExist
    with connection.cursor() as cursor:
        cursor.execute(
            _POLICE_CASE,
            {"case": case_id, "force": organisation.pk, "group": organisation.group_id},
        )
        row = cursor.fetchone()
    if row is None:
        raise Case.DoesNotExist
    found = dict(zip(_POLICE_CASE_FIELDS, row, strict=True))
    found["status_changes"] = found["status_changes"] or []
    return found
