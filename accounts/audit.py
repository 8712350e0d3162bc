"""The access log: append-only rows chained with a keyed HMAC.

`record_access` is called inside the transaction of the access it records, so a rolled-back
access leaves no event and a recorded event always matches a committed access. Writers take a
transaction-scoped advisory lock on one of `AUDIT_CHAINS` interleaved chains (chosen at
random per event), so each chain is a single line even under concurrency while concurrent
requests rarely wait for each other.
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
_CHAIN_LOCK = 727_000  # pg_advisory_xact_lock keys: this plus the chain number


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
    """Append one access event to the chain (inside the caller's transaction)."""
    chain = secrets.randbelow(settings.AUDIT_CHAINS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK + chain])
        previous = (
            AccessEvent.objects.filter(chain=chain)
            .order_by("-id")
            .values_list("hmac", flat=True)
            .first()
        )
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        organisation = getattr(user, "organisation", None) if authenticated else None
        event = AccessEvent(
            at=timezone.now(),
            actor=user if authenticated else None,
            actor_email=user.email if authenticated else "",
            actor_roles=",".join(sorted(user.roles)) if authenticated else "",
            actor_organisation=organisation.code if organisation else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            outcome=outcome,
            request_id=getattr(request, "request_id", "") if request is not None else "",
            detail=detail[:200],
            chain=chain,
            prev_hmac=previous or GENESIS,
        )
        event.hmac = _digest(event.prev_hmac, _chained_fields(event))
        event.save(force_insert=True)
        return event


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
