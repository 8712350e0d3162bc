"""Table-driven tests of each rule H0–H14, at the boundaries PROTOCOL.md sets.

Every row evaluates one set of facts on ON (2026-11-24) and checks the decision fields it
names. Dates are written as offsets from ON: `d(-90)` is 90 days before it.
"""

# The tables keep one row to a line (`fmt: skip`), so they read as tables.
# ruff: noqa: E501

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from protocol.rules import (
    DEFAULT_POLICY,
    RULES,
    RULESET_VERSION,
    STATUS_RULES,
    ApplicationFacts,
    CaseFacts,
    Decision,
    EndConfirmationFacts,
    Facts,
    OverrideFacts,
    Policy,
    SupportFacts,
    evaluate,
    values,
)

ON = date(2026, 11, 24)


def d(offset: int) -> date:
    return ON + timedelta(days=offset)


REFERRED = d(-120)
STARTED = d(-200)
APPROVED = d(-10)


def case(
    investigation: str | None = "reported",
    prosecution: str | None = "none",
    *,
    role: str | None = "victim",
    referred_on: date | None = REFERRED,
    closed_on: date | None = None,
    court: str | None = None,
    concluded_on: date | None = None,
    label: str = "",
) -> CaseFacts:
    return CaseFacts(
        role=role,
        referred_on=referred_on,
        investigation_status=investigation,
        closed_on=closed_on,
        outcome_code=None,
        prosecution_status=prosecution,
        court=court,
        concluded_on=concluded_on,
        label=label,
    )


# A counted case whose every window closed long ago: it keeps a hold covered, gives no ground.
OLD = case("no_further_action", closed_on=d(-1000), referred_on=d(-1100))


def support(
    status: str | None = "engaged",
    *,
    started_on: date | None = STARTED,
    last_contact_on: date | None = None,
    closed_on: date | None = None,
) -> SupportFacts:
    return SupportFacts(status, started_on, last_contact_on, closed_on)


def application(
    status: str | None = "submitted",
    route: str | None = "mvdac",
    *,
    decided_on: date | None = None,
    leave_expires_on: date | None = None,
) -> ApplicationFacts:
    return ApplicationFacts(route, status, d(-60), decided_on, leave_expires_on)


def override(
    status: str = "approved", approved_on: date | None = APPROVED, expires_on: date | None = None
) -> OverrideFacts:
    return OverrideFacts(status, approved_on, expires_on)


def confirmed(on: date | None, reason: str = "left_the_uk") -> EndConfirmationFacts:
    return EndConfirmationFacts(on, reason)


def facts(
    *cases: CaseFacts,
    support: tuple[SupportFacts, ...] = (),
    applications: tuple[ApplicationFacts, ...] = (),
    override: OverrideFacts | None = None,
    end: EndConfirmationFacts | None = None,
) -> Facts:
    return Facts(cases, support, applications, override, end)


def decide(the_facts: Facts, on: date = ON, **policy: Any) -> Decision:
    return evaluate(the_facts, on, Policy.from_mapping(policy) if policy else DEFAULT_POLICY)


def check(decision: Decision, expected: dict[str, Any]) -> None:
    """Compare the named fields; grounds and flags as lists, and the explanation rule."""
    for key, value in expected.items():
        actual = getattr(decision, key)
        if key in ("grounds", "flags"):
            actual = list(actual)
        assert actual == value, f"{key}: {actual!r} != {value!r}\n" + "\n".join(
            decision.explanation
        )
    assert decision.in_force == (decision.status in values.IN_FORCE_STATUSES)
    lines = decision.explanation
    rule_ids = {line.split(":", 1)[0] for line in lines}
    assert values.STATUS_RULES[decision.status] in rule_ids
    for ground in decision.grounds:
        assert values.GROUND_RULES[ground] in rule_ids
    if "data_incomplete" in decision.flags:
        assert "H0" in rule_ids
    else:
        assert "H0" not in rule_ids
    assert all(re.fullmatch(r"H\d{1,2}", rule_id) for rule_id in rule_ids)
    assert list(decision.grounds) == sorted(decision.grounds)
    assert list(decision.flags) == sorted(decision.flags)


def active(*grounds: str, until: date | None = None, flags: tuple[str, ...] = ()) -> dict:
    return {
        "status": "active",
        "grounds": sorted(grounds),
        "protected_until": until,
        "flags": sorted(flags),
    }


def ending(until: date, *grounds: str, flags: tuple[str, ...] = ()) -> dict:
    return {
        "status": "ending",
        "grounds": sorted(grounds),
        "protected_until": until,
        "flags": sorted(flags),
    }


def review_due(*grounds: str, flags: tuple[str, ...] = ()) -> dict:
    return {
        "status": "review_due",
        "grounds": sorted(grounds),
        "protected_until": None,
        "flags": sorted(flags),
    }


INCOMPLETE = ("data_incomplete",)


def row(the_facts: Facts, expected: object, id: str, **policy: Any) -> Any:
    return pytest.param(the_facts, policy, expected, id=id)


# --- H0 -----------------------------------------------------------------------------------------

H0_ROWS = [
    row(facts(case(None)), active("investigation_ongoing", flags=INCOMPLETE), "investigation status missing"),
    row(facts(case("lost")), active("investigation_ongoing", flags=INCOMPLETE), "investigation status unknown"),
    row(facts(case("")), active("investigation_ongoing", flags=INCOMPLETE), "investigation status empty string"),
    row(facts(case("charged", "lost")), active("prosecution_ongoing", flags=INCOMPLETE), "prosecution status unknown"),
    row(facts(case("charged", "none")), active("prosecution_ongoing", flags=INCOMPLETE), "charged, prosecution none"),
    row(facts(case("charged", None)), active("prosecution_ongoing", flags=INCOMPLETE), "charged, prosecution missing"),
    row(facts(case("charged", "acquitted")), active("prosecution_ongoing", flags=INCOMPLETE), "acquitted without concluded_on"),
    row(facts(case("no_further_action")), active("review_window", flags=INCOMPLETE), "nfa without closed_on"),
    row(facts(case("charged", "no_charge")), active("review_window", flags=INCOMPLETE), "no_charge without concluded_on"),
    row(facts(case("charged", "discontinued")), active("review_window", flags=INCOMPLETE), "discontinued without concluded_on"),
    row(facts(case("charged", "sentenced", court="crown")), active("appeal_window", flags=INCOMPLETE), "sentenced without concluded_on"),
    row(facts(case("charged", "sentenced", concluded_on=d(-400))), active("appeal_window", flags=INCOMPLETE), "sentenced, court missing"),
    row(facts(case("charged", "sentenced", court="youth", concluded_on=d(-400))), active("appeal_window", flags=INCOMPLETE), "sentenced, court unknown"),
    row(facts(OLD, support=(support("lost"),)), active("regularisation_support", flags=INCOMPLETE), "support status unknown"),
    row(facts(OLD, support=(support(None),)), active("regularisation_support", flags=INCOMPLETE), "support status missing"),
    row(facts(OLD, support=(support("engaged", started_on=None),)), active("regularisation_support", flags=INCOMPLETE), "open support without any date"),
    row(facts(OLD, support=(support("closed"),)), active("regularisation_support", flags=INCOMPLETE), "closed support without closed_on"),
    row(facts(OLD, support=(support("disengaged"),)), active("regularisation_support", flags=INCOMPLETE), "disengaged support without closed_on"),
    row(facts(OLD, applications=(application("lost"),)), active("application_pending", flags=INCOMPLETE), "application status unknown"),
    row(facts(OLD, applications=(application("rg_positive"),)), active("application_pending", flags=INCOMPLETE), "nrm status on another route is unknown"),
    row(facts(OLD, applications=(application(None),)), active("application_pending", flags=INCOMPLETE), "application status missing"),
    *[
        row(facts(OLD, applications=(application(status),)), active("application_pending", flags=INCOMPLETE), f"{status} without decided_on")
        for status in ("refused", "challenge_dismissed", "withdrawn", "invalid")
    ],
    row(facts(OLD, applications=(application("granted", None),)), active("application_pending", flags=INCOMPLETE), "route missing: not regularised"),
    row(facts(OLD, applications=(application("granted", "lottery"),)), active("application_pending", flags=INCOMPLETE), "route unknown: not regularised"),
    row(facts(OLD, applications=(application("lost", "nrm"),)), active("nrm_pending", flags=INCOMPLETE), "nrm status unknown"),
    row(facts(OLD, applications=(application("granted", "nrm"),)), active("nrm_pending", flags=INCOMPLETE), "granted on nrm is unknown"),
    *[
        row(facts(OLD, applications=(application(status, "nrm"),)), active("nrm_pending", flags=INCOMPLETE), f"nrm {status} without decided_on")
        for status in ("rg_negative", "cg_negative", "cg_positive")
    ],
    row(facts(case(role=None)), active("investigation_ongoing", flags=INCOMPLETE), "role missing: counted"),
    row(facts(case(role="bystander")), active("investigation_ongoing", flags=INCOMPLETE), "role unknown: counted"),
    row(facts(case(role="bystander")), active("investigation_ongoing", flags=INCOMPLETE), "role unknown: counted without witnesses", cover_witnesses=False),
    row(facts(case(), override=override(approved_on=None)), active("investigation_ongoing", flags=INCOMPLETE), "approved override without approved_on"),
    # Not H0: these are read as given.
    row(facts(case(), override=override("approved", expires_on=None)), {"status": "overridden", "flags": []}, "override without expires_on"),
    row(facts(OLD, end=confirmed(None)), review_due(), "end confirmation without confirmed_on is ignored"),
    row(facts(case("no_further_action", closed_on=d(5))), active("review_window", until=d(5 + 90 + 28)), "window starting after on holds"),
    row(facts(OLD, support=(support(started_on=d(-10), last_contact_on=d(-200)),)), ending(d(-20 + 28)), "last_contact before started_on: last_contact counts"),
    # Uncounted cases are not read, so their missing facts do not flag.
    row(facts(case(), case(None, role="witness")), active("investigation_ongoing"), "uncounted witness not read", cover_witnesses=False),
]  # fmt: skip


# --- H1–H4 --------------------------------------------------------------------------------------

JUSTICE_ROWS = [
    *[
        row(facts(case(status)), active("investigation_ongoing"), f"H1 {status}")
        for status in (
            "reported",
            "under_investigation",
            "suspect_bailed",
            "released_under_investigation",
            "referred_to_cps",
            "reopened",
        )
    ],
    *[
        row(facts(case("charged", status, court="crown")), active("prosecution_ongoing"), f"H2 {status}")
        for status in ("charged", "awaiting_trial", "trial", "convicted_awaiting_sentence", "appeal_lodged")
    ],
    row(facts(case("charged", "acquitted", concluded_on=d(-28))), ending(d(0)), "H2 acquitted: last day concluded_on, grace to today"),
    row(facts(case("charged", "acquitted", concluded_on=d(-29))), review_due(), "H2 acquitted 29 days ago: review due"),
    row(facts(case("no_further_action", closed_on=d(-90))), active("review_window", until=d(28)), "H3 nfa: last day of window"),
    row(facts(case("no_further_action", closed_on=d(-91))), ending(d(27)), "H3 nfa: day after window"),
    row(facts(case("no_further_action", closed_on=d(0))), active("review_window", until=d(118)), "H3 nfa today"),
    row(facts(case("charged", "no_charge", concluded_on=d(-90))), active("review_window", until=d(28)), "H3 no_charge last day"),
    row(facts(case("charged", "discontinued", concluded_on=d(-91))), ending(d(27)), "H3 discontinued day after"),
    row(facts(case("no_further_action", closed_on=d(-10))), active("review_window", until=d(28)), "H3 vrr_window_days=10", vrr_window_days=10),
    row(facts(case("no_further_action", closed_on=d(-11))), ending(d(27)), "H3 vrr_window_days=10 day after", vrr_window_days=10),
    row(facts(case("charged", "sentenced", court="crown", concluded_on=d(-28))), active("appeal_window", until=d(28)), "H4 crown last day"),
    row(facts(case("charged", "sentenced", court="crown", concluded_on=d(-29))), ending(d(27)), "H4 crown day after"),
    row(facts(case("charged", "sentenced", court="magistrates", concluded_on=d(-21))), active("appeal_window", until=d(28)), "H4 magistrates last day"),
    row(facts(case("charged", "sentenced", court="magistrates", concluded_on=d(-22))), ending(d(27)), "H4 magistrates day after"),
    row(facts(case("charged", "sentenced", court="crown", concluded_on=d(-5))), active("appeal_window", until=d(28)), "H4 custom crown window", appeal_window_days={"crown": 5, "magistrates": 3}),
    row(facts(case("charged", "sentenced", court="magistrates", concluded_on=d(-4))), ending(d(27)), "H4 custom magistrates window", appeal_window_days={"crown": 5, "magistrates": 3}),
    # An investigation that is charged is not itself a ground: the prosecution speaks.
    row(facts(case("charged", "sentenced", court="crown", concluded_on=d(-100))), review_due(), "charged investigation gives no ground"),
    # Several facts: the latest last day wins (limbs=any).
    row(facts(case("no_further_action", closed_on=d(-80)), case("charged", "acquitted", concluded_on=d(-5))), active("review_window", until=d(38)), "latest window wins"),
    row(facts(case("no_further_action", closed_on=d(-95)), case("charged", "acquitted", concluded_on=d(-3))), ending(d(25)), "acquittal later than window"),
]  # fmt: skip


# --- H5–H7 --------------------------------------------------------------------------------------

REGULARISATION_ROWS = [
    *[
        row(facts(OLD, support=(support(status, started_on=d(-5)),)), active("regularisation_support"), f"H5 {status}")
        for status in ("referred", "engaged", "application_in_preparation")
    ],
    row(facts(OLD, support=(support(last_contact_on=d(-180)),)), active("regularisation_support", flags=("support_contact_overdue",)), "H5 last day before stale"),
    row(facts(OLD, support=(support(last_contact_on=d(-181)),)), ending(d(27)), "H5 stale: day after"),
    row(facts(OLD, support=(support(started_on=d(-181)),)), ending(d(27)), "H5 no contact: measured from started_on"),
    row(facts(OLD, support=(support(last_contact_on=d(-90)),)), active("regularisation_support"), "H5 contact 90 days ago: not overdue"),
    row(facts(OLD, support=(support(last_contact_on=d(-91)),)), active("regularisation_support", flags=("support_contact_overdue",)), "H5 contact 91 days ago: overdue"),
    row(facts(OLD, support=(support(last_contact_on=d(-11)),)), active("regularisation_support", flags=("support_contact_overdue",)), "H5 support_review_days=10", support_review_days=10),
    row(facts(OLD, support=(support(last_contact_on=d(-21)),)), ending(d(27)), "H5 support_stale_days=20", support_stale_days=20),
    row(facts(OLD, support=(support("closed", closed_on=d(-28)),)), ending(d(0)), "H5 closed: last day closed_on"),
    row(facts(OLD, support=(support("disengaged", closed_on=d(-29)),)), review_due(), "H5 disengaged long ago"),
    *[
        row(facts(OLD, applications=(application(status),)), active("application_pending"), f"H6 {status}")
        for status in ("submitted", "challenge_lodged")
    ],
    row(facts(OLD, applications=(application("refused", decided_on=d(-14)),)), active("application_pending", until=d(28)), "H6 refused: last day of challenge window"),
    row(facts(OLD, applications=(application("refused", decided_on=d(-15)),)), ending(d(27)), "H6 refused: day after"),
    row(facts(OLD, applications=(application("refused", decided_on=d(-2)),)), active("application_pending", until=d(28)), "H6 challenge_window_days=2", challenge_window_days=2),
    *[
        row(facts(OLD, applications=(application(status, decided_on=d(-1)),)), ending(d(27)), f"H6 {status}: last day decided_on")
        for status in ("challenge_dismissed", "withdrawn", "invalid")
    ],
    *[
        row(facts(OLD, applications=(application(status, "nrm"),)), active("nrm_pending"), f"H7 {status}")
        for status in ("referred", "rg_positive")
    ],
    row(facts(OLD, applications=(application("rg_negative", "nrm", decided_on=d(-30)),)), active("nrm_pending", until=d(28)), "H7 rg_negative last day"),
    row(facts(OLD, applications=(application("rg_negative", "nrm", decided_on=d(-31)),)), ending(d(27)), "H7 rg_negative day after"),
    row(facts(OLD, applications=(application("cg_negative", "nrm", decided_on=d(-30)),)), active("nrm_pending", until=d(28)), "H7 cg_negative last day"),
    row(facts(OLD, applications=(application("cg_negative", "nrm", decided_on=d(-31)),)), ending(d(27)), "H7 cg_negative day after"),
    row(facts(OLD, applications=(application("cg_positive", "nrm", decided_on=d(-45)),)), active("nrm_pending", until=d(28)), "H7 cg_positive last day"),
    row(facts(OLD, applications=(application("cg_positive", "nrm", decided_on=d(-46)),)), ending(d(27)), "H7 cg_positive day after"),
    row(facts(OLD, applications=(application("cg_positive", "nrm", decided_on=d(-7)),)), active("nrm_pending", until=d(28)), "H7 nrm_move_on_days=7", nrm_move_on_days=7),
    row(facts(OLD, applications=(application("rg_negative", "nrm", decided_on=d(-4)),)), ending(d(27)), "H7 nrm_reconsideration_days=3", nrm_reconsideration_days=3),
]  # fmt: skip


# --- H8–H14 ------------------------------------------------------------------------------------

NOT_COVERED: dict[str, Any] = {
    "status": "not_covered",
    "grounds": [],
    "protected_until": None,
    "flags": [],
}
OVERRIDDEN: dict[str, Any] = {"status": "overridden", "in_force": False, "protected_until": None}

STATUS_ROWS = [
    # H8
    row(facts(), NOT_COVERED, "H8 no case"),
    row(facts(support=(support(),), applications=(application(),)), NOT_COVERED, "H8 support alone"),
    row(facts(case(role="witness")), NOT_COVERED, "H8 witness not covered", cover_witnesses=False),
    row(facts(case(role="witness"), support=(support("lost"),)), NOT_COVERED, "H8 flags empty", cover_witnesses=False),
    row(facts(case(role="witness")), active("investigation_ongoing"), "H8 witness covered by default"),
    row(facts(case(role="witness"), case(role="victim")), active("investigation_ongoing"), "H8 a victim case counts", cover_witnesses=False),
    row(facts(case(role="witness"), override=override()), NOT_COVERED, "H8 before H9", cover_witnesses=False),
    # H9
    row(facts(case(), override=override(approved_on=d(0))), {**OVERRIDDEN, "grounds": ["investigation_ongoing"]}, "H9 approved today"),
    row(facts(case(), override=override(approved_on=d(1))), active("investigation_ongoing"), "H9 approved tomorrow"),
    row(facts(case(), override=override(approved_on=d(-90))), {**OVERRIDDEN, "flags": ["override_expiring"]}, "H9 last day by override_max_days"),
    row(facts(case(), override=override(approved_on=d(-91))), active("investigation_ongoing"), "H9 lapsed by override_max_days"),
    row(facts(case(), override=override(approved_on=d(-10), expires_on=d(0))), {**OVERRIDDEN, "flags": ["override_expiring"]}, "H9 last day by expires_on"),
    row(facts(case(), override=override(approved_on=d(-10), expires_on=d(-1))), active("investigation_ongoing"), "H9 lapsed by expires_on"),
    row(facts(case(), override=override(approved_on=d(-10), expires_on=d(200))), {**OVERRIDDEN, "flags": []}, "H9 expires_on beyond max: max wins"),
    row(facts(case(), override=override(approved_on=d(-80))), {**OVERRIDDEN, "flags": ["override_expiring"]}, "H9 expiring: 10 days left"),
    row(facts(case(), override=override(approved_on=d(-10), expires_on=d(14))), {**OVERRIDDEN, "flags": ["override_expiring"]}, "H9 expiring: 14 days left"),
    row(facts(case(), override=override(approved_on=d(-10), expires_on=d(15))), {**OVERRIDDEN, "flags": []}, "H9 not expiring: 15 days left"),
    row(facts(case(), override=override(approved_on=d(-11))), {**OVERRIDDEN, "flags": ["override_expiring"]}, "H9 override_max_days=20", override_max_days=20),
    row(facts(case(), override=override(approved_on=d(-21))), active("investigation_ongoing"), "H9 override_max_days=20 lapsed", override_max_days=20),
    *[
        row(facts(case(), override=override(status)), active("investigation_ongoing"), f"H9 {status} override")
        for status in ("requested", "rejected", "revoked", "approvedish")
    ],
    row(facts(case(), applications=(application("granted"),), override=override()), {**OVERRIDDEN}, "H9 before H10"),
    row(facts(case(), support=(support(None),), override=override()), {**OVERRIDDEN, "flags": ["data_incomplete"]}, "H9 keeps data_incomplete"),
    # H10
    row(facts(case(), applications=(application("granted"),)), {"status": "regularised", "in_force": False, "grounds": ["investigation_ongoing"], "protected_until": None}, "H10 settled"),
    row(facts(case(), applications=(application("granted", leave_expires_on=d(0)),)), {"status": "regularised", "protected_until": d(0)}, "H10 leave expires today"),
    row(facts(OLD, applications=(application("granted", leave_expires_on=d(-1)),)), ending(d(27)), "H10 leave expired yesterday: grace"),
    row(facts(case(), applications=(application("granted", leave_expires_on=d(-1)),)), active("investigation_ongoing"), "H10 leave expired, case ongoing"),
    row(facts(case(), applications=(application("granted", leave_expires_on=d(30)), application("granted", "euss", leave_expires_on=d(60)))), {"status": "regularised", "protected_until": d(60)}, "H10 latest leave"),
    row(facts(case(), applications=(application("granted", leave_expires_on=d(30)), application("granted", "asylum"))), {"status": "regularised", "protected_until": None}, "H10 any settled"),
    row(facts(case(), applications=(application("granted", leave_expires_on=d(-5)), application("granted", "vts", leave_expires_on=d(9)))), {"status": "regularised", "protected_until": d(9)}, "H10 expired grant ignored"),
    row(facts(OLD, applications=(application("cg_positive", "nrm", decided_on=d(-1)),)), active("nrm_pending", until=d(44 + 28)), "H10 never for nrm"),
    # H11 with limbs=all
    row(facts(case(), support=(support(last_contact_on=d(-1)),)), active("investigation_ongoing", "regularisation_support"), "H11 all: both limbs", limbs="all"),
    row(facts(case("no_further_action", closed_on=d(-10)), applications=(application("refused", decided_on=d(-1)),)), active("review_window", "application_pending", until=d(13 + 28)), "H11 all: earlier last day", limbs="all"),
    row(facts(case(referred_on=d(-20))), ending(d(8), "investigation_ongoing"), "H11 all: justice only, grace from referral", limbs="all"),
    row(facts(case(referred_on=d(-29))), review_due("investigation_ongoing"), "H11 all: justice only, review due", limbs="all"),
    row(facts(case(referred_on=d(-29)), case(referred_on=d(-5))), review_due("investigation_ongoing"), "H11 all: earliest referral", limbs="all"),
    row(facts(case(referred_on=None)), review_due("investigation_ongoing"), "H11 all: no referral date, no lapse date", limbs="all"),
    row(facts(OLD, support=(support(last_contact_on=d(-1)),)), review_due("regularisation_support"), "H11 all: support only, the old window's last day", limbs="all"),
    row(facts(case(), support=(support("closed", closed_on=d(-3)),)), ending(d(25), "investigation_ongoing"), "H11 all: support closed", limbs="all"),
    # H12, H13 and H14
    row(facts(case("no_further_action", closed_on=d(-118))), ending(d(0)), "H12 last day of grace"),
    row(facts(case("no_further_action", closed_on=d(-119))), review_due(), "H13 day after grace"),
    row(facts(case("no_further_action", closed_on=d(-91))), review_due(), "H13 grace_days=0", grace_days=0),
    row(facts(case("no_further_action", closed_on=d(-90))), active("review_window", until=d(0)), "H11 grace_days=0", grace_days=0),
    row(facts(case("no_further_action", closed_on=d(-100)), end=confirmed(d(-1))), ending(d(18)), "H12 confirmation during grace does not end"),
    row(facts(case("no_further_action", closed_on=d(-200)), end=confirmed(d(-82))), review_due(), "H14 confirmed on the last day of grace: not after it"),
    row(facts(case("no_further_action", closed_on=d(-200)), end=confirmed(d(-81))), {"status": "ended", "in_force": False, "grounds": [], "protected_until": None, "flags": []}, "H14 confirmed the day after grace"),
    row(facts(case("no_further_action", closed_on=d(-200)), end=confirmed(d(0))), {"status": "ended"}, "H14 confirmed today"),
    row(facts(case("no_further_action", closed_on=d(-200)), end=confirmed(d(1))), review_due(), "H14 confirmed tomorrow: not yet"),
    row(facts(case("no_further_action", closed_on=d(-200)), case("reported"), end=confirmed(d(-10))), active("investigation_ongoing"), "H14 new ground: active again"),
    row(facts(case("no_further_action", closed_on=d(-200)), case("no_further_action", closed_on=d(-50)), end=confirmed(d(-60))), active("review_window", until=d(68)), "H14 new window: active again"),
    row(facts(case("no_further_action", closed_on=d(-200)), case("no_further_action", closed_on=d(-150)), end=confirmed(d(-60))), review_due(), "H14 new grace lapsed: old confirmation no longer counts"),
    row(facts(case("no_further_action", closed_on=d(-200)), case("charged", "acquitted", concluded_on=d(-20)), end=confirmed(d(-60))), ending(d(8)), "H14 new grace period: ending again"),
    row(facts(case(referred_on=d(-100)), support=(support("closed", closed_on=d(-90)),), end=confirmed(d(-1))), {"status": "ended", "grounds": ["investigation_ongoing"]}, "H14 limbs=all can end with a justice ground", limbs="all"),
    row(facts(case(referred_on=None), end=confirmed(d(-1))), review_due("investigation_ongoing"), "H14 no lapse date: never ended", limbs="all"),
]  # fmt: skip


@pytest.mark.parametrize(("the_facts", "policy", "expected"), H0_ROWS)
def test_h0_fail_towards_protection(the_facts: Facts, policy: dict, expected: dict) -> None:
    check(decide(the_facts, **policy), expected)


@pytest.mark.parametrize(("the_facts", "policy", "expected"), JUSTICE_ROWS)
def test_h1_to_h4_criminal_justice_limb(the_facts: Facts, policy: dict, expected: dict) -> None:
    check(decide(the_facts, **policy), expected)


@pytest.mark.parametrize(("the_facts", "policy", "expected"), REGULARISATION_ROWS)
def test_h5_to_h7_regularisation_limb(the_facts: Facts, policy: dict, expected: dict) -> None:
    check(decide(the_facts, **policy), expected)


@pytest.mark.parametrize(("the_facts", "policy", "expected"), STATUS_ROWS)
def test_h8_to_h14_status(the_facts: Facts, policy: dict, expected: dict) -> None:
    check(decide(the_facts, **policy), expected)


# --- reevaluate_on -------------------------------------------------------------------------------

REEVALUATE_ROWS = [
    row(facts(case()), None, "open-ended ground: nothing changes"),
    row(facts(), None, "not covered: nothing changes"),
    row(facts(case(role="witness")), None, "uncounted: nothing changes", cover_witnesses=False),
    row(facts(case("no_further_action", closed_on=d(-90))), d(1), "window closes tomorrow"),
    row(facts(case("no_further_action", closed_on=d(-10))), d(81), "window closes in 80 days"),
    row(facts(case("no_further_action", closed_on=d(-91))), d(28), "grace ends"),
    row(facts(case("no_further_action", closed_on=d(-119))), None, "review due: nothing changes"),
    row(facts(case("no_further_action", closed_on=d(-119)), end=confirmed(d(3))), d(3), "confirmation dated ahead"),
    row(facts(case("no_further_action", closed_on=d(-200)), end=confirmed(d(-1))), None, "ended: nothing changes"),
    row(facts(case(), override=override(approved_on=d(-10))), d(80 - 14), "override_expiring starts"),
    row(facts(case(), override=override(approved_on=d(-80))), d(11), "override lapses"),
    row(facts(case(), override=override(approved_on=d(5))), d(5), "override approved ahead"),
    row(facts(OLD, support=(support(last_contact_on=d(-10)),)), d(81), "support contact becomes overdue"),
    row(facts(OLD, support=(support(last_contact_on=d(-100)),)), d(81), "support goes stale"),
    row(facts(case(), applications=(application("granted", leave_expires_on=d(30)),)), d(31), "leave expires"),
    row(facts(case(), applications=(application("granted"),)), None, "settled: nothing changes"),
    row(facts(case("no_further_action", closed_on=d(4))), d(4), "future-dated fact date"),
    row(facts(case(referred_on=d(-20))), d(9), "limbs=all grace from referral", limbs="all"),
]  # fmt: skip


@pytest.mark.parametrize(("the_facts", "policy", "expected"), REEVALUATE_ROWS)
def test_reevaluate_on(the_facts: Facts, policy: dict, expected: date | None) -> None:
    decision = decide(the_facts, **policy)
    assert decision.reevaluate_on == expected
    if expected is not None:
        # Nothing changes the day before; something may change on the day.
        before = decide(the_facts, expected - timedelta(days=1), **policy)
        assert before.outcome_key() == decision.outcome_key()


def test_reevaluate_on_is_a_real_change_for_windows_and_grace() -> None:
    the_facts = facts(case("no_further_action", closed_on=d(-90)))
    today = decide(the_facts)
    tomorrow = decide(the_facts, today.reevaluate_on)  # type: ignore[arg-type]
    assert (today.status, tomorrow.status) == ("active", "ending")
    after_grace = decide(the_facts, tomorrow.reevaluate_on)  # type: ignore[arg-type]
    assert after_grace.status == "review_due"
    assert after_grace.reevaluate_on is None


# --- The decision itself ------------------------------------------------------------------------


def test_decision_records_ruleset_and_policy() -> None:
    decision = decide(facts(case()), grace_days=10)
    assert decision.ruleset == RULESET_VERSION
    assert decision.policy["grace_days"] == 10
    as_dict = decision.as_dict()
    assert as_dict["ruleset"] == {
        "version": RULESET_VERSION,
        "policy": Policy(grace_days=10).as_dict(),
    }
    assert set(as_dict) == {
        "status",
        "in_force",
        "grounds",
        "protected_until",
        "flags",
        "explanation",
        "ruleset",
    }


def test_as_dict_dates_are_iso_strings() -> None:
    decision = decide(facts(case("no_further_action", closed_on=d(-10))))
    assert decision.as_dict()["protected_until"] == d(108).isoformat()
    assert decision.as_dict()["grounds"] == ["review_window"]


def test_outcome_key_ignores_explanation() -> None:
    first = decide(facts(case(label="C-1")))
    second = decide(facts(case(label="C-2")))
    assert first.explanation != second.explanation
    assert first.outcome_key() == second.outcome_key()
    assert first.outcome_key() == ("active", True, ("investigation_ongoing",), None, ())


def test_decision_is_hashable_and_equal_for_equal_inputs() -> None:
    the_facts = facts(case(), support=(support(last_contact_on=d(-100)),))
    assert decide(the_facts) == decide(the_facts)
    assert hash(decide(the_facts)) == hash(decide(the_facts))


def test_labels_name_the_facts_in_the_explanation() -> None:
    decision = decide(facts(case(label="C-ABC123"), case("awaiting_trial")))
    assert "H1: investigation ongoing on case C-ABC123 (reported)" in decision.explanation
    assert any(line.startswith("H0: case 2 investigation") for line in decision.explanation)


def test_explanation_has_one_line_per_ground_fact() -> None:
    decision = decide(
        facts(
            case("no_further_action", closed_on=d(-5)),
            case("charged", "sentenced", court="crown", concluded_on=d(-3)),
            support=(support(last_contact_on=d(-2)),),
            applications=(application("submitted"), application("referred", "nrm")),
        )
    )
    assert [line.split(":")[0] for line in decision.explanation] == [
        "H11",
        "H3",
        "H4",
        "H5",
        "H6",
        "H7",
    ]


def test_evaluate_refuses_a_datetime() -> None:
    with pytest.raises(TypeError):
        evaluate(facts(case()), datetime(2026, 11, 24, 12, 0))  # type: ignore[arg-type]


def test_facts_built_from_lists_are_tuples() -> None:
    built = Facts([case()], [], [], None, None)  # type: ignore[arg-type]
    assert isinstance(built.cases, tuple)
    assert hash(built) == hash(facts(case()))


def test_registry_maps_every_rule_id_to_a_documented_rule() -> None:
    assert list(RULES) == [f"H{number}" for number in range(15)]
    for rule_id, rule in RULES.items():
        assert rule.__doc__ and rule.__doc__.startswith(f"{rule_id} "), rule_id
    assert list(STATUS_RULES) == ["H8", "H9", "H10", "H11", "H12", "H14", "H13"]


def test_values_cover_every_code_with_a_label() -> None:
    enumerations = [
        values.CASE_ROLES,
        values.INVESTIGATION_STATUSES,
        values.PROSECUTION_STATUSES,
        values.COURTS,
        values.CRIME_TYPES,
        values.SUPPORT_STATUSES,
        values.APPLICATION_ROUTES,
        values.APPLICATION_STATUSES,
        values.NRM_STATUSES,
        values.OVERRIDE_STATUSES,
        values.OVERRIDE_CATEGORIES,
        values.END_CONFIRMATION_REASONS,
        values.HOLD_STATUSES,
        values.GROUND_CODES,
        values.FLAG_CODES,
    ]
    for codes in enumerations:
        assert isinstance(codes, tuple)
        assert len(set(codes)) == len(codes)
        assert all(isinstance(code, str) and values.LABELS[code] for code in codes)
    assert set(values.GROUND_RULES) == set(values.GROUND_CODES)
    assert set(values.STATUS_RULES) == set(values.HOLD_STATUSES)
    assert values.END_REASONS == values.END_CONFIRMATION_REASONS
    assert values.as_choices(values.COURTS) == (
        ("magistrates", "Magistrates' court"),
        ("crown", "Crown Court"),
    )


def test_decisions_and_policies_pickle_and_copy() -> None:
    decision = decide(facts(case(), support=(support(),)), limbs="all")
    assert pickle.loads(pickle.dumps(decision)) == decision
    assert copy.deepcopy(decision) == decision
    assert dataclasses.asdict(decision)["policy"]["limbs"] == "all"
    policy = Policy(grace_days=3)
    assert pickle.loads(pickle.dumps(policy)).values() == policy.values()
    with pytest.raises(TypeError):
        decision.policy["limbs"] = "any"  # type: ignore[index]
