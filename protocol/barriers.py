"""Barriers to reporting: the statistics of API.md "Evaluating the protocol", by a breakdown.

Every measure is a table of groups (the `by` breakdown: month, force, crime type or language)
× categories, counted with one `GROUP BY` query on the replica when there is one, and
suppressed whole by `protocol.suppression` (cells, row totals, column totals and the grand
total together, so nothing suppressed can be recovered from what is published). A median is
published only for a group whose count is published.

The crimes advisers recorded as never reported (`UnreportedCrime`) carry no force and no
language: with those breakdowns they are counted in one row, "Not reported to the police".
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connections
from django.db.models import Count, Exists, F, OuterRef
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_noop

from cases.models import Case
from core.db_router import replica_or_default
from protocol.rules import values
from victims.models import SupportConsent, SupportEngagement, UnreportedCrime

from .suppression import SUPPRESS_BELOW, suppress_table

BREAKDOWNS: tuple[str, ...] = ("month", "force", "crime_type", "language")

# The field of a case (and of an unreported crime, where it has one) each breakdown groups by.
_CASE_GROUP = {
    "month": TruncMonth("referred_on"),
    "force": F("force__code"),
    "crime_type": F("crime_type"),
    "language": F("victim__preferred_language"),
}
_UNREPORTED_GROUP = {"month": TruncMonth("recorded_on"), "crime_type": F("crime_type")}
NOT_REPORTED = "not_reported"


def _group_key(value) -> str:
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    return "" if value is None else str(value)


def _group_label(by: str, key: str) -> str:
    if by == "month" and key:
        return date.fromisoformat(f"{key}-01").strftime("%B %Y")
    if by == "crime_type":
        return values.LABELS.get(key, key)
    if key == NOT_REPORTED:
        return gettext_noop("Not reported to the police")
    return key or gettext_noop("Not recorded")


def _table(
    name: str,
    label: str,
    by: str,
    counts: dict[tuple[str, str], int],
    columns: Iterable[tuple[str, str]],
) -> dict:
    """A suppressed table from `{(group, category): count}`."""
    columns = list(columns)
    groups = sorted({group for group, _ in counts})
    grid = [[counts.get((group, key), 0) for key, _ in columns] for group in groups]
    suppressed = suppress_table(grid) if groups else None
    return {
        "measure": name,
        "label": label,
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


def _counts(queryset, group, category) -> dict[tuple[str, str], int]:
    rows = (
        queryset.order_by()
        .annotate(group=group, category=category)
        .values_list("group", "category")
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for group_value, category_value, n in rows:
        counts[(_group_key(group_value), str(category_value))] += n
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
                "count": None if hidden or 0 < n < SUPPRESS_BELOW else n,
                "median_days": round(median, 1) if shown else None,
            }
        )
    return {"measure": name, "label": label, "rows": rows}


_GROUP_SQL = {
    "month": "to_char(c.referred_on, 'YYYY-MM')",
    "force": "o.code",
    "crime_type": "c.crime_type",
    "language": "v.preferred_language",
}


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
    unreported_group = _UNREPORTED_GROUP.get(by)
    unreported_reasons: dict[tuple[str, str], int] = defaultdict(int)
    unreported_counts: dict[tuple[str, str], int] = defaultdict(int)
    for group_value, reasons, reported_later in (
        unreported.order_by()
        .annotate(group=unreported_group if unreported_group is not None else F("nationality"))
        .values_list("group", "reasons", "reported_later")
    ):
        key = _group_key(group_value) if unreported_group is not None else NOT_REPORTED
        unreported_counts[(key, "reported_later" if reported_later else "never_reported")] += 1
        for reason in set(reasons):
            unreported_reasons[(key, reason)] += 1
    reasons = list(values.WITHDRAWAL_REASON_LABELS.items())
    group_sql = _GROUP_SQL[by]
    base = (
        "FROM cases_case c JOIN victims_victim v ON v.id = c.victim_id "
        "JOIN accounts_organisation o ON o.id = c.force_id "
        "WHERE c.referred_on BETWEEN %s AND %s"
    )
    report_to_referral = _medians(
        db,
        f"SELECT {group_sql} AS group_key, (c.referred_on - c.reported_on) AS days {base}",  # noqa: S608
        [date_from, date_to],
    )
    referral_to_support = _medians(
        db,
        f"SELECT group_key, days FROM (SELECT {group_sql} AS group_key, "  # noqa: S608
        "(SELECT min(s.started_on) FROM victims_supportengagement s WHERE s.victim_id = v.id "
        "AND s.started_on >= c.referred_on) - c.referred_on AS days "
        f"{base}) AS d WHERE days IS NOT NULL",
        [date_from, date_to],
    )
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
        for column, count in zip(table["columns"], table["column_totals"], strict=True):
            writer.writerow(
                [table["measure"], statistics["by"], "total", column["key"], _cell(count)]
            )
        writer.writerow(
            [table["measure"], statistics["by"], "total", "total", _cell(table["total"])]
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
