"""Signposting: which routes to regularise stay may be worth raising with a regulated adviser,
from the facts on record (DOMAIN.md "Signposting"). Pure: standard library only, like the hold
rules (the import-linter purity contract covers every module of `protocol.rules`).

Signposting is information, never advice: a route is *worth raising* when the facts make it
plausible, and whether it fits is a regulated, independent adviser's judgement. Every answer
ends with that adviser as the next step, and names the Victims' Code rights that apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

DOMESTIC_ABUSE_CRIMES = frozenset(
    {"domestic_abuse", "controlling_or_coercive_behaviour", "honour_based_abuse", "forced_marriage"}
)
EXPLOITATION_CRIMES = frozenset({"modern_slavery_or_trafficking", "labour_exploitation"})
# The EEA states and Switzerland (ISO 3166-1 alpha-3): the EU Settlement Scheme's nationals.
EEA_OR_SWISS = frozenset(
    {"AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
     "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
     "SWE", "ISL", "LIE", "NOR", "CHE"}
)  # fmt: skip
# An application in these statuses is being handled: raise no new route.
HANDLED_STATUSES = frozenset({"submitted", "challenge_lodged"})
ADULT_AGE = 18

# The routes, in the order DOMAIN.md lists them.
KEEP_IN_TOUCH = "keep_in_touch_with_adviser"
FAMILY_OR_PRIVATE_LIFE = "family_or_private_life"
MVDAC = "mvdac"
DOMESTIC_ABUSE_SETTLEMENT = "victim_of_domestic_abuse"
NRM = "nrm"
VTS = "vts"
LATE_EUSS = "euss_late"
ASYLUM = "asylum"
ROUTES = (
    KEEP_IN_TOUCH, FAMILY_OR_PRIVATE_LIFE, MVDAC, DOMESTIC_ABUSE_SETTLEMENT, NRM, VTS, LATE_EUSS,
    ASYLUM,
)  # fmt: skip

# Victims' Code rights named with every list: 1 interpreter, 4 referral to support, 6 updates on
# the investigation, 12 complaints (1, 4 and 12 whether or not the crime is reported).
RIGHTS = (1, 4, 6, 12)
NEXT_STEP = "regulated_adviser"


@dataclass(frozen=True)
class CaseSignpostFacts:
    crime_type: str
    role: str  # "victim" or "witness"


@dataclass(frozen=True)
class ApplicationSignpostFacts:
    route: str
    status: str


@dataclass(frozen=True)
class PersonFacts:
    cases: tuple[CaseSignpostFacts, ...]
    nationality: str  # ISO 3166-1 alpha-3
    dependants_born_on: tuple[date, ...] = ()
    applications: tuple[ApplicationSignpostFacts, ...] = ()


@dataclass(frozen=True)
class Route:
    code: str
    because: str  # the fact that made it worth raising: the explanation line


@dataclass(frozen=True)
class Signposting:
    routes: tuple[Route, ...]
    rights: tuple[int, ...] = RIGHTS
    next_step: str = NEXT_STEP


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _crimes_as_victim(facts: PersonFacts) -> frozenset[str]:
    """A witness to abuse is not its victim: the victim-only routes read the victim's crimes."""
    return frozenset(case.crime_type for case in facts.cases if case.role == "victim")


def handled_application(facts: PersonFacts) -> Route | None:
    """S1: an application already submitted or challenged: no new route, keep in touch."""
    for application in facts.applications:
        if application.status in HANDLED_STATUSES:
            return Route(KEEP_IN_TOUCH, f"application {application.route} {application.status}")
    return None


def children(facts: PersonFacts, on: date) -> list[Route]:
    """S2: dependants who are children: family or private life, named first."""
    if any(_age_on(born, on) < ADULT_AGE for born in facts.dependants_born_on):
        return [Route(FAMILY_OR_PRIVATE_LIFE, "dependants who are children")]
    return []


def domestic_abuse(facts: PersonFacts) -> list[Route]:
    """S3: a victim of domestic abuse, coercive control, honour-based abuse or forced marriage:
    MVDAC and settlement as a victim of domestic abuse."""
    crimes = sorted(_crimes_as_victim(facts) & DOMESTIC_ABUSE_CRIMES)
    if not crimes:
        return []
    because = f"crime type {crimes[0]}"
    return [Route(MVDAC, because), Route(DOMESTIC_ABUSE_SETTLEMENT, because)]


def exploitation(facts: PersonFacts) -> list[Route]:
    """S4: a victim of modern slavery, trafficking or labour exploitation: an NRM referral
    (unless one is on record), and VTS after a positive conclusive grounds decision."""
    crimes = sorted(_crimes_as_victim(facts) & EXPLOITATION_CRIMES)
    if not crimes:
        return []
    because = f"crime type {crimes[0]}"
    referred = any(application.route == NRM for application in facts.applications)
    routes = [] if referred else [Route(NRM, because)]
    return [*routes, Route(VTS, because)]


def eea_national(facts: PersonFacts) -> list[Route]:
    """S5: a national of an EEA state or Switzerland: a late EU Settlement Scheme application."""
    if facts.nationality.upper() in EEA_OR_SWISS:
        return [Route(LATE_EUSS, f"nationality {facts.nationality.upper()}")]
    return []


def always(facts: PersonFacts) -> list[Route]:
    """S6: always, with the condition in words (the service records no fear of return or length
    of residence): asylum or humanitarian protection; family or private life."""
    return [Route(ASYLUM, "always"), Route(FAMILY_OR_PRIVATE_LIFE, "always")]


def signpost(facts: PersonFacts, on: date) -> Signposting:
    """The routes worth raising for this person on `on`, each once, in DOMAIN.md's order (a
    route named for children comes first), with the rights and the next step."""
    handled = handled_application(facts)
    if handled is not None:
        return Signposting(routes=(handled,))
    found: Iterable[Route] = [
        *children(facts, on),
        *domestic_abuse(facts),
        *exploitation(facts),
        *eea_national(facts),
        *always(facts),
    ]
    routes: dict[str, Route] = {}
    for route in found:
        routes.setdefault(route.code, route)
    return Signposting(routes=tuple(routes.values()))
