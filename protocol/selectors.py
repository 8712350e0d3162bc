"""Reads of holds, already scoped and minimised for the caller's role."""

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from accounts.audit import record_access
from accounts.roles import Role
from victims.models import Victim
from victims.normalise import home_office_reference_key, name_key

from .models import Hold, Override


@dataclass(frozen=True)
class HoldCheckAnswer:
    """The minimal answer IE receives. Identical for unknown and not-in-force people."""

    check_id: UUID
    in_force: bool
    hold_reference: str | None
    protected_until: date | None
    contact: dict | None


# The IE hold check is the busiest request there is (API.md: p99 under 25 ms at 32 clients), so
# the lookup, the choice of hold, the referring force's contact point and the records the check
# leaves (the check and one disclosure per matching victim) are one statement.
# (`<> ''` repeats the partial index's condition, so a prepared statement's generic plan can
# use it too.)
_MATCH_BY_REFERENCE = """
    SELECT id FROM victims_victim
    WHERE home_office_reference_key = %(reference)s AND home_office_reference_key <> ''
"""
# Dependants are covered by their victim's hold.
_MATCH_BY_IDENTITY = """
    SELECT id FROM victims_victim
    WHERE family_name_key = %(family)s AND given_names_key = %(given)s
      AND date_of_birth = %(born)s
    UNION
    SELECT victim_id FROM victims_dependant
    WHERE family_name_key = %(family)s AND given_names_key = %(given)s
      AND date_of_birth = %(born)s
"""
_MATCH_NOBODY = "SELECT NULL::uuid AS id WHERE false"
_CHECK = """
WITH matched AS ({match}),
hold AS (
    SELECT id, victim_id, reference, protected_until, in_force FROM protocol_hold
    WHERE victim_id IN (SELECT id FROM matched)
),
chosen AS (  -- of several holds in force, the one that protects longest (no end date: longest)
    SELECT * FROM hold WHERE in_force
    ORDER BY protected_until DESC NULLS FIRST, reference LIMIT 1
),
check_row AS (
    INSERT INTO protocol_holdcheck (id, at, by_id, hold_id, answered_in_force)
    SELECT %(check)s, %(now)s, %(by)s, chosen.id, chosen.id IS NOT NULL
    FROM (SELECT) AS one LEFT JOIN chosen ON true
),
disclosure AS (
    INSERT INTO victims_disclosure (id, victim_id, at, organisation_id, categories, purpose, by_id)
    SELECT gen_random_uuid(), hold.victim_id, %(now)s, %(organisation)s,
           CASE WHEN hold.id = chosen.id THEN ARRAY['hold_status'] ELSE ARRAY[]::varchar[] END,
           CASE WHEN hold.id = chosen.id THEN %(told_in_force)s ELSE %(told_not_in_force)s END,
           %(by)s
    FROM hold LEFT JOIN chosen ON true
)
SELECT chosen.reference, chosen.protected_until,
       force.name, force.contact_team, force.contact_phone, force.contact_email
FROM chosen LEFT JOIN LATERAL (  -- the force that referred the victim most recently
    SELECT organisation.* FROM cases_case AS c
    JOIN accounts_organisation AS organisation ON organisation.id = c.force_id
    WHERE c.victim_id = chosen.victim_id
    ORDER BY c.referred_on DESC, c.created_at DESC LIMIT 1
) AS force ON true
"""
_TOLD = "Immigration Enforcement checked whether a hold is in force and was told: {}"


def _match(
    *,
    home_office_reference: str | None,
    family_name: str | None,
    given_names: str | None,
    date_of_birth: date | None,
) -> tuple[str, dict] | None:
    """Exact identifiers only: a normalised Home Office reference, or the normalised full name
    with the date of birth. None when what was given cannot match anyone."""
    if home_office_reference:
        key = home_office_reference_key(home_office_reference)
        return (_MATCH_BY_REFERENCE, {"reference": key}) if key else None
    family, given = name_key(family_name or ""), name_key(given_names or "")
    if not (family and given and date_of_birth):
        return None
    return _MATCH_BY_IDENTITY, {"family": family, "given": given, "born": date_of_birth}


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

    The check, its answer, the disclosure to each matching victim's record and the access event
    are written in the same transaction as the answer is made.
    """
    match = _match(
        home_office_reference=home_office_reference,
        family_name=family_name,
        given_names=given_names,
        date_of_birth=date_of_birth,
    )
    sql, parameters = match or (_MATCH_NOBODY, {})
    check_id = uuid4()
    answer = HoldCheckAnswer(check_id, False, None, None, None)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _CHECK.format(match=sql),
            {
                **parameters,
                "check": check_id,
                "now": timezone.now(),
                "by": user.pk,
                "organisation": user.organisation_id,
                "told_in_force": _TOLD.format("a hold is in force"),
                "told_not_in_force": _TOLD.format("no hold in force"),
            },
        )
        row = cursor.fetchone()
        if row is not None:
            reference, protected_until, force, team, phone, email = row
            answer = HoldCheckAnswer(
                check_id=check_id,
                in_force=True,
                hold_reference=reference,
                protected_until=protected_until,
                contact=(
                    {"organisation": force, "team": team, "phone": phone, "email": email}
                    if force
                    else None
                ),
            )
        record_access(
            user=user,
            action="hold_check",
            object_type="hold_check",
            object_id=str(check_id),
            request=request,
        )
    return answer


def referring_force_contact() -> Subquery:
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
        .annotate(referring_contact=referring_force_contact())
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
