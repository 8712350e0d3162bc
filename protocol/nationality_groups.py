"""Nationalities grouped by UN M49 sub-region, for the `nationality_group` breakdown.

The groups come from `countrygroups` (CC0: the UN Statistics Division's M49 table as lists of
ISO 3166-1 alpha-3 codes, `UNSTATS_GEOGRAPHICAL_REGIONS`: region → sub-region → intermediate
region → codes). A group is one of the 17 M49 sub-regions (the second level), keyed by its M49
code; its name is CLDR's, through Babel, in the page's language (no hand-written names).
A nationality in no sub-region (stateless `XXA`, unknown codes, Antarctica) is `UNKNOWN`.

The map is built once. The database does the grouping: a `CASE` expression for the ORM
(`group_expression`) and a join on two arrays for hand-written SQL (`SQL_JOIN`); no row is
grouped in Python.
"""

from __future__ import annotations

import re
from functools import cache

from countrygroups import UNSTATS_GEOGRAPHICAL_REGIONS
from django.db.models import Case, CharField, Value, When
from django.utils.translation import gettext_noop

from core.languages import territory_name

UNKNOWN = "unknown"
UNKNOWN_LABEL = gettext_noop("Stateless, unknown or no UN sub-region")

# The package names sub-regions by English words; M49 numbers them. These are the 17 M49
# sub-regions (https://unstats.un.org/unsd/methodology/m49/).
M49_SUB_REGIONS: dict[str, str] = {
    "NORTHERN_AFRICA": "015",
    "SUB_SAHARAN_AFRICA": "202",
    "LATIN_AMERICA_AND_THE_CARIBBEAN": "419",
    "NORTHERN_AMERICA": "021",
    "CENTRAL_ASIA": "143",
    "EASTERN_ASIA": "030",
    "SOUTH_EASTERN_ASIA": "035",
    "SOUTHERN_ASIA": "034",
    "WESTERN_ASIA": "145",
    "EASTERN_EUROPE": "151",
    "NORTHERN_EUROPE": "154",
    "SOUTHERN_EUROPE": "039",
    "WESTERN_EUROPE": "155",
    "AUSTRALIA_AND_NEW_ZEALAND": "053",
    "MELANESIA": "054",
    "MICRONESIA": "057",
    "POLYNESIA": "061",
}


@cache
def sub_region_of() -> dict[str, str]:
    """`{alpha-3: M49 sub-region code}`, built once from the package's nested lists. A
    sub-region the package has and M49_SUB_REGIONS lacks (a new one) is an error at once."""
    mapping: dict[str, str] = {}
    for region in vars(UNSTATS_GEOGRAPHICAL_REGIONS).values():
        for name, members in vars(region).items():
            code = M49_SUB_REGIONS[name]
            for alpha3 in members:  # a Group lists its intermediate regions' codes too
                if not re.fullmatch(r"[A-Z]{3}", alpha3):
                    raise ValueError(f"not an alpha-3 code: {alpha3!r}")
                mapping[alpha3] = code
    return mapping


def group_of(alpha3: str) -> str:
    return sub_region_of().get((alpha3 or "").upper(), UNKNOWN)


def codes() -> list[str]:
    """The M49 codes of the groups, in M49 order, then `UNKNOWN`."""
    return [*sorted(set(M49_SUB_REGIONS.values())), UNKNOWN]


def label(code: str, language_code: str) -> str:
    """The group's name in the language (CLDR's); `UNKNOWN`'s is marked for translation and
    is given untranslated here (the caller's gettext translates it)."""
    if code in M49_SUB_REGIONS.values():
        return territory_name(code, language_code)
    return UNKNOWN_LABEL


def group_expression(field: str) -> Case:
    """A `CASE` mapping the alpha-3 column `field` to its group's M49 code, in the database."""
    members: dict[str, list[str]] = {}
    for alpha3, code in sorted(sub_region_of().items()):
        members.setdefault(code, []).append(alpha3)
    return Case(
        *(When(**{f"{field}__in": alpha3s}, then=Value(code)) for code, alpha3s in members.items()),
        default=Value(UNKNOWN),
        output_field=CharField(),
    )


# For hand-written SQL: `LEFT JOIN` this with the two arrays of `sql_params()` as parameters,
# then `coalesce(m49.code, 'unknown')` is the group of `<table>.nationality`.
SQL_JOIN = "LEFT JOIN unnest(%s::text[], %s::text[]) AS m49(alpha3, code) ON m49.alpha3 = {column}"
SQL_GROUP = f"coalesce(m49.code, '{UNKNOWN}')"


def sql_params() -> list[list[str]]:
    mapping = sub_region_of()
    return [list(mapping), list(mapping.values())]
