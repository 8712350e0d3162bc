"""The IE hold check: one code path for the API and the page. It writes (the check, the
disclosures and the access event), so it is a service, not a selector (ADR 0007)."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from django.db import connection, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AccessEvent, User
from core.normalise import home_office_reference_key, name_key

from . import evaluation
from .evaluation import Trigger


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
# A record merged into another (ADR 0012) matches as the record it became: its identifiers still
# name the person, and a merge must never make a check read "no hold".
_MATCH_BY_REFERENCE = """
    SELECT coalesce(merged_into_id, id) AS id FROM victims_victim
    WHERE home_office_reference_key = %(reference)s AND home_office_reference_key <> ''
"""
# Dependants are covered by their victim's hold.
_MATCH_BY_IDENTITY = """
    SELECT coalesce(merged_into_id, id) AS id FROM victims_victim
    WHERE family_name_key = %(family)s AND given_names_key = %(given)s
      AND date_of_birth = %(born)s
    UNION
    SELECT victim_id FROM victims_dependant
    WHERE family_name_key = %(family)s AND given_names_key = %(given)s
      AND date_of_birth = %(born)s
"""
_MATCH_NOBODY = "SELECT NULL::uuid AS id WHERE false"
# The matching holds whose stored decision may lag the facts (the sweep's condition, see
# `holds_needing_evaluation`) are found by the same statement: when there are any, it writes
# nothing and answers only their ids, which are re-evaluated as one batch (locking the holds, in
# primary-key order, as every batch does) before the statement runs again, told not to look for
# lag a second time. Usually there are none, and
# the statement also locks the access log's chain head the check's event will extend
# (`accounts.audit.lock_chain`'s statement), so the check, its records and the head's lock are
# one round trip and the event's append is the second. The head is locked only when nothing
# lags: a re-evaluation locks holds before any head, as every other writer does.
_CHECK = """
WITH matched AS ({match}),
hold AS (
    SELECT hold.id, hold.victim_id, hold.reference, hold.protected_until, hold.in_force,
           (hold.evaluated_version < victim.facts_version OR hold.next_due_on <= %(on)s) AS lags
    FROM protocol_hold AS hold JOIN victims_victim AS victim ON victim.id = hold.victim_id
    WHERE hold.victim_id IN (SELECT id FROM matched)
),
lagging AS (SELECT id FROM hold WHERE lags AND %(look_for_lag)s),
fresh AS (SELECT NOT EXISTS (SELECT FROM lagging) AS fresh),
chosen AS (  -- of several holds in force, the one that protects longest (no end date: longest)
    SELECT * FROM hold WHERE in_force
    ORDER BY protected_until DESC NULLS FIRST, reference LIMIT 1
),
check_row AS (
    INSERT INTO protocol_holdcheck (id, at, by_id, hold_id, answered_in_force)
    SELECT %(check)s, %(now)s, %(by)s, chosen.id, chosen.id IS NOT NULL
    FROM (SELECT) AS one LEFT JOIN chosen ON true
    WHERE (SELECT fresh FROM fresh)
),
disclosure AS (
    INSERT INTO victims_disclosure (id, victim_id, at, organisation_id, categories, purpose, by_id)
    SELECT gen_random_uuid(), hold.victim_id, %(now)s, %(organisation)s,
           CASE WHEN hold.id = chosen.id THEN ARRAY['hold_status'] ELSE ARRAY[]::varchar[] END,
           CASE WHEN hold.id = chosen.id THEN %(told_in_force)s ELSE %(told_not_in_force)s END,
           %(by)s
    FROM hold LEFT JOIN chosen ON true
    WHERE (SELECT fresh FROM fresh)
),
head AS (
    SELECT hmac, event_count FROM accounts_auditchainhead
    WHERE chain = %(chain)s AND (SELECT fresh FROM fresh)
    FOR UPDATE
)
SELECT lagging.id, NULL, NULL::date, NULL, NULL, NULL, NULL, NULL, NULL::bigint
FROM lagging
UNION ALL
SELECT NULL, chosen.reference, chosen.protected_until,
       force.name, force.contact_team, force.contact_phone, force.contact_email,
       head.hmac, head.event_count
FROM (SELECT) AS one
LEFT JOIN chosen ON true
LEFT JOIN LATERAL (  -- the force that referred the person first (ADR 0012)
    SELECT organisation.* FROM cases_case AS c
    JOIN accounts_organisation AS organisation ON organisation.id = c.force_id
    WHERE c.victim_id = chosen.victim_id
    ORDER BY c.created_at, c.id LIMIT 1
) AS force ON true
LEFT JOIN head ON true
WHERE (SELECT fresh FROM fresh)
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
    user: User,
    request=None,
    home_office_reference: str | None = None,
    family_name: str | None = None,
    given_names: str | None = None,
    date_of_birth: date | None = None,
) -> HoldCheckAnswer:
    """Whether a hold is in force for one person, and nothing else about them.

    The answer is never read from a decision that lags the facts: a matching hold whose
    evaluation is behind its victim's `facts_version`, or whose `next_due_on` has come, is
    re-evaluated first (all of them in one batch, `holds_reevaluate_batch`, locking them), in
    the check's own transaction. The check, its answer, the disclosure to each matching
    victim's record and the access event are written in that transaction too. Should anything
    fail (the database, the rules: any hold of the batch whose evaluation failed), the error is
    raised and nothing is written: the caller answers that no check was made, never an answer
    read from a decision that lags the facts.
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
        on = evaluation.today()
        chain = audit.pick_chain()
        statement = _CHECK.format(match=sql)
        values = {
            **parameters,
            "on": on,
            "look_for_lag": True,
            "chain": chain,
            "check": check_id,
            "now": timezone.now(),
            "by": user.pk,
            "organisation": user.organisation_id,
            "told_in_force": _TOLD.format("a hold is in force"),
            "told_not_in_force": _TOLD.format("no hold in force"),
        }
        cursor.execute(statement, values)
        rows = cursor.fetchall()
        lagging = sorted(row[0] for row in rows if row[0] is not None)
        if lagging:
            result = evaluation.holds_reevaluate_batch(
                hold_ids=lagging, trigger=Trigger.HOLD_CHECK, on=on
            )
            if result.failed:  # fail towards protection: no answer from a stale decision
                raise evaluation.HoldEvaluationError(
                    f"Evaluating hold {', '.join(result.failed)} failed during a hold check; "
                    "no check was made."
                )
            # Answered from the decisions just written (and locked), as they stand now.
            cursor.execute(statement, {**values, "look_for_lag": False})
            rows = cursor.fetchall()
        (_, reference, protected_until, force, team, phone, email, last_hmac, events) = rows[0]
        if reference is not None:
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
        head = (
            audit.ChainHead(last_hmac, events)
            if last_hmac is not None
            else audit.lock_chain(cursor, chain)  # a chain without its head row yet
        )
        audit.append_event(
            cursor,
            head=head,
            user=user,
            request=request,
            action="hold_check",
            object_type="hold_check",
            object_id=str(check_id),
            outcome=AccessEvent.Outcome.ALLOWED,
            detail="",
            chain=chain,
        )
    return answer
