"""Retention (API.md "Data lifecycle and notifications"): erase a person's identifying data
RETENTION_YEARS after their hold became `ended`, `regularised` or `not_covered` and stayed so,
once nothing about them is open.

What is erased: names, date of birth, contact, address, Home Office reference (and the keys
the hold check matches on), dependants, crime narratives and every note. What is kept: dates,
statuses, codes and references, which the statistics and the hold history read, so both read
the same before and after. The person's rows stay (`Hold.victim` is protected), marked
`erased_at`: an erased person never matches a hold check (nothing is left to match), and their
record is frozen (`victims.services.facts_changed` refuses a new fact; a new referral makes a
new person with a new hold).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import batched
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.audit import LOCK_HEAD, ChainHead, append_event, lock_chain, pick_chain
from accounts.models import AccessEvent
from cases.models import Case
from victims.models import Application, SupportEngagement, Victim

from ..models import HoldDecision

logger = logging.getLogger(__name__)

CLOSED_HOLD_STATUSES = ("ended", "regularised", "not_covered")
CLOSED_INVESTIGATION_STATUSES = ("no_further_action",)
CLOSED_PROSECUTION_STATUSES = ("sentenced", "acquitted", "discontinued", "no_charge")
CLOSED_SUPPORT_STATUSES = ("closed", "disengaged")
# Awaiting a decision: an application submitted or challenged, an NRM referral awaiting its
# reasonable or conclusive grounds decision.
AWAITING_DECISION_STATUSES = ("submitted", "challenge_lodged", "referred", "rg_positive")
ERASED = "retention: identifying data erased"


def retention_cutoff(now: datetime) -> datetime:
    """RETENTION_YEARS before `now` (29 February falls back to the 28th)."""
    years = settings.RETENTION_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _open_cases() -> QuerySet[Case]:
    """A case whose investigation or prosecution is in a status other than a closed one. An
    investigation `charged` has handed over to its prosecution, which then speaks; a
    prosecution `none` is no prosecution."""
    return Case.objects.filter(victim_id=OuterRef("pk")).filter(
        ~Q(investigation_status__in=(*CLOSED_INVESTIGATION_STATUSES, "charged"))
        | ~Q(prosecution_status__in=(*CLOSED_PROSECUTION_STATUSES, "none"))
        | Q(investigation_status="charged", prosecution_status="none")
    )


def due_for_erasure(*, now: datetime) -> QuerySet[Victim]:
    """People whose identifying data retention says to erase now: not yet erased; their hold
    `ended`, `regularised` or `not_covered` since RETENTION_YEARS ago or earlier, and never
    anything else since (its history says so: the latest decision at the cut-off was one of
    them, and none later is not); no investigation or prosecution open, no engagement other than
    `closed` or `disengaged`, no application awaiting a decision."""
    cutoff = retention_cutoff(now)
    decisions = HoldDecision.objects.filter(hold_id=OuterRef("hold__pk"))
    status_at_cutoff = (
        decisions.filter(decided_at__lte=cutoff).order_by("-decided_at").values("status")[:1]
    )
    return (
        Victim.objects.filter(
            erased_at__isnull=True,
            hold__status__in=CLOSED_HOLD_STATUSES,
            hold__status_since__lte=now,
        )
        .annotate(status_at_cutoff=Subquery(status_at_cutoff))
        .filter(status_at_cutoff__in=CLOSED_HOLD_STATUSES)
        .exclude(
            Exists(decisions.filter(decided_at__gt=cutoff).exclude(status__in=CLOSED_HOLD_STATUSES))
        )
        .exclude(Exists(_open_cases()))
        .exclude(
            Exists(
                SupportEngagement.objects.filter(victim_id=OuterRef("pk")).exclude(
                    status__in=CLOSED_SUPPORT_STATUSES
                )
            )
        )
        .exclude(
            Exists(
                Application.objects.filter(
                    victim_id=OuterRef("pk"), status__in=AWAITING_DECISION_STATUSES
                )
            )
        )
    )


# Every write of an erasure in one statement (one round trip), if the person is due: the
# person's identifying columns (and those of any record merged into theirs, which a merge
# keeps so that hold checks by the merged identity still find the hold), their dependants, the
# narratives of their cases, and the notes on their cases, support and overrides. Dates,
# statuses, codes and references are left as they are. `{due}` is the retention rule for this
# one person (`_erase_statement`).
_ERASE = """
WITH due AS ({due}),
person AS (
    UPDATE victims_victim SET given_names = '', family_name = '', date_of_birth = NULL,
           home_office_reference = '', contact = '', address = '', given_names_key = '',
           family_name_key = '', home_office_reference_key = '', erased_at = %s
    WHERE id = %s AND erased_at IS NULL AND id IN (SELECT * FROM due)
    RETURNING id
),
merged_records AS (
    UPDATE victims_victim SET given_names = '', family_name = '', date_of_birth = NULL,
           home_office_reference = '', contact = '', address = '', given_names_key = '',
           family_name_key = '', home_office_reference_key = '', erased_at = %s
    WHERE merged_into_id IN (SELECT id FROM person) AND erased_at IS NULL
),
dependants AS (
    DELETE FROM victims_dependant WHERE victim_id IN (SELECT id FROM person)
),
narratives AS (
    UPDATE cases_case SET narrative = ''
    WHERE victim_id IN (SELECT id FROM person) AND narrative <> ''
),
case_notes AS (
    UPDATE cases_casestatuschange SET note = ''
    WHERE note <> '' AND case_id IN (
        SELECT id FROM cases_case WHERE victim_id IN (SELECT id FROM person)
    )
),
support_notes AS (
    UPDATE victims_supportupdate SET note = ''
    WHERE note <> '' AND engagement_id IN (
        SELECT id FROM victims_supportengagement WHERE victim_id IN (SELECT id FROM person)
    )
),
override_notes AS (
    UPDATE protocol_override SET justification = '', decision_note = '', revocation_note = ''
    WHERE hold_id IN (SELECT id FROM protocol_hold WHERE victim_id IN (SELECT id FROM person))
)
SELECT count(*) FROM person
"""
# The person's row lock, taken first, in a statement of its own: the rule is then checked by a
# later statement, whose snapshot sees any fact committed by a change that held the lock before.
_LOCK_PERSON = "SELECT 1 FROM victims_victim WHERE id = %s FOR UPDATE"

_SENTINEL = UUID(int=0)


@lru_cache(maxsize=4)
def _erase_statement(now: datetime) -> tuple[str, tuple]:
    """The erasure's SQL with the rule for one person in it, compiled once per run (building
    the rule's query costs more than running it)."""
    query = due_for_erasure(now=now).filter(pk=_SENTINEL).values_list("pk", flat=True)
    sql, params = query.query.get_compiler(using="default").as_sql()
    return _ERASE.format(due=sql), tuple(params)


@transaction.atomic
def victim_erase(*, victim_id: UUID, now: datetime | None = None) -> bool:
    """Erase one person's identifying data if retention says so, with an access event, in one
    transaction. The rule is checked under the person's row lock, so a fact recorded meanwhile
    wins. True if erased now; False if not due or already erased (re-running erases nothing
    twice).

    The person's lock, the checked erasure and the access log chain's lock go to the server
    together (psycopg's pipeline mode), then the event and the commit: two round trips, not
    seven, which is most of an erasure's time."""
    now = now or timezone.now()
    sql, params = _erase_statement(now)
    chain = pick_chain()
    with connection.cursor() as lock, connection.cursor() as erase, connection.cursor() as head:
        with connection.connection.pipeline():
            lock.execute(_LOCK_PERSON, [victim_id])
            erase.execute(
                sql,
                [victim_id if param == _SENTINEL else param for param in params]
                + [now, victim_id, now],
            )
            head.execute(LOCK_HEAD, [chain])
            found, (erased,), chain_head = lock.fetchone(), erase.fetchone(), head.fetchone()
        if not found or not erased:
            return False
        if chain_head is None:  # a chain added since (AUDIT_CHAINS raised): made on first use
            chain_head = lock_chain(head, chain)
        append_event(
            head,
            head=ChainHead(*chain_head),
            user=None,
            action="change",
            object_type="victim",
            object_id=str(victim_id),
            outcome=AccessEvent.Outcome.ALLOWED,
            detail=ERASED,
            chain=chain,
        )
    return True


@dataclass
class RetentionResult:
    due: int = 0
    erased: int = 0


def retention_apply(
    *,
    dry_run: bool = False,
    batch_size: int | None = None,
    now: datetime | None = None,
    progress: Callable[[int], object] | None = None,
) -> RetentionResult:
    """Find the people due for erasure with one set-based query (hash and index joins over the
    whole table: a keyset walk re-ran the rule's nested loops for every batch, two seconds a
    batch at a million people), read through a server-side cursor `batch_size` ids at a time
    (memory stays flat however many are due), and erase each in its own transaction, where the
    rule is checked again under the person's lock. With `dry_run`, count only. `progress` is
    called with each batch's size."""
    now = now or timezone.now()
    batch_size = batch_size or settings.RETENTION_BATCH
    result = RetentionResult()
    if dry_run:
        result.due = due_for_erasure(now=now).count()
        if progress and result.due:
            progress(result.due)
        return result
    ids = due_for_erasure(now=now).order_by("pk").values_list("pk", flat=True)
    for batch in batched(ids.iterator(chunk_size=batch_size), batch_size):
        result.due += len(batch)
        result.erased += sum(victim_erase(victim_id=victim_id, now=now) for victim_id in batch)
        if progress:
            progress(len(batch))
    if result.erased:
        logger.info("Retention: %s people erased", result.erased)
    return result


def retention_due_count(*, now: datetime | None = None) -> int:
    return due_for_erasure(now=now or timezone.now()).count()
