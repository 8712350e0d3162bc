"""Anonymised counts for analysts and auditors, with small numbers suppressed.

Every table is one aggregate query (`GROUP BY` in the database, never a loop over rows). A count
from 1 to `SUPPRESS_BELOW - 1` is shown as `null` with `"suppressed": true`. Because the totals of
most tables can be worked out from another table (cases by crime type and cases by
investigation status both add up to the number of cases), a table with exactly one suppressed
cell also suppresses its next smallest count, so the hidden one cannot be found by subtraction.
Zero is shown: it discloses nobody.

The counts are read from the read replica when one is configured (`replica_or_default`): they
may lag the primary by the replica's replay delay, which an anonymised count can afford. Nothing
person-level, no permission check and no hold decision is ever read there.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.models import Case
from core.db_router import replica_or_default
from protocol.rules import values
from victims.models import Application, SupportEngagement, Victim

from .models import Hold, HoldCheck, Override
from .suppression import SUPPRESS_BELOW, suppress_counts

__all__ = ["SUPPRESS_BELOW", "Cell", "statistics", "suppress"]


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    count: int | None
    suppressed: bool


def _label(code) -> str:
    return values.LABELS.get(code, str(code).replace("_", " ").capitalize())


def suppress(counts: Iterable[tuple[str, str, int]]) -> list[Cell]:
    """`(key, label, count)` rows as cells, small counts suppressed (primary and secondary),
    by the one suppression module (`protocol.suppression`)."""
    rows = list(counts)
    shown, _total = suppress_counts([count for _, _, count in rows])
    return [
        Cell(key, label, count, count is None)
        for (key, label, _), count in zip(rows, shown, strict=True)
    ]


def _grouped(queryset, field: str) -> dict:
    """`{value: count}` from one `GROUP BY field` query."""
    return dict(
        queryset.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n")
    )


def _table(counts: dict, codes: Iterable, label=_label) -> list[Cell]:
    """Every code listed (zero where none), plus any recorded value outside the list."""
    codes = list(codes)
    extra = [code for code in counts if code not in codes and code is not None]
    return suppress((str(code), label(code), counts.get(code, 0)) for code in [*codes, *extra])


def _monthly(queryset, field: str) -> list[Cell]:
    counts = (
        queryset.order_by()
        .annotate(month=TruncMonth(field))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by("month")
        .values_list("month", "n")
    )
    return suppress((month.strftime("%Y-%m"), month.strftime("%B %Y"), n) for month, n in counts)


def statistics() -> dict:
    """The anonymised counts, computed with aggregate queries on the replica if there is one."""
    db = replica_or_default()
    holds, cases = Hold.objects.using(db), Case.objects.using(db)
    engagements, applications = SupportEngagement.objects.using(db), Application.objects.using(db)
    overrides, hold_checks_made = Override.objects.using(db), HoldCheck.objects.using(db)
    grounds = holds.aggregate(
        **{code: Count("pk", filter=Q(grounds__contains=[code])) for code in values.GROUND_CODES}
    )
    flags = holds.aggregate(
        **{code: Count("pk", filter=Q(flags__contains=[code])) for code in values.FLAG_CODES}
    )
    outcome_counts = _grouped(cases.filter(outcome_code__isnull=False), "outcome_code")
    hold_checks = hold_checks_made.aggregate(
        in_force=Count("pk", filter=Q(answered_in_force=True)),
        not_in_force=Count("pk", filter=Q(answered_in_force=False)),
    )
    return {
        "generated_at": timezone.now(),
        "suppressed_below": SUPPRESS_BELOW,
        "holds_by_status": _table(_grouped(holds, "status"), values.HOLD_STATUSES),
        "holds_by_ground": _table(grounds, values.GROUND_CODES),
        "holds_by_flag": _table(flags, values.FLAG_CODES),
        "cases_by_crime_type": _table(_grouped(cases, "crime_type"), values.CRIME_TYPES),
        "cases_by_role": _table(_grouped(cases, "role"), values.CASE_ROLES),
        "cases_by_investigation_status": _table(
            _grouped(cases, "investigation_status"), values.INVESTIGATION_STATUSES
        ),
        "cases_by_prosecution_status": _table(
            _grouped(cases, "prosecution_status"), values.PROSECUTION_STATUSES
        ),
        "cases_by_outcome_code": _table(
            outcome_counts,
            values.OUTCOME_CODES,
            label=lambda code: values.OUTCOME_CODE_LABELS.get(code, str(code)),
        ),
        "referrals_by_month": _monthly(cases, "referred_on"),
        "support_engagements_by_status": _table(
            _grouped(engagements, "status"), values.SUPPORT_STATUSES
        ),
        "applications_by_route": _table(_grouped(applications, "route"), values.APPLICATION_ROUTES),
        "overrides_by_status": _table(_grouped(overrides, "status"), values.OVERRIDE_STATUSES),
        "overrides_by_category": _table(
            _grouped(overrides, "category"), values.OVERRIDE_CATEGORIES
        ),
        "hold_checks_by_answer": _table(hold_checks, ("in_force", "not_in_force")),
        "hold_checks_by_month": _monthly(hold_checks_made, "at"),
        "people_erased_by_month": _monthly(
            Victim.objects.using(db).filter(erased_at__isnull=False), "erased_at"
        ),
    }
