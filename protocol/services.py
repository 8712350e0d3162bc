"""The only writers of holds. Every hold is the output of the rules over the recorded facts.

`hold_reevaluate` and `holds_reevaluate_batch` lock the hold rows, build the facts in one place
(`snapshot.py`), evaluate, and write a `HoldDecision` only when the decision changed. Running
them twice, late or out of order gives the same result: they carry no facts of their own, they
read the facts as they are now, and a hold never goes back to an evaluation of older facts
(`evaluated_version` only grows). If evaluation raises, the previous hold stays exactly as it
was (in force if it was) and the error is raised (one hold) or reported (a batch) for a retry.

One re-evaluation is two SQL statements in one transaction: lock the hold and read its facts;
evaluate (in Python); write. A batch of a thousand holds is the same two statements.
"""

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.audit import record_access
from accounts.models import Organisation
from core.errors import ConflictError
from core.normalise import home_office_reference_key, name_key
from victims import services as victims_services
from victims.models import Victim

from .models import EndConfirmation, Hold, HoldDecision, Notification, Override
from .policy import current_policy
from .rules import Decision, evaluate, values
from .snapshot import FACTS_COLUMNS, Snapshot, facts_as_record, snapshot_from_row, snapshots_for

logger = logging.getLogger(__name__)

Trigger = HoldDecision.Trigger


class HoldEvaluationError(RuntimeError):
    """Evaluating a hold failed; the stored hold was kept exactly as it was."""


def today() -> date:
    """The evaluation date: today in the service's time zone (Europe/London)."""
    return timezone.localdate()


# --- Comparing decisions -------------------------------------------------------------------


_rulesets: dict[tuple, tuple[dict, str]] = {}


def _ruleset(decision: Decision) -> tuple[dict, str]:
    """What a decision records about how it was made (the rule-set version and the policy
    values), as a dict and as JSON. Built once per policy: one policy decides many holds."""
    key = (decision.ruleset, decision.policy)
    try:
        return _rulesets[key]
    except KeyError:
        policy = {
            name: dict(value.items()) if isinstance(value, Mapping) else value
            for name, value in decision.policy.items()
        }
        record = {"version": decision.ruleset, "policy": policy}
        _rulesets[key] = (record, json.dumps(record, sort_keys=True))
        return _rulesets[key]


def _ruleset_record(decision: Decision) -> dict:
    """A fresh copy of the decision's ruleset record, for a model field."""
    return json.loads(_ruleset(decision)[1])


def _stored_key(hold) -> tuple:
    """The decision a stored hold (or anything with its fields) records."""
    return (
        hold.status,
        hold.in_force,
        tuple(hold.grounds),
        hold.protected_until,
        tuple(hold.flags),
        hold.ruleset or {},
    )


def _fresh_key(decision: Decision) -> tuple:
    """The same fields of a fresh decision. The ruleset counts whole: a decision made under
    other policy values is another decision, even when its outcome reads the same."""
    return (*decision.outcome_key(), _ruleset(decision)[0])


def _copy_decision(target, decision: Decision) -> None:
    target.status = decision.status
    target.in_force = decision.in_force
    target.grounds = list(decision.grounds)
    target.protected_until = decision.protected_until
    target.flags = list(decision.flags)
    target.explanation = list(decision.explanation)
    target.ruleset = _ruleset_record(decision)


@dataclass(slots=True)
class StoredHold:
    """The fields of a locked hold that re-evaluation reads (lighter than a `Hold`)."""

    id: UUID
    reference: str
    victim_id: UUID
    status: str
    in_force: bool
    grounds: list[str]
    protected_until: date | None
    flags: list[str]
    explanation: list[str]
    ruleset: dict
    status_since: datetime


# The columns that fill a `StoredHold`, in its order (rows are read by position).
STORED_FIELDS = tuple(field.name for field in dataclasses.fields(StoredHold))


# Lock the holds and read their victims' facts in one statement: one round trip, and the facts
# and their version from one snapshot. The snapshot is the statement's, taken before any wait
# for a lock, so after a wait the facts may be older than what the lock's previous holder wrote;
# the write below never lets an evaluation of older facts replace one of newer facts.
# One victim's hold (a worker's task) is found with a plain `=`: PostgreSQL then keeps one plan
# for the prepared statement (DB_PREPARE_THRESHOLD), where with `= ANY(array)` it plans again
# on every run, which costs more than running it. A batch uses the array.
#
# The first column sets how the transaction commits. A re-evaluation that is a transaction of
# its own (the first parameter true: a worker's task) of a hold that lags its facts commits
# without waiting for the disk (`synchronous_commit` off for this transaction only): that wait
# was a fifth of a worker's re-evaluation (docs/performance.md). It is safe because the write is
# derived and owed: should a crash lose it, the hold still lags its facts, whose change was
# committed durably, so the sweep evaluates it again. And any transaction that saw the new hold
# and commits durably (an IE check, say) also makes the write durable: the log is flushed in
# order. Anything else (a batch, a hold that does not lag, or a caller's transaction, whose own
# writes must be durable) keeps the setting as it is. (The lag is judged on the statement's
# snapshot: a worker that waited for the lock of, say, the sweep, which has meanwhile caught the
# hold up, still commits without waiting; its write then re-states what was committed durably,
# or is refused by the `evaluated_version` guard, so a crash can lose nothing that is not owed.)
_LOCK_SQL = (
    "SELECT set_config('synchronous_commit', CASE WHEN %s AND "
    "hold.evaluated_version < victim.facts_version THEN 'off' "
    "ELSE current_setting('synchronous_commit') END, true), "
    + ", ".join(f"hold.{name}" for name in STORED_FIELDS)
    + ","
    + FACTS_COLUMNS
    + """
FROM protocol_hold hold JOIN victims_victim victim ON victim.id = hold.victim_id
WHERE @condition@
ORDER BY hold.id FOR UPDATE OF hold"""
)


def _lock(
    *, hold_ids=None, victim_id=None, skip_locked: bool = False, owed_write: bool = False
) -> list[tuple[StoredHold, Snapshot]]:
    """Lock the holds with these ids (or this victim's hold), in primary-key order, so two
    batches never deadlock, and read their facts. With `skip_locked`, holds another transaction
    has locked are left out: whoever holds the lock is evaluating them. With `owed_write`, the
    transaction (which must be the caller's own) commits without waiting for the disk if the
    hold lags its facts (see `_LOCK_SQL`)."""
    if hold_ids is not None:
        if owed_write:  # one lagging hold would make the whole batch's commit non-durable
            raise ValueError("owed_write is for one victim's hold, not a batch")
        condition, parameter = "hold.id = ANY(%s::uuid[])", list(hold_ids)
    else:
        condition, parameter = "hold.victim_id = %s", victim_id
    sql = _LOCK_SQL.replace("@condition@", condition) + (" SKIP LOCKED" if skip_locked else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [owed_write, parameter])
        rows = cursor.fetchall()
    locked = []
    for _durability, *columns in rows:
        hold = StoredHold(*columns[: len(STORED_FIELDS)])
        if isinstance(hold.ruleset, str):  # Django reads jsonb as text and parses it itself
            hold.ruleset = json.loads(hold.ruleset)
        locked.append((hold, snapshot_from_row(hold.victim_id, columns[len(STORED_FIELDS) :])))
    return locked


@dataclass(frozen=True)
class BatchResult:
    evaluated: int
    changed: int
    # The references of the holds whose evaluation failed (each kept as it was).
    failed: list[str]


# --- Creating a hold -------------------------------------------------------------------------


def hold_create(*, victim: Victim, on: date | None = None) -> Hold:
    """Create the victim's hold from the facts just written, in the caller's transaction.

    Called by the referral service, so the hold exists and is in force (where the rules say so)
    before any worker runs. Should evaluation fail, the hold is still created, in force, with
    the failure in its explanation and `evaluated_version` 0, so that a worker and the sweep
    evaluate it again: a referral is never lost, nor left without protection, for a rules error.
    """
    on = on or today()
    snapshot = snapshots_for([victim.pk])[victim.pk]
    now = timezone.now()
    try:
        decision = evaluate(snapshot.facts, on, current_policy())
    except Exception:
        logger.exception("Evaluating the new hold of victim %s failed; held in force", victim.pk)
        hold = Hold(
            victim=victim,
            status="active",
            in_force=True,
            grounds=[],
            protected_until=None,
            flags=["data_incomplete"],
            explanation=[
                "H0: the rules could not be evaluated for this referral; the hold is in force "
                "until they are (re-evaluation pending)"
            ],
            ruleset={},
            evaluated_version=0,
            evaluated_at=now,
            evaluated_on=on,
            next_due_on=on,
            status_since=now,
        )
        hold.save(force_insert=True)
        transaction.on_commit(
            lambda: victims_services.enqueue_reevaluation(victim.pk, Trigger.REFERRAL), robust=True
        )
        return hold
    hold = Hold(
        victim=victim,
        evaluated_version=snapshot.facts_version,
        evaluated_at=now,
        evaluated_on=on,
        next_due_on=decision.reevaluate_on,
        status_since=now,
    )
    _copy_decision(hold, decision)
    hold.save(force_insert=True)
    _decision_record(hold.pk, decision, snapshot, on, Trigger.REFERRAL, now).save(force_insert=True)
    return hold


def _decision_record(
    hold_id: UUID, decision: Decision, snapshot: Snapshot, on: date, trigger: str, now
) -> HoldDecision:
    record = HoldDecision(
        hold_id=hold_id,
        decided_at=now,
        evaluated_on=on,
        facts_version=snapshot.facts_version,
        facts=facts_as_record(snapshot.facts),
        trigger=trigger,
    )
    _copy_decision(record, decision)
    return record


# --- Re-evaluating holds ---------------------------------------------------------------------

# Only the bookkeeping (evaluated version, time and day, next due day), the usual write: on
# its own, and as the `kept` part of `_WRITE_SQL`.
_BOOKKEEPING_SQL = """
UPDATE protocol_hold AS hold SET
    evaluated_version = new.evaluated_version,
    evaluated_at = new.evaluated_at,
    evaluated_on = new.evaluated_on,
    next_due_on = new.next_due_on
FROM jsonb_to_recordset(%s::jsonb) AS new (
    id uuid, evaluated_version bigint, evaluated_at timestamptz, evaluated_on date,
    next_due_on date
)
WHERE hold.id = new.id AND hold.evaluated_version <= new.evaluated_version
"""


# The writes of a batch, one statement whatever its size, reading its rows from three JSON
# parameters: the holds whose decision (or only its explanation) changed; the rest, the usual
# case, where only the evaluation's bookkeeping changes; and the history, one `HoldDecision` for
# each changed decision. (Data-modifying WITH clauses always run to completion.) A hold already
# evaluated at a newer `facts_version` is left as it is, with no history: see `_LOCK_SQL`.
_WRITE_SQL = (
    """
WITH decided AS (
    UPDATE protocol_hold AS hold SET
        status = new.status,
        in_force = new.in_force,
        grounds = new.grounds,
        protected_until = new.protected_until,
        flags = new.flags,
        explanation = new.explanation,
        ruleset = new.ruleset,
        status_since = new.status_since,
        evaluated_version = new.evaluated_version,
        evaluated_at = new.evaluated_at,
        evaluated_on = new.evaluated_on,
        next_due_on = new.next_due_on
    FROM jsonb_to_recordset(%s::jsonb) AS new (
        id uuid, status varchar, in_force boolean, grounds varchar[], protected_until date,
        flags varchar[], explanation text[], ruleset jsonb, status_since timestamptz,
        evaluated_version bigint, evaluated_at timestamptz, evaluated_on date, next_due_on date
    )
    WHERE hold.id = new.id AND hold.evaluated_version <= new.evaluated_version
    RETURNING hold.id
), kept AS (
"""  # noqa: S608 (constant strings joined; no input)
    + _BOOKKEEPING_SQL
    + """
)
INSERT INTO protocol_holddecision (
    hold_id, status, in_force, grounds, protected_until, flags, explanation, ruleset,
    decided_at, evaluated_on, facts_version, facts, trigger
)
SELECT
    hold_id, status, in_force, grounds, protected_until, flags, explanation, ruleset,
    decided_at, evaluated_on, facts_version, facts, trigger
FROM jsonb_to_recordset(%s::jsonb) AS new (
    hold_id uuid, status varchar, in_force boolean, grounds varchar[], protected_until date,
    flags varchar[], explanation text[], ruleset jsonb, decided_at timestamptz,
    evaluated_on date, facts_version bigint, facts jsonb, trigger varchar
)
WHERE new.hold_id IN (SELECT id FROM decided)
"""
)


def _json(rows: list[dict]) -> str:
    # Dates, times and UUIDs as their ISO 8601 / canonical text, which PostgreSQL reads back.
    return json.dumps(rows, default=str, separators=(",", ":"))


def _apply(locked: Sequence[tuple[StoredHold, Snapshot]], on: date, trigger: str) -> BatchResult:
    """Evaluate locked holds on their facts and write what changed. Must run inside the
    transaction that locked them."""
    if not locked:
        return BatchResult(evaluated=0, changed=0, failed=[])
    policy = current_policy()
    now = timezone.now()
    decisions: list[dict] = []
    bookkeeping: list[dict] = []
    history: list[dict] = []
    failed: list[str] = []
    for hold, snapshot in locked:
        try:
            decision = evaluate(snapshot.facts, on, policy)
        except Exception:
            # Fail towards protection: the stored hold stays exactly as it was, and lags its
            # facts, so the task's retry or the sweep evaluates it again.
            logger.exception("Evaluating hold %s failed; it stays as it was", hold.reference)
            failed.append(hold.reference)
            continue
        row = {
            "id": hold.id,
            "evaluated_version": snapshot.facts_version,
            "evaluated_at": now,
            "evaluated_on": on,
            "next_due_on": decision.reevaluate_on,
        }
        decision_changed = _fresh_key(decision) != _stored_key(hold)
        if not decision_changed and list(decision.explanation) == list(hold.explanation):
            bookkeeping.append(row)
            continue
        fields = {
            "status": decision.status,
            "in_force": decision.in_force,
            "grounds": decision.grounds,
            "protected_until": decision.protected_until,
            "flags": decision.flags,
            "explanation": decision.explanation,
            "ruleset": _ruleset(decision)[0],
        }
        status_since = now if decision.status != hold.status else hold.status_since
        decisions.append({**row, **fields, "status_since": status_since})
        if decision_changed:
            history.append(
                {
                    "hold_id": hold.id,
                    **fields,
                    "decided_at": now,
                    "evaluated_on": on,
                    "facts_version": snapshot.facts_version,
                    "facts": facts_as_record(snapshot.facts),
                    "trigger": str(trigger),
                }
            )
    changed = 0
    with connection.cursor() as cursor:
        if decisions:
            cursor.execute(_WRITE_SQL, [_json(decisions), _json(bookkeeping), _json(history)])
            changed = cursor.rowcount  # the history rows written
        elif bookkeeping:  # the usual case, in a statement simpler to plan
            cursor.execute(_BOOKKEEPING_SQL, [_json(bookkeeping)])
    return BatchResult(evaluated=len(locked) - len(failed), changed=changed, failed=failed)


def hold_reevaluate(
    *, victim_id: UUID, trigger: str = Trigger.SWEEP, on: date | None = None
) -> bool:
    """Re-evaluate one victim's hold. Returns True when the decision changed.

    Raises `HoldEvaluationError` if evaluation fails (and `Hold.DoesNotExist` if the victim has
    no hold), after leaving the stored hold untouched, so the task retries.

    Inside a caller's transaction (a service that has just changed a fact), it runs in a
    savepoint of it. On its own (a worker's task), it is a transaction that may commit without
    waiting for the disk, when the write is owed (see `_LOCK_SQL`).
    """
    # Autocommit on: no transaction is open, neither Django's `atomic` nor one begun by hand.
    own_transaction = connection.get_autocommit()
    with transaction.atomic():
        locked = _lock(victim_id=victim_id, owed_write=own_transaction)
        if not locked:
            raise Hold.DoesNotExist(f"No hold for victim {victim_id}")
        result = _apply(locked, on or today(), trigger)
    if result.failed:
        raise HoldEvaluationError(
            f"Evaluating hold {result.failed[0]} (victim {victim_id}) failed; it was kept."
        )
    return result.changed > 0


def holds_reevaluate_batch(
    *, hold_ids: Sequence[UUID], trigger: str, on: date | None = None, skip_locked: bool = False
) -> BatchResult:
    """Re-evaluate a batch of holds in one transaction (bulk command and sweep).

    Should the batch fail as a whole (facts the database cannot hand over, say), each hold is
    tried on its own, so one bad record never holds up the others. A lost database connection
    is raised at once.
    """
    on = on or today()
    try:
        with transaction.atomic():
            return _apply(_lock(hold_ids=hold_ids, skip_locked=skip_locked), on, trigger)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        if len(hold_ids) <= 1:
            references = _references(hold_ids)
            logger.exception("Re-evaluating hold %s failed; it stays as it was", references)
            return BatchResult(evaluated=0, changed=0, failed=references)
        logger.exception("Re-evaluating %d holds failed; trying them one by one", len(hold_ids))
    evaluated = changed = 0
    failed: list[str] = []
    for hold_id in hold_ids:
        result = holds_reevaluate_batch(
            hold_ids=[hold_id], trigger=trigger, on=on, skip_locked=skip_locked
        )
        evaluated += result.evaluated
        changed += result.changed
        failed += result.failed
    return BatchResult(evaluated=evaluated, changed=changed, failed=failed)


def _references(hold_ids: Sequence[UUID]) -> list[str]:
    try:
        found = dict(Hold.objects.filter(pk__in=hold_ids).values_list("pk", "reference"))
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        found = {}
    return [found.get(hold_id, str(hold_id)) for hold_id in hold_ids]


def holds_needing_evaluation(*, on: date) -> QuerySet:
    """Holds that must be re-evaluated now: facts changed since the last evaluation (a lost
    message, a broker outage, a failed evaluation), or a date that changes the decision has
    come (a window closing, grace ending, an override lapsing)."""
    return Hold.objects.filter(
        Q(evaluated_version__lt=F("victim__facts_version")) | Q(next_due_on__lte=on)
    )


def hold_ids_after(queryset, *, limit: int, after: UUID | None = None) -> list[UUID]:
    """The next `limit` ids of `queryset` in primary-key order after `after` (keyset paging:
    one batch in memory at a time, and a walk that visits each hold once)."""
    queryset = queryset.order_by("pk")
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    return list(queryset.values_list("pk", flat=True)[:limit])


def due_hold_ids(*, on: date, limit: int, after: UUID | None = None) -> list[UUID]:
    """The next `limit` holds needing evaluation, in primary-key order after `after`: a sweep
    walks the table once, so a hold that keeps failing cannot starve the others."""
    return hold_ids_after(holds_needing_evaluation(on=on), limit=limit, after=after)


# How far the sweep's re-check has walked, kept in the cache (Redis). It is only a bookmark: if
# it is lost (Redis restarted or emptied), the walk starts again from a random hold, so that a
# walk restarted often still reaches every hold in time.
RECHECK_BOOKMARK = "protocol:hold-recheck-after"


def recheck_hold_ids(*, limit: int) -> list[UUID]:
    """The next `limit` holds of a walk through every hold in primary-key order, which starts
    again from the first when it reaches the end. The sweep re-checks one such slice on every
    run, so each hold is re-checked every (number of holds / `limit`) sweeps and any stored
    decision that differs from a fresh evaluation is repaired in time. (Walking by key, rather
    than taking the holds evaluated longest ago, needs no index on a column that every
    evaluation changes.) The bookmark moves only with `recheck_done`: a slice whose re-check
    failed is taken again."""
    try:
        bookmark = cache.get(RECHECK_BOOKMARK)
        after = UUID(bookmark) if bookmark else uuid4()
    except Exception:  # Redis unreachable, or not a hold id
        logger.warning("Could not read the re-check bookmark; starting from a random hold")
        after = uuid4()
    ids = hold_ids_after(Hold.objects.all(), limit=limit, after=after)
    if len(ids) < limit:  # the end of the table: go round again
        seen = set(ids)
        ids += [
            hold_id
            for hold_id in hold_ids_after(Hold.objects.all(), limit=limit - len(ids))
            if hold_id not in seen
        ]
    return ids


def recheck_done(ids: Sequence[UUID]) -> None:
    """Move the re-check's bookmark past `ids`, a slice from `recheck_hold_ids` now re-checked."""
    if not ids:
        return
    try:
        cache.set(RECHECK_BOOKMARK, str(ids[-1]), timeout=None)
    except Exception:
        logger.warning(
            "Could not save the re-check bookmark; the next sweep takes this slice again"
        )


def hold_verify(hold, snapshot: Snapshot, on: date) -> Decision | None:
    """The fresh decision when it differs from the stored one (a `Hold` or a `StoredHold`),
    else None."""
    decision = evaluate(snapshot.facts, on, current_policy())
    return decision if _fresh_key(decision) != _stored_key(hold) else None


# --- Hold checks -----------------------------------------------------------------------------


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
# The matching holds whose stored decision may lag the facts (the sweep's condition, see
# `holds_needing_evaluation`): usually none, so a check costs one short statement more.
_LAGGING = """
SELECT hold.victim_id FROM protocol_hold AS hold
JOIN victims_victim AS victim ON victim.id = hold.victim_id
WHERE hold.victim_id IN ({match})
  AND (hold.evaluated_version < victim.facts_version OR hold.next_due_on <= %(on)s)
ORDER BY hold.victim_id
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

    The answer is never read from a decision that lags the facts: a matching hold whose
    evaluation is behind its victim's `facts_version`, or whose `next_due_on` has come, is
    re-evaluated first (`hold_reevaluate`, locking it), in the check's own transaction. The
    check, its answer, the disclosure to each matching victim's record and the access event are
    written in that transaction too. Should anything fail (the database, the rules), the error
    is raised and nothing is written: the caller answers that no check was made.
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
        if match is not None:
            on = today()
            cursor.execute(_LAGGING.format(match=sql), {**parameters, "on": on})
            for (victim_id,) in cursor.fetchall():
                hold_reevaluate(victim_id=victim_id, trigger=Trigger.SWEEP, on=on)
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


# --- Overrides, end confirmations and notifications ---------------------------------------


def _interested_organisations(hold: Hold):
    """The referring forces and the support organisations engaged with the victim."""
    return Organisation.objects.filter(
        Q(cases__victim_id=hold.victim_id) | Q(support_engagements__victim_id=hold.victim_id)
    ).distinct()


def notify(*, hold: Hold, kind: str, message: str) -> None:
    """Tell the referring force and the support organisation about a step on their hold."""
    Notification.objects.bulk_create(
        Notification(organisation=organisation, hold=hold, kind=kind, message=message)
        for organisation in _interested_organisations(hold)
    )


def _check_expiry(expires_on: date | None) -> None:
    if expires_on is None:
        return
    errors: dict[str, list[str]] = {}
    if expires_on <= today():
        errors["expires_on"] = ["Give a date after today."]
    limit = current_policy().override_max_days
    if expires_on > today() + timedelta(days=limit):
        errors["expires_on"] = [f"An override lasts at most {limit} days: give an earlier date."]
    if errors:
        raise ValidationError(errors)


# What IE seniors are told when a reference names no hold they may act on: one message, the
# same for a reference that names no hold at all and for a hold in any other status, so that a
# request never tells a senior more about a hold than the review queue and the hold check do.
NOT_OVERRIDABLE = "No hold in force has this reference: there is nothing to override."
NOT_ENDABLE = "No hold due for review has this reference: only such a hold can be ended."


@transaction.atomic
def override_request(
    *, by, hold_reference: str, category: str, justification: str, expires_on: date | None
) -> Override:
    """An IE senior asks for a public-protection override of a hold in force (409 with
    `NOT_OVERRIDABLE` for any other reference, known or not)."""
    if category not in values.OVERRIDE_CATEGORIES:
        raise ValidationError(
            {"category": [f"Choose one of: {', '.join(values.OVERRIDE_CATEGORIES)}."]}
        )
    if not justification or not justification.strip():
        raise ValidationError({"justification": ["Explain why the override is needed."]})
    _check_expiry(expires_on)
    hold = Hold.objects.select_for_update().filter(reference=hold_reference).first()
    if hold is None or not hold.in_force:
        raise ConflictError(NOT_OVERRIDABLE)
    if hold.overrides.filter(status__in=("requested", "approved")).exists():
        raise ConflictError("This hold already has an override requested or approved.")
    override = Override.objects.create(
        hold=hold,
        category=category,
        justification=justification.strip(),
        expires_on=expires_on,
        requested_by=by,
    )
    notify(
        hold=hold,
        kind="override_requested",
        message=f"A public-protection override ({category}) was requested for hold "
        f"{hold.reference}. You may be consulted before it is decided.",
    )
    return override


def _decidable(override_id, by) -> Override:
    override = Override.objects.select_for_update().select_related("hold").get(pk=override_id)
    if override.status != "requested":
        raise ConflictError(f"This override is {override.status}: it can no longer be decided.")
    if override.requested_by_id == by.pk:
        raise PermissionDenied("You requested this override: another IE senior must decide it.")
    return override


@transaction.atomic
def override_approve(*, override_id, by, note: str = "") -> Override:
    """Another IE senior approves the override; the hold is re-evaluated at once."""
    override = _decidable(override_id, by)
    override.status = "approved"
    override.decided_by = by
    override.decided_at = timezone.now()
    override.approved_on = today()
    override.decision_note = note
    override.save()
    victims_services.facts_changed(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    hold_reevaluate(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    notify(
        hold=override.hold,
        kind="override_approved",
        message=f"A public-protection override of hold {override.hold.reference} was approved.",
    )
    return override


@transaction.atomic
def override_reject(*, override_id, by, note: str = "") -> Override:
    """Another IE senior rejects the override request; the hold is unchanged."""
    override = _decidable(override_id, by)
    override.status = "rejected"
    override.decided_by = by
    override.decided_at = timezone.now()
    override.decision_note = note
    override.save()
    notify(
        hold=override.hold,
        kind="override_rejected",
        message=f"The override requested for hold {override.hold.reference} was rejected.",
    )
    return override


@transaction.atomic
def override_revoke(*, override_id, by, note: str = "") -> Override:
    """End an approved override: the hold returns to what the rules say."""
    override = Override.objects.select_for_update().select_related("hold").get(pk=override_id)
    if override.status != "approved":
        raise ConflictError(
            f"Only an approved override can be revoked; this one is {override.status}."
        )
    override.status = "revoked"
    override.revoked_by = by
    override.revoked_at = timezone.now()
    override.revocation_note = note
    override.save()
    victims_services.facts_changed(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    hold_reevaluate(victim_id=override.hold.victim_id, trigger=Trigger.OVERRIDE)
    notify(
        hold=override.hold,
        kind="override_revoked",
        message=f"The override of hold {override.hold.reference} was revoked: the hold is "
        "back to what the rules say.",
    )
    return override


@transaction.atomic
def end_confirm(*, hold_reference: str, by, reason: str) -> Hold:
    """An IE senior confirms the end of a hold that is `review_due` (409 with `NOT_ENDABLE`
    for any other reference, known or not)."""
    if reason not in values.END_REASONS:
        raise ValidationError({"reason": [f"Choose one of: {', '.join(values.END_REASONS)}."]})
    hold = Hold.objects.select_for_update().filter(reference=hold_reference).first()
    if hold is None:
        raise ConflictError(NOT_ENDABLE)
    # Decide on the facts as they are now, not on a stored decision that may lag them.
    hold_reevaluate(victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION)
    hold.refresh_from_db()
    if hold.status != "review_due":
        raise ConflictError(NOT_ENDABLE)
    EndConfirmation.objects.create(hold=hold, confirmed_on=today(), reason=reason, confirmed_by=by)
    victims_services.facts_changed(victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION)
    hold_reevaluate(victim_id=hold.victim_id, trigger=Trigger.END_CONFIRMATION)
    hold.refresh_from_db()
    notify(
        hold=hold,
        kind="hold_ended",
        message=f"The end of hold {hold.reference} was confirmed ({reason}).",
    )
    return hold
