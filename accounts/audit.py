"""The access log: append-only rows chained with a keyed HMAC.

`record_access` is called inside the transaction of the access it records, so a rolled-back
access leaves no event and a recorded event always matches a committed access. Events are spread
over `AUDIT_CHAINS` interleaved chains (one chosen at random per transaction). A writer locks its
chain's head row (`AuditChainHead`, held to the end of the transaction), reads the HMAC it
extends from it, and appends its event and moves the head in one statement: each chain is a
single line even under concurrency, concurrent requests rarely wait for each other, and an
event costs two statements whatever the size of the log. The head also counts its chain's
events and is signed with the key (`sign_head`), so nobody without the key can move it back
over events cut off the end. Checking the log: `accounts.audit_verify`.
"""

import hashlib
import hmac as hmac_lib
import json
import secrets
from typing import NamedTuple
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AccessEvent

GENESIS = "0" * 64

_EVENT_COLUMNS = (
    "at",
    "actor_id",
    "actor_email",
    "actor_roles",
    "actor_organisation",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "detail",
    "chain",
    "prev_hmac",
    "hmac",
)
LOCK_HEAD = "SELECT hmac, event_count FROM accounts_auditchainhead WHERE chain = %s FOR UPDATE"
# Head rows are made by a migration for AUDIT_CHAINS chains, and on first use for any other
# (after AUDIT_CHAINS is raised): from the chain's newest event if it has any.
_CHAIN_TAIL = """
    SELECT COALESCE((SELECT hmac FROM accounts_accessevent WHERE chain = %(chain)s
                     ORDER BY id DESC LIMIT 1), %(genesis)s),
           (SELECT count(*) FROM accounts_accessevent WHERE chain = %(chain)s)
"""
_MAKE_HEAD = """
    INSERT INTO accounts_auditchainhead (chain, hmac, event_count, head_hmac)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (chain) DO NOTHING
"""
_APPEND = """
    WITH event AS (
        INSERT INTO accounts_accessevent (
            at, actor_id, actor_email, actor_roles, actor_organisation, action, object_type,
            object_id, outcome, request_id, detail, chain, prev_hmac, hmac
        )
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        RETURNING id
    )
    UPDATE accounts_auditchainhead SET hmac = %s, event_count = %s, head_hmac = %s
    WHERE chain = %s
    RETURNING (SELECT id FROM event)
"""


class ChainHead(NamedTuple):
    """Where a chain ends: the HMAC its next event extends and how many events it has."""

    hmac: str
    event_count: int


def _sign(message: str) -> str:
    return hmac_lib.new(
        settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256
    ).hexdigest()


def sign_head(chain: int, last_hmac: str, event_count: int) -> str:
    """The signature of a chain's head: without the key, nobody can move a head back to match
    events cut off the end of its chain. (Migration accounts 0005 repeats the formula.)"""
    return _sign(f"head:{chain}:{last_hmac}:{event_count}")


def _digest(previous: str, fields: dict) -> str:
    return _sign(previous + json.dumps(fields, sort_keys=True, separators=(",", ":")))


def _chained_fields(event: AccessEvent) -> dict:
    return {
        "at": event.at.isoformat(),
        "actor": str(event.actor_id or ""),
        "actor_email": event.actor_email,
        "actor_roles": event.actor_roles,
        "actor_organisation": event.actor_organisation,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "request_id": event.request_id,
        "detail": event.detail,
        "chain": event.chain,
    }


def pick_chain() -> int:
    """The chain the next event extends: a random one, and the same one for every event of a
    transaction, so a transaction locks one head only (two transactions locking two heads each,
    in opposite orders, would deadlock). The transaction is told by its outermost atomic block;
    should that object serve a later transaction too, reusing its chain is harmless."""
    if not connection.in_atomic_block:
        return secrets.randbelow(settings.AUDIT_CHAINS)
    outermost = connection.atomic_blocks[0]
    cached = getattr(connection, "_audit_chain", None)
    if cached is None or cached[0] is not outermost or cached[1] >= settings.AUDIT_CHAINS:
        cached = connection._audit_chain = (outermost, secrets.randbelow(settings.AUDIT_CHAINS))
    return cached[1]


def _make_head(cursor, chain: int) -> None:
    cursor.execute(_CHAIN_TAIL, {"chain": chain, "genesis": GENESIS})
    last_hmac, event_count = cursor.fetchone()
    cursor.execute(
        _MAKE_HEAD, [chain, last_hmac, event_count, sign_head(chain, last_hmac, event_count)]
    )


def make_chain_heads(cursor, chains: int) -> None:
    """Make the head rows of chains 0 to `chains - 1` where missing."""
    for chain in range(chains):
        _make_head(cursor, chain)


def lock_chain(cursor, chain: int) -> ChainHead:
    """Lock `chain` to the end of the transaction and return its head."""
    cursor.execute(LOCK_HEAD, [chain])
    row = cursor.fetchone()
    if row is None:
        _make_head(cursor, chain)
        cursor.execute(LOCK_HEAD, [chain])
        row = cursor.fetchone()
    return ChainHead(*row)


def append_event(cursor, *, head: ChainHead, user, request=None, **fields) -> AccessEvent:
    """Append one event to the chain locked by `lock_chain` (whose head was `head`), and move
    the head to it.

    `fields` are the event's `action`, `object_type`, `object_id`, `outcome`, `detail` and
    `chain`."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    organisation = getattr(user, "organisation", None) if authenticated else None
    event = AccessEvent(
        at=timezone.now(),
        actor=user if authenticated else None,
        actor_email=user.email if authenticated else "",
        actor_roles=",".join(sorted(user.roles)) if authenticated else "",
        actor_organisation=organisation.code if organisation else "",
        request_id=getattr(request, "request_id", "") if request is not None else "",
        prev_hmac=head.hmac,
        **fields,
    )
    event.object_id = str(event.object_id)
    event.detail = event.detail[:200]
    event.hmac = _digest(head.hmac, _chained_fields(event))
    event_count = head.event_count + 1
    cursor.execute(
        _APPEND,
        [
            *(getattr(event, column) for column in _EVENT_COLUMNS),
            event.hmac,
            event_count,
            sign_head(event.chain, event.hmac, event_count),
            event.chain,
        ],
    )
    event.pk = cursor.fetchone()[0]
    event._state.adding = False
    return event


def record_access(
    *,
    user,
    action: str,
    object_type: str = "",
    object_id: str | UUID = "",
    outcome: str = AccessEvent.Outcome.ALLOWED,
    request=None,
    detail: str = "",
) -> AccessEvent:
    """Append one access event to the log (inside the caller's transaction, or its own)."""
    chain = pick_chain()
    # No savepoint: if the event cannot be written, the access it records must not commit.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        return append_event(
            cursor,
            head=lock_chain(cursor, chain),
            user=user,
            request=request,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            outcome=outcome,
            detail=detail,
            chain=chain,
        )
