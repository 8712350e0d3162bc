"""Every worked example of shared/scenarios/holds.json, run against the rules engine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from protocol.rules import RULESET_VERSION, evaluate, parse_scenarios, scenario_results, values

SCENARIOS_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios" / "holds.json"

ITEMS: list[dict[str, Any]] = json.loads(SCENARIOS_PATH.read_text(encoding="utf-8"))
SCENARIOS = parse_scenarios(ITEMS)


def _starts_a_line(rule_id: str, explanation: list[str]) -> bool:
    return any(re.match(rf"{rule_id}:", line) for line in explanation)


def test_the_scenario_file_is_all_there() -> None:
    assert len(SCENARIOS) == 49
    names = [scenario.name for scenario in SCENARIOS]
    assert len(set(names)) == len(names), "scenario names must be unique to parametrise by them"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[str(s.name) for s in SCENARIOS])
def test_scenario(scenario: Any) -> None:
    decision = evaluate(scenario.facts, scenario.on, scenario.policy).as_dict()
    expect = scenario.expect
    assert expect is not None
    for key, expected in expect.items():
        assert decision[key] == expected, f"{key}: {decision[key]!r} != {expected!r}"

    explanation = decision["explanation"]
    for ground in decision["grounds"]:
        rule_id = values.GROUND_RULES[ground]
        assert _starts_a_line(rule_id, explanation), f"no '{rule_id}:' line for {ground}"
    status_rule = values.STATUS_RULES[decision["status"]]
    assert _starts_a_line(status_rule, explanation), f"no '{status_rule}:' line"
    if "data_incomplete" in decision["flags"]:
        assert _starts_a_line("H0", explanation), "data_incomplete without an 'H0:' line"
    assert all(re.match(r"H\d{1,2}: ", line) for line in explanation)
    assert decision["ruleset"]["version"] == RULESET_VERSION
    assert decision["ruleset"]["policy"] == scenario.policy.as_dict()


def test_scenario_results_give_the_command_output_in_order() -> None:
    results = scenario_results(ITEMS)
    assert [result["name"] for result in results] == [item["name"] for item in ITEMS]
    for result, item in zip(results, ITEMS, strict=True):
        assert set(result) == {
            "name",
            "status",
            "in_force",
            "grounds",
            "protected_until",
            "flags",
            "explanation",
            "ruleset",
        }
        for key, expected in item["expect"].items():
            assert result[key] == expected
    json.dumps(results)  # JSON-able as it stands
