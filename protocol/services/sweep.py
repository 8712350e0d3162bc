"""Which holds the sweep re-evaluates: those lagging their facts or due (ADR 0002), and a slice
of a walk through every hold that repairs any stored decision differing from a fresh one."""

import logging
from collections.abc import Sequence
from datetime import date
from uuid import UUID, uuid4

from django.core.cache import cache
from django.db.models import F, Q, QuerySet

from ..models import Hold

logger = logging.getLogger(__name__)


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
