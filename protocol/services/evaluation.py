"""The evaluation core, the only writer of holds: every hold is the output of the rules over
the recorded facts.

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
from datetime import date, datetime
from uuid import UUID

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from core.triggers import Trigger
from victims import services as victims_services
from victims.models import Victim

from ..models import Hold, HoldDecision
from ..policy import current_policy
from ..rules import Decision, evaluate
from ..snapshot import FACTS_COLUMNS, Snapshot, facts_as_record, snapshot_from_row, snapshots_for

logger = logging.getLogger(__name__)


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


def hold_facts_changed(*, victim_id: UUID, trigger: Trigger, on: date | None = None) -> bool:
    """A fact of this victim changed in the caller's transaction (an override, an end
    confirmation, a merge): bump its `facts_version` and re-evaluate its hold now, in that
    transaction, once. No worker is asked to do it again after the commit: the hold commits
    evaluated at the new version, and should the evaluation fail the change rolls back with it,
    so no re-evaluation is ever owed (API.md "Guarantees"). Returns True when the decision
    changed."""
    victims_services.facts_changed(victim_id=victim_id, trigger=trigger, enqueue=False)
    return hold_reevaluate(victim_id=victim_id, trigger=trigger, on=on)


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


def hold_verify(hold, snapshot: Snapshot, on: date) -> Decision | None:
    """The fresh decision when it differs from the stored one (a `Hold` or a `StoredHold`),
    else None."""
    decision = evaluate(snapshot.facts, on, current_policy())
    return decision if _fresh_key(decision) != _stored_key(hold) else None
