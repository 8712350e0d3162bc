"""Table-driven tests of the signposting rules S1–S6 (DOMAIN.md "Signposting"): which routes are
worth raising for which facts, in which order, with the rights and the next step."""

# ruff: noqa: E501

from __future__ import annotations

from datetime import date

import pytest

from protocol.rules.signposting import (
    RIGHTS,
    ApplicationSignpostFacts,
    CaseSignpostFacts,
    PersonFacts,
    signpost,
)

ON = date(2026, 11, 24)
ALWAYS = ("asylum", "family_or_private_life")


def person(*cases, nationality="SEN", dependants=(), applications=()):
    return PersonFacts(
        cases=tuple(CaseSignpostFacts(crime_type=c, role=r) for c, r in cases),
        nationality=nationality,
        dependants_born_on=tuple(dependants),
        applications=tuple(ApplicationSignpostFacts(route=a, status=s) for a, s in applications),
    )


# (facts, the routes in order)
TABLE = [
    # S6 always: asylum, then family or private life
    (person(("robbery_or_theft", "victim")), ALWAYS),
    (person(), ALWAYS),
    # S3 domestic abuse and its kin, as the victim
    (person(("domestic_abuse", "victim")), ("mvdac", "victim_of_domestic_abuse", *ALWAYS)),
    (
        person(("controlling_or_coercive_behaviour", "victim")),
        ("mvdac", "victim_of_domestic_abuse", *ALWAYS),
    ),
    (person(("honour_based_abuse", "victim")), ("mvdac", "victim_of_domestic_abuse", *ALWAYS)),
    (person(("forced_marriage", "victim")), ("mvdac", "victim_of_domestic_abuse", *ALWAYS)),
    (person(("stalking_or_harassment", "victim")), ALWAYS),
    # ...never for a witness to it
    (person(("domestic_abuse", "witness")), ALWAYS),
    # S4 exploitation: NRM then VTS; no NRM again once a referral is on record
    (person(("modern_slavery_or_trafficking", "victim")), ("nrm", "vts", *ALWAYS)),
    (person(("labour_exploitation", "victim")), ("nrm", "vts", *ALWAYS)),
    (person(("labour_exploitation", "witness")), ALWAYS),
    (
        person(("labour_exploitation", "victim"), applications=[("nrm", "rg_positive")]),
        ("vts", *ALWAYS),
    ),
    # S5 EEA or Swiss nationals: a late EUSS application; not for others
    (person(nationality="POL"), ("euss_late", *ALWAYS)),
    (person(nationality="ROU"), ("euss_late", *ALWAYS)),
    (person(nationality="CHE"), ("euss_late", *ALWAYS)),
    (person(nationality="NOR"), ("euss_late", *ALWAYS)),
    (person(nationality="ALB"), ALWAYS),
    (person(nationality="GBR"), ALWAYS),
    # S2 children: family or private life named first (once)
    (person(dependants=[date(2015, 1, 1)]), ("family_or_private_life", "asylum")),
    (person(dependants=[date(2008, 11, 25)]), ("family_or_private_life", "asylum")),  # 17 on ON
    (person(dependants=[date(2008, 11, 24)]), ALWAYS),  # 18 on ON: an adult
    # Several facts at once, in DOMAIN.md's order
    (
        person(
            ("domestic_abuse", "victim"),
            ("labour_exploitation", "victim"),
            nationality="ROU",
            dependants=[date(2020, 5, 1)],
        ),
        (
            "family_or_private_life",
            "mvdac",
            "victim_of_domestic_abuse",
            "nrm",
            "vts",
            "euss_late",
            "asylum",
        ),
    ),
    # S1 an application being decided or challenged: no new route
    (
        person(("domestic_abuse", "victim"), applications=[("mvdac", "submitted")]),
        ("keep_in_touch_with_adviser",),
    ),
    (
        person(nationality="POL", applications=[("asylum", "challenge_lodged")]),
        ("keep_in_touch_with_adviser",),
    ),
    # ...but a decided one does not stop new routes
    (
        person(("domestic_abuse", "victim"), applications=[("asylum", "refused")]),
        ("mvdac", "victim_of_domestic_abuse", *ALWAYS),
    ),
    (person(applications=[("euss", "granted")]), ALWAYS),
]


@pytest.mark.parametrize(("facts", "routes"), TABLE)
def test_the_routes_worth_raising(facts, routes):
    assert tuple(route.code for route in signpost(facts, ON).routes) == routes


@pytest.mark.parametrize(("facts", "routes"), TABLE)
def test_every_answer_names_the_rights_and_ends_with_a_regulated_adviser(facts, routes):
    answer = signpost(facts, ON)
    assert answer.rights == RIGHTS == (1, 4, 6, 12)
    assert answer.next_step == "regulated_adviser"


def test_each_route_says_the_fact_that_raised_it():
    answer = signpost(person(("forced_marriage", "victim"), nationality="pol"), ON)
    assert {route.code: route.because for route in answer.routes} == {
        "mvdac": "crime type forced_marriage",
        "victim_of_domestic_abuse": "crime type forced_marriage",
        "euss_late": "nationality POL",
        "asylum": "always",
        "family_or_private_life": "always",
    }


def test_the_answer_is_the_same_for_the_same_facts():
    facts = person(("labour_exploitation", "victim"), nationality="ROU")
    assert signpost(facts, ON) == signpost(facts, ON)
