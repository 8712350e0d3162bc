"""The access log: append-only rows chained with a keyed HMAC.

`record_access` is called inside the transaction of the access it records, so a rolled-back
access leaves no event and a recorded event always matches a committed access. Events are spread
over `AUDIT_CHAINS` interleaved chains (one chosen at random per transaction). A writer locks its
chain's head row (`AuditChainHead`, held to the end of the transaction), reads the HMAC it
extends from it, and appends its event and moves the head in one statement: each chain is a
single line even under concurrency, concurrent requests rarely wait for each other, and an
event costs two statements whatever the size of the log.
"""

import hashlib
import hmac as hmac_lib
import json
import secrets

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
_LOCK_HEAD = "SELECT hmac FROM accounts_auditchainhead WHERE chain = %s FOR UPDATE"
# Head rows are made by a migration for AUDIT_CHAINS chains, and on first use for any other
# (after AUDIT_CHAINS is raised): from the chain's newest event if it has any.
_MAKE_HEAD = """
    INSERT INTO accounts_auditchainhead (chain, hmac)
    SELECT %(chain)s,
           COALESCE((SELECT hmac FROM accounts_accessevent WHERE chain = %(chain)s
                     ORDER BY id DESC LIMIT 1), %(genesis)s)
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
    UPDATE accounts_auditchainhead SET hmac = %s WHERE chain = %s
    RETURNING (SELECT id FROM event)
"""


def _digest(previous: str, fields: dict) -> str:
    message = previous + json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac_lib.new(
        settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256
    ).hexdigest()


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


def make_chain_heads(cursor, chains: int) -> None:
    """Make the head rows of chains 0 to `chains - 1` where missing."""
    for chain in range(chains):
        cursor.execute(_MAKE_HEAD, {"chain": chain, "genesis": GENESIS})


def lock_chain(cursor, chain: int) -> str:
    """Lock `chain` to the end of the transaction and return the HMAC its next event extends."""
    cursor.execute(_LOCK_HEAD, [chain])
    row = cursor.fetchone()
    if row is None:
        cursor.execute(_MAKE_HEAD, {"chain": chain, "genesis": GENESIS})
        cursor.execute(_LOCK_HEAD, [chain])
        row = cursor.fetchone()
    return row[0]


def append_event(cursor, *, previous: str, user, request=None, **fields) -> AccessEvent:
    """Append one event to the chain locked by `lock_chain` (whose HMAC was `previous`).

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
        prev_hmac=previous,
        **fields,
    )
    event.object_id = str(event.object_id)
    event.detail = event.detail[:200]
    event.hmac = _digest(previous, _chained_fields(event))
    cursor.execute(
        _APPEND,
        [*(getattr(event, column) for column in _EVENT_COLUMNS), event.hmac, event.chain],
    )
    event.pk = cursor.fetchone()[0]
    event._state.adding = False
    return event


def record_access(
    *,
    user,
    action: str,
    object_type: str = "",
    object_id: str = "",
    outcome: str = AccessEvent.Outcome.ALLOWED,
    request=None,
    detail: str = "",
) -> AccessEvent:
    """Append one access event to the log (inside the caller's transaction, or its own)."""
    chain = pick_chain()
    # No savepoint: if the event cannot be written, the access it records must not commit.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        previous = lock_chain(cursor, chain)
        return append_event(
            cursor,
            previous=previous,
            user=user,
            request=request,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            detail=detail,
            chain=chain,
        )


def verify_chain(batch_size: int = 5000) -> tuple[int, AccessEvent | None]:
    """Recompute every chain in id order; return (events checked, first broken event or None)."""
    previous: dict[int, str] = {}
    checked = 0
    for event in AccessEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        expected_previous = previous.get(event.chain, GENESIS)
        if event.prev_hmac != expected_previous or event.hmac != _digest(
            expected_previous, _chained_fields(event)
        ):
            return checked, event
        previous[event.chain] = event.hmac
        checked += 1
    return checked, None


_CUT_CHAINS = """
    SELECT head.chain FROM accounts_auditchainhead AS head
    WHERE head.hmac <> COALESCE(
        (SELECT hmac FROM accounts_accessevent WHERE chain = head.chain ORDER BY id DESC LIMIT 1),
        %(genesis)s)
    UNION
    SELECT DISTINCT chain FROM accounts_accessevent AS event
    WHERE NOT EXISTS (SELECT 1 FROM accounts_auditchainhead WHERE chain = event.chain)
    ORDER BY 1
"""


def cut_chains() -> list[int]:
    """Chains whose head does not point at their newest event (events were cut off the end),
    and chains with events but no head (a head was removed). One statement, so the heads and
    the events are read at the same moment however busy the log is."""
    with connection.cursor() as cursor:
        cursor.execute(_CUT_CHAINS, {"genesis": GENESIS})
        return [chain for (chain,) in cursor.fetchall()]
