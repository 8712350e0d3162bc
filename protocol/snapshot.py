"""The one place that reads the database and builds the rules' facts.

Facts are read for a batch of victims in one SQL statement whatever the batch size: each victim's
`facts_version` with its cases, support engagements, applications, override and end
confirmation, aggregated per victim. One statement means one round trip (re-evaluating a single
hold is latency-bound) and one snapshot of the database: the version and the facts always belong
together, even under READ COMMITTED. Every aggregate has a total order, so the same facts always
come out in the same order (and the explanation, which names them in that order, does not change
between two evaluations of the same facts).

Raw SQL rather than the ORM: six ORM queries cost a single re-evaluation five times as long.
The columns are Django's, and `tests/holds/test_snapshot.py` checks every kind of fact.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from uuid import UUID

from django.db import connection

from .rules import (
    ApplicationFacts,
    CaseFacts,
    EndConfirmationFacts,
    Facts,
    OverrideFacts,
    SupportFacts,
    facts_to_dict,
)


@dataclass(frozen=True)
class Snapshot:
    """One victim's facts and the `facts_version` they were read at."""

    victim_id: UUID
    facts_version: int
    facts: Facts


# Every fact the rules read about the victim aliased `victim`, as the columns of a SELECT: the
# version, then each kind of fact aggregated in a stable order. `protocol.services.evaluation`
# selects them in the statement that locks the holds; `snapshots_for` on their own.
FACTS_COLUMNS = """
    victim.facts_version,
    (SELECT coalesce(json_agg(json_build_array(
            c.reference, c.role, c.referred_on, c.investigation_status, c.closed_on,
            c.outcome_code, c.prosecution_status, c.court, c.concluded_on
        ) ORDER BY c.referred_on, c.created_at, c.id), '[]')
     FROM cases_case c WHERE c.victim_id = victim.id),
    (SELECT coalesce(json_agg(json_build_array(
            o.code, s.status, s.started_on, s.last_contact_on, s.closed_on
        ) ORDER BY s.started_on, s.created_at, s.id), '[]')
     FROM victims_supportengagement s JOIN accounts_organisation o ON o.id = s.organisation_id
     WHERE s.victim_id = victim.id),
    (SELECT coalesce(json_agg(json_build_array(
            a.route, a.status, a.submitted_on, a.decided_on, a.leave_expires_on
        ) ORDER BY a.submitted_on, a.created_at, a.id), '[]')
     FROM victims_application a WHERE a.victim_id = victim.id),
    -- The override the rules read: the approved one if any, otherwise the latest.
    (SELECT json_build_array(ov.status, ov.approved_on, ov.expires_on)
     FROM protocol_override ov JOIN protocol_hold h ON h.id = ov.hold_id
     WHERE h.victim_id = victim.id
     ORDER BY ov.status = 'approved' DESC, ov.requested_at DESC, ov.id DESC LIMIT 1),
    -- The latest end confirmation (one a merge set aside no longer counts: ADR 0012).
    (SELECT json_build_array(e.confirmed_on, e.reason)
     FROM protocol_endconfirmation e JOIN protocol_hold h ON h.id = e.hold_id
     WHERE h.victim_id = victim.id AND NOT e.set_aside_by_merge
     ORDER BY e.confirmed_on DESC, e.created_at DESC, e.id DESC LIMIT 1)
"""

_FACTS_SQL = (
    "SELECT victim.id,"
    + FACTS_COLUMNS
    + "FROM victims_victim victim WHERE victim.id = ANY(%s::uuid[])"
)


@lru_cache(maxsize=8192)
def _day(value: str | None) -> date | None:
    """A date from its ISO text (cached: the same few thousand dates recur across victims)."""
    return None if value is None else date.fromisoformat(value)


def snapshots_for(victim_ids: Iterable[UUID]) -> dict[UUID, Snapshot]:
    """Facts for each victim in `victim_ids`, read in one statement whatever the batch size."""
    ids = list(victim_ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_FACTS_SQL, [ids])
        rows = cursor.fetchall()
    return {row[0]: snapshot_from_row(row[0], row[1:]) for row in rows}


def snapshot_from_row(victim_id: UUID, columns: Sequence) -> Snapshot:
    """The snapshot in the values of `FACTS_COLUMNS`, as the database returned them."""
    return Snapshot(victim_id=victim_id, facts_version=columns[0], facts=facts_from_row(columns))


def facts_from_row(columns: Sequence) -> Facts:
    """The facts in the values of `FACTS_COLUMNS` (the version first, not read here)."""
    _version, cases, support, applications, override, confirmation = columns
    return Facts(
        cases=tuple(
            CaseFacts(
                role=role,
                referred_on=_day(referred_on),
                investigation_status=investigation,
                closed_on=_day(closed_on),
                outcome_code=outcome,
                prosecution_status=prosecution,
                court=court or None,
                concluded_on=_day(concluded_on),
                label=reference,
            )
            for (
                reference,
                role,
                referred_on,
                investigation,
                closed_on,
                outcome,
                prosecution,
                court,
                concluded_on,
            ) in cases
        ),
        support=tuple(
            SupportFacts(
                status=status,
                started_on=_day(started_on),
                last_contact_on=_day(last_contact_on),
                closed_on=_day(closed_on),
                label=f"support by {code}",
            )
            for code, status, started_on, last_contact_on, closed_on in support
        ),
        applications=tuple(
            ApplicationFacts(
                route=route,
                status=status,
                submitted_on=_day(submitted_on),
                decided_on=_day(decided_on),
                leave_expires_on=_day(leave_expires_on),
                label=f"{route} application submitted {submitted_on}",
            )
            for route, status, submitted_on, decided_on, leave_expires_on in applications
        ),
        override=(
            None
            if override is None
            else OverrideFacts(
                status=override[0], approved_on=_day(override[1]), expires_on=_day(override[2])
            )
        ),
        end_confirmation=(
            None
            if confirmation is None
            else EndConfirmationFacts(confirmed_on=_day(confirmation[0]), reason=confirmation[1])
        ),
    )


def snapshot_for(victim_id: UUID) -> Snapshot:
    """Facts for one victim (see `snapshots_for`)."""
    return snapshots_for([victim_id])[victim_id]


def facts_as_record(facts: Facts) -> dict:
    """The facts in the scenario file format, so a stored decision can be replayed with
    `manage.py evaluate_scenarios`. Dates and statuses only: no names, no narrative."""
    return facts_to_dict(facts)
