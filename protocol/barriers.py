"""Barriers to reporting: the statistics of API.md "Evaluating the protocol", by a breakdown.

Every measure is a table of groups (the `by` breakdown: month, force, crime type, nationality
group (UN M49 sub-region, `protocol.nationality_groups`) or language) × categories, counted with
one `GROUP BY` query on the replica when there is one, and suppressed whole by
`protocol.suppression` (cells, row totals, column totals and the grand total together, so
nothing suppressed can be recovered from what is published). A median is published only for a
group whose count is published.

Each measure counts what happened from `from` to `to` by its own date, and `month` is that
date's month: a case's referral, an unreported crime's recording, an application's submission,
a hold's leaving force, a hold check. Applications and holds belong to a person, not a case:
their force and crime type are those of the person's referral (their earliest case).

The crimes advisers recorded as never reported (`UnreportedCrime`) carry no force and no
language: with those breakdowns they are counted in one row, "Not reported to the police".
A hold check records what IE were told, never whom they asked about (a check that found no hold
in force names no hold): checks are broken down by month only, and counted in one row
otherwise.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connections, models
from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import Case
from core.db_router import replica_or_default
from protocol.rules import values
from victims.models import Application, SupportConsent, SupportEngagement, UnreportedCrime

from . import nationality_groups
from .models import EndConfirmation, Hold, HoldCheck, HoldDecision
from .suppression import SUPPRESS_BELOW, suppress_table

BREAKDOWNS: tuple[str, ...] = ("month", "force", "crime_type", "nationality_group", "language")

# The field of a case (and of an unreported crime, where it has one) each breakdown groups by.
_CASE_GROUP = {
    "month": TruncMonth("referred_on"),
    "force": F("force__code"),
    "crime_type": F("crime_type"),
    "nationality_group": nationality_groups.group_expression("victim__nationality"),
    "language": F("victim__preferred_language"),
}
_UNREPORTED_GROUP = {
    "month": TruncMonth("recorded_on"),
    "crime_type": F("crime_type"),
    "nationality_group": nationality_groups.group_expression("nationality"),
}
NOT_REPORTED = "not_reported"
ALL_CHECKS = "all_checks"
NO_REFERRAL = gettext_noop("Not recorded")
BY_REFERRAL = gettext_noop(
    "A person may have several cases: this counts each person once, under the force and crime "
    "type of their referral (their earliest case)."
)
CHECKS_BY_MONTH_ONLY = gettext_noop(
    "A hold check records what immigration enforcement were told, never whom they asked about, "
    "so checks are broken down by month only."
)


def _group_key(value) -> str:
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    return "" if value is None else str(value)


def _group_label(by: str, key: str) -> str:
    if key == NOT_REPORTED:
        return gettext_noop("Not reported to the police")
    if key == ALL_CHECKS:
        return gettext_noop("All hold checks")
    if not key:
        return NO_REFERRAL
    if by == "month":
        return date.fromisoformat(f"{key}-01").strftime("%B %Y")
    if by == "crime_type":
        return values.LABELS.get(key, key)
    if by == "nationality_group":
        return nationality_groups.label(key, "en")  # the API speaks English; pages relabel
    return key


def _table(
    name: str,
    label: str,
    by: str,
    counts: dict[tuple[str, str], int],
    columns: Iterable[tuple[str, str]],
    *,
    note: str = "",
    share_of: str = "",
) -> dict:
    """A suppressed table from `{(group, category): count}`. With `share_of` (a column's key)
    each row and the totals carry `share`: that column's percentage of the row's total, where
    both are published (so it discloses nothing they do not)."""
    columns = list(columns)
    groups = sorted({group for group, _ in counts})
    grid = [[counts.get((group, key), 0) for key, _ in columns] for group in groups]
    suppressed = suppress_table(grid) if groups else None
    table: dict[str, Any] = {
        "measure": name,
        "label": label,
        "note": note,
        "columns": [{"key": key, "label": text} for key, text in columns],
        "rows": [
            {
                "key": group,
                "label": _group_label(by, group),
                "cells": suppressed.cells[i] if suppressed else [],
                "total": suppressed.row_totals[i] if suppressed else None,
            }
            for i, group in enumerate(groups)
        ],
        "column_totals": suppressed.column_totals if suppressed else [0 for _ in columns],
        "total": suppressed.total if suppressed else 0,
    }
    if share_of:
        index = [key for key, _ in columns].index(share_of)
        table["share_of"] = share_of
        for row in table["rows"]:
            row["share"] = _share(row["cells"][index] if row["cells"] else None, row["total"])
        table["total_share"] = _share(table["column_totals"][index], table["total"])
    return table


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100 * part / whole, 1)


def _counts(queryset, group, category) -> dict[tuple[str, str], int]:
    return _counts_by(queryset, group, [category])[0]


def _counts_by(queryset, group, categories: list) -> list[dict[tuple[str, str], int]]:
    """`{(group, category): count}` for each of several categories of the same rows, from one
    `GROUP BY group, category, ...` statement (one scan; the grouped rows are then added up)."""
    names = [f"category_{index}" for index in range(len(categories))]
    rows = (
        queryset.order_by()
        .annotate(group=group, **dict(zip(names, categories, strict=True)))
        .values_list("group", *names)
        .annotate(n=Count("pk"))
    )
    counts: list[dict[tuple[str, str], int]] = [defaultdict(int) for _ in names]
    for group_value, *category_values, n in rows:
        key = _group_key(group_value)
        for each, category_value in zip(counts, category_values, strict=True):
            each[(key, str(category_value))] += n
    return counts


_MEDIANS_SQL = """
SELECT group_key, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days)
FROM (@inner@) AS measured
GROUP BY group_key
"""


def _medians(db: str, inner_sql: str, params: list) -> dict[str, tuple[int, float | None]]:
    with connections[db].cursor() as cursor:
        cursor.execute(_MEDIANS_SQL.replace("@inner@", inner_sql), params)
        return {_group_key(key): (n, median) for key, n, median in cursor.fetchall()}


def _median_table(
    name: str, label: str, by: str, medians: dict, published: dict[str, int | None]
) -> dict:
    """Medians per group, each shown only where its group's count is at least the threshold
    and where `published` (the same group's count in a table already suppressed) is shown: a
    count this table printed could otherwise give away a total that secondary suppression hid."""
    rows = []
    for key in sorted(medians):
        n, median = medians[key]
        hidden = published.get(key) is None
        shown = n >= SUPPRESS_BELOW and median is not None and not hidden
        rows.append(
            {
                "key": key,
                "label": _group_label(by, key),
                # Printed only where it is the published figure itself: a count of other rows
                # (referrals whose engagement began after it, of all those engaged) would give
                # away the difference, which may be under 5.
                "count": n if n == published.get(key) else None,
                "median_days": round(median, 1) if shown else None,
            }
        )
    return {"measure": name, "label": label, "rows": rows}


_GROUP_SQL = {
    "month": "to_char(c.referred_on, 'YYYY-MM')",
    "force": "o.code",
    "crime_type": "c.crime_type",
    "nationality_group": nationality_groups.SQL_GROUP,
    "language": "v.preferred_language",
}
_UNREPORTED_GROUP_SQL = {
    "month": "to_char(u.recorded_on, 'YYYY-MM')",
    "crime_type": "u.crime_type",
    "nationality_group": nationality_groups.SQL_GROUP,
}
# Each crime's reasons counted once each, by group, in one statement.
_UNREPORTED_REASONS_SQL = """
SELECT @group@, r.reason, count(*)
FROM victims_unreportedcrime u
CROSS JOIN LATERAL (SELECT DISTINCT unnest(u.reasons)) AS r(reason)
@join@
WHERE u.recorded_on BETWEEN %s AND %s
GROUP BY 1, 2
"""


class _Median(Aggregate):
    """PostgreSQL's `percentile_cont(0.5) WITHIN GROUP (ORDER BY ...)`."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _m49_join(by: str, column: str) -> tuple[str, list]:
    """The join (and its parameters) that gives hand-written SQL its `nationality_group`."""
    if by != "nationality_group":
        return "", []
    return nationality_groups.SQL_JOIN.format(column=column), nationality_groups.sql_params()


def _person_group(by: str, month_of: str):
    """The `by` group of a row tied to a person (`victim`) rather than a case: the force and
    crime type of the person's referral (their earliest case), `month_of`'s month."""
    referral = Case.objects.filter(victim=OuterRef("victim")).order_by("referred_on", "created_at")
    return {
        "month": TruncMonth(month_of),
        "force": Subquery(referral.values("force__code")[:1]),
        "crime_type": Subquery(referral.values("crime_type")[:1]),
        "nationality_group": nationality_groups.group_expression("victim__nationality"),
        "language": F("victim__preferred_language"),
    }[by]


_DURATION_BANDS = (
    (90, "days_0_89", gettext_noop("Under 90 days")),
    (180, "days_90_179", gettext_noop("90 to 179 days")),
    (365, "days_180_364", gettext_noop("180 to 364 days")),
    (730, "days_365_729", gettext_noop("1 to 2 years")),
    (None, "days_730_or_more", gettext_noop("2 years or more")),
)
# How a hold left force: its status, or for `ended` the reason IE confirmed.
_HOLD_ENDINGS = (
    "regularised",
    "overridden",
    "not_covered",
    *values.END_REASONS,
)
ENDED_NO_REASON = "ended_no_reason"


def _holds_left_force(db: str, date_from: date, date_to: date):
    """Holds that were in force once and left force from `date_from` to `date_to` (their
    current status, out of force, began then), with `days` in force (from the first decision
    in force to that status) and `ending` (how they left)."""
    first_in_force = (
        HoldDecision.objects.filter(hold=OuterRef("pk"), in_force=True)
        .order_by("decided_at")
        .values("decided_at")[:1]
    )
    confirmed_reason = (
        EndConfirmation.objects.filter(hold=OuterRef("pk"), set_aside_by_merge=False)
        .order_by("-confirmed_on", "-created_at")
        .values("reason")[:1]
    )
    return (
        Hold.objects.using(db)
        .filter(  # the status list, not `in_force`, so the (status, status_since) index serves
            status__in=[
                code for code in values.HOLD_STATUSES if code not in values.IN_FORCE_STATUSES
            ],
            status_since__gte=_day_start(date_from),
            status_since__lt=_day_start(date_to + timedelta(days=1)),
        )
        .annotate(started=Subquery(first_in_force))
        .filter(started__isnull=False)
        .annotate(
            days=models.Func(
                Cast("status_since", models.DateField()),
                Cast("started", models.DateField()),
                template="(%(expressions)s)",
                arg_joiner=" - ",
                output_field=models.IntegerField(),
            ),
            ending=models.Case(
                models.When(
                    status="ended",
                    then=Coalesce(Subquery(confirmed_reason), Value(ENDED_NO_REASON)),
                ),
                default=F("status"),
                output_field=models.CharField(),
            ),
        )
    )


def _day_start(day: date) -> datetime:
    """Midnight starting `day` in the service's time zone (a range on a timestamp column
    can use its index, where a range on its date cannot)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _duration_band():
    whens = [
        models.When(days__lt=limit, then=Value(key))
        for limit, key, _ in _DURATION_BANDS
        if limit is not None
    ]
    return models.Case(
        *whens, default=Value(_DURATION_BANDS[-1][1]), output_field=models.CharField()
    )


def barrier_statistics(*, date_from: date, date_to: date, by: str) -> dict:
    """The barrier measures for cases referred (and crimes recorded) from `date_from` to
    `date_to`, broken down `by` one of `BREAKDOWNS`."""
    if by not in BREAKDOWNS:
        raise ValueError(by)
    db = replica_or_default()
    cases = Case.objects.using(db).filter(referred_on__range=(date_from, date_to))
    group = _CASE_GROUP[by]
    referrals = _counts(cases, group, F("role"))
    withdrawals = _counts(cases.exclude(withdrawal_reason=""), group, F("withdrawal_reason"))
    engaged = _counts(
        cases, group, Exists(SupportEngagement.objects.filter(victim=OuterRef("victim")))
    )
    engagement: dict[tuple[str, str], int] = {
        (key, "engaged" if flag == "True" else "not_engaged"): n
        for (key, flag), n in engaged.items()
    }
    # Of the referrals whose victim was referred for support, those whose consent to a
    # referral was later withdrawn (API.md: "consent withdrawal rates").
    consented = cases.filter(Exists(SupportConsent.objects.filter(victim=OuterRef("victim"))))
    withdrawn = _counts(
        consented,
        group,
        Exists(
            SupportConsent.objects.filter(victim=OuterRef("victim"), withdrawn_on__isnull=False)
        ),
    )
    consent: dict[tuple[str, str], int] = {
        (key, "consent_withdrawn" if flag == "True" else "consent_kept"): n
        for (key, flag), n in withdrawn.items()
    }
    unreported = UnreportedCrime.objects.using(db).filter(recorded_on__range=(date_from, date_to))
    unreported_counts = _counts(
        unreported,
        _UNREPORTED_GROUP.get(by, Value(NOT_REPORTED)),
        models.Case(
            models.When(reported_later=True, then=Value("reported_later")),
            default=Value("never_reported"),
        ),
    )
    join, join_params = _m49_join(by, "u.nationality")
    with connections[db].cursor() as cursor:
        cursor.execute(
            _UNREPORTED_REASONS_SQL.replace(
                "@group@", _UNREPORTED_GROUP_SQL.get(by, f"'{NOT_REPORTED}'")
            ).replace("@join@", join),
            [*join_params, date_from, date_to],
        )
        unreported_reasons = {(_group_key(key), reason): n for key, reason, n in cursor.fetchall()}
    reasons = list(values.WITHDRAWAL_REASON_LABELS.items())
    group_sql = _GROUP_SQL[by]
    join, join_params = _m49_join(by, "v.nationality")
    base = (
        "FROM cases_case c JOIN victims_victim v ON v.id = c.victim_id "
        f"JOIN accounts_organisation o ON o.id = c.force_id {join} "
        "WHERE c.referred_on BETWEEN %s AND %s"
    )
    params = [*join_params, date_from, date_to]
    report_to_referral = _medians(
        db,
        f"SELECT {group_sql} AS group_key, (c.referred_on - c.reported_on) AS days {base}",  # noqa: S608
        params,
    )
    referral_to_support = _medians(
        db,
        f"SELECT group_key, days FROM (SELECT {group_sql} AS group_key, "  # noqa: S608
        "(SELECT min(s.started_on) FROM victims_supportengagement s WHERE s.victim_id = v.id "
        "AND s.started_on >= c.referred_on) - c.referred_on AS days "
        f"{base}) AS d WHERE days IS NOT NULL",
        params,
    )
    person_note = BY_REFERRAL if by in ("force", "crime_type") else ""
    applications = Application.objects.using(db).filter(submitted_on__range=(date_from, date_to))
    applications_by_route, applications_by_outcome = _counts_by(
        applications, _person_group(by, "submitted_on"), [F("route"), F("status")]
    )
    left_force = _holds_left_force(db, date_from, date_to)
    hold_group = _person_group(by, "status_since")
    holds_by_ending, holds_by_duration = _counts_by(
        left_force, hold_group, [F("ending"), _duration_band()]
    )
    hold_checks = HoldCheck.objects.using(db).filter(
        at__gte=_day_start(date_from), at__lt=_day_start(date_to + timedelta(days=1))
    )
    check_group = TruncMonth("at") if by == "month" else Value(ALL_CHECKS)
    hold_days = {
        _group_key(key): (n, median)
        for key, n, median in left_force.order_by()
        .annotate(group=hold_group)
        .values_list("group")
        .annotate(n=Count("pk"), median=_Median("days"))
        .values_list("group", "n", "median")
    }
    tables = [
        _table(
            "referrals",
            gettext_noop("Referrals, by the victim's role"),
            by,
            referrals,
            [(code, values.LABELS[code]) for code in values.CASE_ROLES],
        ),
        _table(
            "withdrawals_by_reason",
            gettext_noop("Victims who withdrew from the investigation, by reason"),
            by,
            withdrawals,
            reasons,
        ),
        _table(
            "support_engagement",
            gettext_noop("Referrals whose victim engaged with a support organisation"),
            by,
            engagement,
            [
                ("engaged", gettext_noop("Engaged with support")),
                ("not_engaged", gettext_noop("No engagement recorded")),
            ],
        ),
        _table(
            "consent_withdrawal",
            gettext_noop(
                "Referrals whose victim was referred for support, by whether consent was "
                "later withdrawn"
            ),
            by,
            consent,
            [
                ("consent_kept", gettext_noop("Consent kept")),
                ("consent_withdrawn", gettext_noop("Consent withdrawn")),
            ],
        ),
        _table(
            "unreported_crimes",
            gettext_noop("Crimes not reported to the police, recorded by support advisers"),
            by,
            unreported_counts,
            [
                ("never_reported", gettext_noop("Not reported")),
                ("reported_later", gettext_noop("Reported later")),
            ],
        ),
        _table(
            "unreported_crimes_by_reason",
            gettext_noop("Why victims chose not to report (a crime may have several reasons)"),
            by,
            unreported_reasons,
            reasons,
        ),
        _table(
            "applications_by_route",
            gettext_noop("Applications submitted, by route"),
            by,
            applications_by_route,
            [(code, values.LABELS[code]) for code in values.APPLICATION_ROUTES],
            note=person_note,
        ),
        _table(
            "applications_by_outcome",
            gettext_noop("Applications submitted, by where they stand now (outcome)"),
            by,
            applications_by_outcome,
            [
                (code, values.LABELS[code])
                for code in dict.fromkeys(values.APPLICATION_STATUSES + values.NRM_STATUSES)
            ],
            note=person_note,
        ),
        _table(
            "holds_by_ending",
            gettext_noop("Holds that left force, by how they ended"),
            by,
            holds_by_ending,
            [
                *((code, values.LABELS[code]) for code in _HOLD_ENDINGS),
                (ENDED_NO_REASON, gettext_noop("Ended, no reason confirmed")),
            ],
            note=person_note,
        ),
        _table(
            "holds_by_duration",
            gettext_noop("Holds that left force, by how long they were in force"),
            by,
            holds_by_duration,
            [(key, text) for _, key, text in _DURATION_BANDS],
            note=person_note,
        ),
        _table(
            "hold_checks",
            gettext_noop("Hold checks by immigration enforcement, by the answer"),
            by,
            _counts(
                hold_checks,
                check_group,
                models.Case(
                    models.When(answered_in_force=True, then=Value("in_force")),
                    default=Value("not_in_force"),
                ),
            ),
            [
                ("in_force", gettext_noop("Answered: hold in force")),
                ("not_in_force", gettext_noop("Answered: no hold in force")),
            ],
            note="" if by == "month" else CHECKS_BY_MONTH_ONLY,
            share_of="in_force",
        ),
    ]
    table = {each["measure"]: each for each in tables}
    referral_totals = {row["key"]: row["total"] for row in table["referrals"]["rows"]}
    engaged_cells = {  # the first column is "engaged"
        row["key"]: (row["cells"] or [None])[0] for row in table["support_engagement"]["rows"]
    }
    return {
        "from": date_from,
        "to": date_to,
        "by": by,
        "suppressed_below": SUPPRESS_BELOW,
        "tables": tables,
        "medians": [
            _median_table(
                "days_reported_to_referral",
                gettext_noop("Median days from crime reported to referral"),
                by,
                report_to_referral,
                referral_totals,
            ),
            _median_table(
                "days_referral_to_support",
                gettext_noop("Median days from referral to support engagement"),
                by,
                referral_to_support,
                engaged_cells,
            ),
            _median_table(
                "days_hold_in_force",
                gettext_noop("Median days a hold was in force, of holds that left force"),
                by,
                hold_days,
                {row["key"]: row["total"] for row in table["holds_by_duration"]["rows"]},
            ),
        ],
    }


def as_csv(statistics: dict) -> str:
    """The tables as one CSV: measure, group, category, count (empty where suppressed)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["measure", "by", "group", "category", "count"])
    for table in statistics["tables"]:
        for row in table["rows"]:
            for column, count in zip(table["columns"], row["cells"], strict=True):
                writer.writerow(
                    [table["measure"], statistics["by"], row["key"], column["key"], _cell(count)]
                )
            writer.writerow(
                [table["measure"], statistics["by"], row["key"], "total", _cell(row["total"])]
            )
            if "share" in row:
                writer.writerow(
                    [
                        table["measure"],
                        statistics["by"],
                        row["key"],
                        "share_percent",
                        _cell(row["share"]),
                    ]
                )
        for column, count in zip(table["columns"], table["column_totals"], strict=True):
            writer.writerow(
                [table["measure"], statistics["by"], "total", column["key"], _cell(count)]
            )
        writer.writerow(
            [table["measure"], statistics["by"], "total", "total", _cell(table["total"])]
        )
        if "total_share" in table:
            writer.writerow(
                [
                    table["measure"],
                    statistics["by"],
                    "total",
                    "share_percent",
                    _cell(table["total_share"]),
                ]
            )
    for table in statistics["medians"]:
        for row in table["rows"]:
            writer.writerow(
                [
                    table["measure"],
                    statistics["by"],
                    row["key"],
                    "median_days",
                    _cell(row["median_days"]),
                ]
            )
    return out.getvalue()


def _cell(value) -> str:
    return "" if value is None else str(value)
