"""Facts and scenario items from JSON: missing keys are missing facts, broken structure is an
error that names the item and the field."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from protocol.rules import (
    DEFAULT_POLICY,
    CaseFacts,
    EndConfirmationFacts,
    Facts,
    FactsFormatError,
    OverrideFacts,
    Policy,
    evaluate,
    facts_from_dict,
    facts_to_dict,
    parse_scenarios,
    scenario_results,
)

FULL = {
    "cases": [
        {
            "label": "C-ABC123",
            "role": "victim",
            "referred_on": "2026-07-27",
            "investigation": {
                "status": "no_further_action",
                "closed_on": "2026-08-25",
                "outcome_code": 16,
            },
            "prosecution": {"status": "none"},
        }
    ],
    "support": [{"status": "engaged", "started_on": "2026-08-16", "last_contact_on": "2026-11-04"}],
    "applications": [{"route": "mvdac", "status": "submitted", "submitted_on": "2026-10-25"}],
    "override": {"status": "requested"},
    "end_confirmation": {"confirmed_on": "2026-11-19", "reason": "left_the_uk"},
}


def test_full_facts() -> None:
    facts = facts_from_dict(FULL)
    assert facts.cases == (
        CaseFacts(
            role="victim",
            referred_on=date(2026, 7, 27),
            investigation_status="no_further_action",
            closed_on=date(2026, 8, 25),
            outcome_code=16,
            prosecution_status="none",
            court=None,
            concluded_on=None,
            label="C-ABC123",
        ),
    )
    assert facts.support[0].last_contact_on == date(2026, 11, 4)
    assert facts.applications[0].route == "mvdac"
    assert facts.override == OverrideFacts("requested", None, None)
    assert facts.end_confirmation == EndConfirmationFacts(date(2026, 11, 19), "left_the_uk")


def test_missing_keys_are_missing_facts() -> None:
    assert facts_from_dict({}) == Facts()
    facts = facts_from_dict({"cases": [{}], "support": [{}], "applications": [{}]})
    assert facts.cases[0] == CaseFacts(None, None, None, None, None, None, None, None)
    assert facts.support[0].status is None
    assert facts.applications[0].route is None
    assert facts_from_dict({"cases": None, "override": None}) == Facts()


def test_unknown_status_values_are_not_errors() -> None:
    facts = facts_from_dict(
        {"cases": [{"role": "victim", "investigation": {"status": "lost_in_migration"}}]}
    )
    decision = evaluate(facts, date(2026, 11, 24))
    assert decision.in_force
    assert "data_incomplete" in decision.flags


def test_round_trip_through_facts_to_dict() -> None:
    facts = facts_from_dict(FULL)
    data = facts_to_dict(facts)
    json.dumps(data)
    assert facts_from_dict(data) == facts


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([], r"facts must be an object, got a list", id="facts a list"),
        pytest.param("x", r"facts must be an object, got a string", id="facts a string"),
        pytest.param({"cases": {}}, r"facts\.cases must be a list, got an object", id="cases"),
        pytest.param({"support": "x"}, r"facts\.support must be a list", id="support"),
        pytest.param({"applications": 1}, r"facts\.applications must be a list", id="apps"),
        pytest.param({"cases": [1]}, r"facts\.cases\[0\] must be an object", id="case"),
        pytest.param(
            {"cases": [{}, {"investigation": []}]},
            r"facts\.cases\[1\]\.investigation must be an object",
            id="investigation",
        ),
        pytest.param(
            {"cases": [{"prosecution": "none"}]},
            r"facts\.cases\[0\]\.prosecution must be an object",
            id="prosecution",
        ),
        pytest.param(
            {"cases": [{"referred_on": "27/07/2026"}]},
            r"facts\.cases\[0\]\.referred_on must be an ISO 8601 date .*'27/07/2026'",
            id="date not iso",
        ),
        pytest.param(
            {"cases": [{"investigation": {"closed_on": 20260727}}]},
            r"facts\.cases\[0\]\.investigation\.closed_on must be an ISO 8601 date string",
            id="date a number",
        ),
        pytest.param(
            {"cases": [{"prosecution": {"concluded_on": "2026-02-30"}}]},
            r"concluded_on must be an ISO 8601 date",
            id="impossible date",
        ),
        pytest.param(
            {"cases": [{"investigation": {"status": 3}}]},
            r"facts\.cases\[0\]\.investigation\.status must be a string",
            id="status a number",
        ),
        pytest.param(
            {"cases": [{"investigation": {"outcome_code": "x"}}]},
            r"outcome_code must be a whole number",
            id="outcome code",
        ),
        pytest.param(
            {"support": [{"last_contact_on": "soon"}]},
            r"facts\.support\[0\]\.last_contact_on",
            id="support date",
        ),
        pytest.param(
            {"applications": [{}, {}, {"leave_expires_on": "2027-13-01"}]},
            r"facts\.applications\[2\]\.leave_expires_on",
            id="application date",
        ),
        pytest.param({"override": "approved"}, r"facts\.override must be an object", id="override"),
        pytest.param(
            {"override": {"approved_on": "yesterday"}},
            r"facts\.override\.approved_on",
            id="override date",
        ),
        pytest.param(
            {"end_confirmation": []}, r"facts\.end_confirmation must be an object", id="end"
        ),
        pytest.param(
            {"end_confirmation": {"confirmed_on": "2026-11-19T10:00:00"}},
            r"facts\.end_confirmation\.confirmed_on",
            id="end datetime",
        ),
    ],
)
def test_broken_structure_is_named(data: Any, message: str) -> None:
    with pytest.raises(FactsFormatError, match=message):
        facts_from_dict(data)


def test_facts_format_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        facts_from_dict([])


ITEM = {"name": "one", "on": "2026-11-24", "facts": {"cases": [{"role": "victim"}]}}


def test_parse_scenarios() -> None:
    [scenario] = parse_scenarios([{**ITEM, "policy": {"grace_days": 3}, "expect": {}}])
    assert scenario.name == "one"
    assert scenario.on == date(2026, 11, 24)
    assert scenario.policy == Policy(grace_days=3)
    assert scenario.expect == {}
    [plain] = parse_scenarios([ITEM])
    assert plain.policy == DEFAULT_POLICY
    assert plain.expect is None


def test_scenario_results_ignore_expect() -> None:
    [result] = scenario_results([{**ITEM, "expect": {"status": "ended"}}])
    assert result["name"] == "one"
    assert result["status"] == "active"
    assert result["flags"] == ["data_incomplete"]
    assert list(result) == [
        "name",
        "status",
        "in_force",
        "grounds",
        "protected_until",
        "flags",
        "explanation",
        "ruleset",
    ]


def test_scenario_results_of_nothing() -> None:
    assert scenario_results([]) == []


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param({"name": "x"}, r"must hold a list of items, got an object", id="not a list"),
        pytest.param("[]", r"must hold a list", id="a string"),
        pytest.param([ITEM, 3], r"item 1: must be an object, got a number", id="item a number"),
        pytest.param(
            [{**ITEM, "facts": None}], r"item 0 \('one'\): facts must be an object", id="facts null"
        ),
        pytest.param(
            [{"name": "two", "on": "2026-11-24"}], r"item 0 \('two'\): no 'facts'", id="no facts"
        ),
        pytest.param([{"name": "two", "facts": {}}], r"item 0 \('two'\): no 'on' date", id="no on"),
        pytest.param(
            [{**ITEM, "on": "24 Nov 2026"}],
            r"item 0 \('one'\): on must be an ISO 8601 date",
            id="bad on",
        ),
        pytest.param(
            [{**ITEM, "on": None}], r"item 0 \('one'\): 'on' must be an ISO 8601 date", id="null on"
        ),
        pytest.param(
            [ITEM, {**ITEM, "name": "bad", "facts": {"cases": [{"referred_on": "x"}]}}],
            r"item 1 \('bad'\): facts\.cases\[0\]\.referred_on",
            id="bad fact date",
        ),
        pytest.param(
            [{**ITEM, "policy": {"limbs": "both"}}],
            r"item 0 \('one'\): policy: .*limbs",
            id="bad policy",
        ),
        pytest.param(
            [{**ITEM, "policy": {"appeal_window_days": {"crown": 1}}}],
            r"item 0 \('one'\): policy: .*magistrates",
            id="partial appeal",
        ),
        pytest.param([{**ITEM, "name": 5}], r"item 0: name must be a string", id="name a number"),
        pytest.param(
            [{**ITEM, "expect": []}],
            r"item 0 \('one'\): expect must be an object",
            id="expect a list",
        ),
    ],
)
def test_broken_items_are_named(items: Any, message: str) -> None:
    with pytest.raises(FactsFormatError, match=message):
        scenario_results(items)
