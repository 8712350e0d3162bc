"""Checking the access log, and the signed checkpoints kept outside the database.

The chains show an event changed, inserted or removed before the newest of its chain; the
signed heads show events cut off the end of a chain by someone without the key. Neither shows
events cut by someone who has the database *and* the key, and re-signed what was left (or a log
emptied outright, heads and all): a **checkpoint** does. It records, for every chain, its
newest event's id and HMAC and how many events the chain had, signed with the key, and is kept
in Redis and written to the service's log. `verify_audit` compares the log with the latest
checkpoint: every event a checkpoint saw must still be there. A checkpoint is taken by beat
(`accounts.tasks.checkpoint_access_log`) and at the end of every clean `verify_audit`, and
never over one the log no longer extends, so the evidence of a cut is not overwritten.
"""

import hmac
import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import WatchError

from core.redis_client import redis_client

from .audit import GENESIS, _chained_fields, _digest, _sign, sign_head
from .models import AccessEvent

logger = logging.getLogger(__name__)

# Every head, with the id of the event it names (none at the genesis value): one statement, so
# the heads are read at one moment however busy the log is.
_HEADS = """
    SELECT head.chain, head.hmac, head.event_count, head.head_hmac, event.id
    FROM accounts_auditchainhead AS head
    LEFT JOIN accounts_accessevent AS event ON event.hmac = head.hmac AND event.chain = head.chain
    ORDER BY head.chain
"""


@dataclass(frozen=True)
class ChainEnd:
    """Where a chain ended: its newest event's id (None for an empty chain), how many events it
    had, and the newest event's HMAC."""

    last_id: int | None
    event_count: int
    hmac: str


@dataclass(frozen=True)
class Checkpoint:
    taken_at: str
    chains: dict[int, ChainEnd]

    @property
    def event_count(self) -> int:
        return sum(end.event_count for end in self.chains.values())


class CheckpointError(ValueError):
    """A checkpoint record that is not one, or not signed with the audit key."""


def checkpoint_record(chains: dict[int, ChainEnd]) -> str:
    """The signed record of a checkpoint of `chains`: one line of JSON (empty chains left out:
    there is nothing in them to lose)."""
    body = {
        "taken_at": timezone.now().isoformat(),
        "chains": {
            str(chain): [end.last_id, end.event_count, end.hmac]
            for chain, end in sorted(chains.items())
            if end.last_id is not None
        },
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return json.dumps({"checkpoint": body, "signature": _sign("checkpoint:" + text)})


def checkpoint_parse(record: str) -> Checkpoint:
    """The checkpoint in `record` (as stored in Redis, or a log line that ends with it), once
    its signature is checked."""
    start = record.find("{")
    try:
        stored = json.loads(record[start:]) if start >= 0 else None
        body, signature = stored["checkpoint"], stored["signature"]
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        chains = {
            int(chain): ChainEnd(
                None if last_id is None else int(last_id), int(event_count), str(last_hmac)
            )
            for chain, (last_id, event_count, last_hmac) in body["chains"].items()
        }
        taken_at = str(body["taken_at"])
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise CheckpointError(f"not an access log checkpoint ({error})") from error
    if not hmac.compare_digest(str(signature), _sign("checkpoint:" + text)):
        raise CheckpointError("the checkpoint is not signed with the audit key")
    return Checkpoint(taken_at=taken_at, chains=chains)


def checkpoint_latest() -> Checkpoint | None:
    """The latest checkpoint kept in Redis, or None if there is none (raises CheckpointError
    if what is there is not a signed checkpoint)."""
    record = redis_client().get(settings.AUDIT_CHECKPOINT_KEY)
    return None if record is None else checkpoint_parse(record.decode())


def _behind(chains: dict[int, ChainEnd], kept: Checkpoint) -> bool:
    """Whether `chains` saw fewer events of some chain than the checkpoint `kept`."""
    return any(
        chains.get(chain, ChainEnd(None, 0, GENESIS)).event_count < end.event_count
        for chain, end in kept.chains.items()
    )


def checkpoint_save(chains: dict[int, ChainEnd]) -> str | None:
    """Keep a checkpoint of `chains` in Redis and write it to the service's log, unless the
    one in Redis is newer (a long `verify_audit` finishing after beat took a checkpoint): a
    newer checkpoint is never replaced by an older one. Returns the record kept, or None. The
    read and the write are one Redis transaction (WATCH), so two savers cannot cross."""
    record = checkpoint_record(chains)
    with redis_client().pipeline() as pipe:
        while True:
            try:
                pipe.watch(settings.AUDIT_CHECKPOINT_KEY)
                current = pipe.get(settings.AUDIT_CHECKPOINT_KEY)
                try:
                    kept = None if current is None else checkpoint_parse(current.decode())
                except CheckpointError:
                    kept = None  # callers check what is there before saving
                if kept is not None and _behind(chains, kept):
                    pipe.unwatch()
                    logger.info(
                        "Access log checkpoint not saved: the one of %s is newer", kept.taken_at
                    )
                    return None
                pipe.multi()
                pipe.set(settings.AUDIT_CHECKPOINT_KEY, record)
                pipe.execute()
                break
            except WatchError:
                continue
    logger.info("Access log checkpoint: %s", record)
    return record


@dataclass(frozen=True)
class _Head:
    chain: int
    hmac: str
    event_count: int
    head_hmac: str
    last_id: int | None

    @property
    def signed(self) -> bool:
        return hmac.compare_digest(
            self.head_hmac, sign_head(self.chain, self.hmac, self.event_count)
        )


def _read_heads(cursor) -> dict[int, _Head]:
    cursor.execute(_HEADS)
    return {row[0]: _Head(*row) for row in cursor.fetchall()}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def checkpoint_take() -> bool:
    """Take a checkpoint of the heads as they are now, unless a head is not signed, names an
    event that is gone, or the log no longer holds what the latest checkpoint saw: then log an
    error and keep the latest checkpoint (the evidence). Returns whether one was taken."""
    with connection.cursor() as cursor:
        heads = _read_heads(cursor)
        problems = [
            f"the head of audit chain {head.chain} is not signed with the audit key"
            for head in heads.values()
            if not head.signed
        ] + [
            f"the newest event of audit chain {head.chain} (the one its head names) is gone"
            for head in heads.values()
            if head.last_id is None and head.hmac != GENESIS
        ]
        try:
            latest = checkpoint_latest()
        except CheckpointError as error:
            latest, problems = None, [*problems, f"the checkpoint in Redis: {error}"]
        if latest is not None:
            seen = {chain: end for chain, end in latest.chains.items() if end.last_id is not None}
            cursor.execute(
                "SELECT id, chain, hmac FROM accounts_accessevent WHERE id = ANY(%s)",
                [[end.last_id for end in seen.values()]],
            )
            found = {
                event_id: (chain, event_hmac) for event_id, chain, event_hmac in cursor.fetchall()
            }
            for chain, end in sorted(seen.items()):
                head = heads.get(chain)
                if found.get(end.last_id) != (chain, end.hmac):
                    problems.append(
                        f"event {end.last_id}, the newest of audit chain {chain} at the "
                        f"checkpoint of {latest.taken_at}, is gone or changed"
                    )
                elif head is None or head.event_count < end.event_count:
                    problems.append(
                        f"audit chain {chain} has fewer events than at the checkpoint of "
                        f"{latest.taken_at} ({_plural(end.event_count, 'event')})"
                    )
    if problems:
        logger.error("Access log checkpoint not taken (run verify_audit): %s", "; ".join(problems))
        return False
    if latest is None:
        # Deleting the key in Redis must not pass unnoticed: the new baseline is logged.
        logger.warning(
            "No access log checkpoint in Redis: taking a new baseline (compare it with the last "
            "checkpoint in the service's log)"
        )
    checkpoint_save(
        {
            chain: ChainEnd(head.last_id, head.event_count, head.hmac)
            for chain, head in heads.items()
        }
    )
    return True


@dataclass
class Verification:
    """What `verify_log` found: how many events it checked, the problems (none when the log is
    intact), and where each chain ended (what a new checkpoint records)."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    chains: dict[int, ChainEnd] = field(default_factory=dict)


@dataclass
class _Walk:
    previous: str = GENESIS
    event_count: int = 0
    last_id: int | None = None
    broken: AccessEvent | None = None
    at_checkpoint: tuple[int, str] | None = None  # (events up to it, its HMAC)


def verify_log(checkpoint: Checkpoint | None, batch_size: int = 5000) -> Verification:
    """Recompute every chain in id order, check each head against its chain and its signature,
    and check that every event `checkpoint` saw is still there, all in one snapshot of the
    database (read `checkpoint` before calling, so that everything it saw had committed)."""
    result = Verification()
    walks: dict[int, _Walk] = {}
    checkpointed = {
        end.last_id: chain
        for chain, end in (checkpoint.chains.items() if checkpoint else ())
        if end.last_id is not None
    }
    snapshot = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if snapshot:  # events and heads as of one moment, while writers carry on
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for event in AccessEvent.objects.order_by("id").iterator(chunk_size=batch_size):
            walk = walks.setdefault(event.chain, _Walk())
            if walk.broken is None and (
                event.prev_hmac != walk.previous
                or event.hmac != _digest(walk.previous, _chained_fields(event))
            ):
                walk.broken = event
            walk.previous, walk.last_id = event.hmac, event.id
            walk.event_count += 1
            if checkpointed.get(event.id) == event.chain:
                walk.at_checkpoint = (walk.event_count, event.hmac)
            result.checked += 1
        heads = _read_heads(cursor)
    problems = result.problems
    for chain, walk in sorted(walks.items()):
        if walk.broken is not None:
            problems.append(
                f"The access log is broken at event {walk.broken.pk} "
                f"(at {walk.broken.at.isoformat()}) of audit chain {chain}: it was changed, or "
                f"events before it in its chain were removed or inserted."
            )
    for chain in sorted(walks.keys() - heads.keys()):
        problems.append(
            f"Audit chain {chain} has events but no head: its head was removed, so events may "
            f"have been cut from its end."
        )
    for chain, head in sorted(heads.items()):
        walk = walks.get(chain, _Walk())
        if not head.signed:
            problems.append(
                f"The head of audit chain {chain} is not signed with the audit key: it was "
                f"rewritten outside the service."
            )
        if head.hmac != walk.previous or head.event_count != walk.event_count:
            problems.append(
                f"Events were removed from the end of audit chain {chain}: its head records "
                f"{_plural(head.event_count, 'event')}, the log has "
                f"{_plural(walk.event_count, 'event')} and its newest "
                f"{'is event ' + str(walk.last_id) if walk.last_id else 'is none'}, not the "
                f"head's."
            )
    if checkpoint is not None:
        if result.checked == 0 and checkpoint.event_count:
            problems.append(
                f"The access log is empty, but the checkpoint of {checkpoint.taken_at} saw "
                f"{_plural(checkpoint.event_count, 'event')}: the log was emptied."
            )
        for chain, end in sorted(checkpoint.chains.items()):
            if end.last_id is None:
                continue
            walk = walks.get(chain, _Walk())
            if walk.at_checkpoint is None or walk.at_checkpoint[1] != end.hmac:
                problems.append(
                    f"Events were cut from audit chain {chain}: event {end.last_id}, its newest "
                    f"at the checkpoint of {checkpoint.taken_at} (when it had "
                    f"{_plural(end.event_count, 'event')}), is gone or changed; the chain now "
                    f"has {_plural(walk.event_count, 'event')}."
                )
            elif walk.at_checkpoint[0] != end.event_count:
                problems.append(
                    f"Events were removed from audit chain {chain}: at the checkpoint of "
                    f"{checkpoint.taken_at} it had {_plural(end.event_count, 'event')} up to "
                    f"event {end.last_id}, now {walk.at_checkpoint[0]}."
                )
    result.chains = {
        chain: ChainEnd(head.last_id, head.event_count, head.hmac) for chain, head in heads.items()
    }
    return result
