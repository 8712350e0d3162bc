"""Policy settings: defaults, overrides and the errors for settings that make no sense."""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocol.rules import DEFAULT_POLICY, SETTINGS, AppealWindowDays, Policy, PolicyError

DEFAULTS = {
    "limbs": "any",
    "cover_witnesses": True,
    "grace_days": 28,
    "vrr_window_days": 90,
    "appeal_window_days": {"crown": 28, "magistrates": 21},
    "challenge_window_days": 14,
    "nrm_reconsideration_days": 30,
    "nrm_move_on_days": 45,
    "support_review_days": 90,
    "support_stale_days": 180,
    "override_max_days": 90,
}


def test_defaults_are_protocol_md_defaults() -> None:
    assert DEFAULT_POLICY.as_dict() == DEFAULTS
    assert Policy() == DEFAULT_POLICY
    assert list(SETTINGS) == list(DEFAULTS)
    json.dumps(DEFAULT_POLICY.as_dict())


def test_empty_or_missing_mapping_gives_the_defaults() -> None:
    assert Policy.from_mapping({}) == DEFAULT_POLICY
    assert Policy.from_mapping(None) == DEFAULT_POLICY


def test_overrides_replace_the_defaults() -> None:
    policy = Policy.from_mapping(
        {
            "limbs": "all",
            "cover_witnesses": False,
            "grace_days": 0,
            "appeal_window_days": {"crown": 30, "magistrates": 14},
        }
    )
    assert policy.limbs == "all"
    assert policy.cover_witnesses is False
    assert policy.grace_days == 0
    assert policy.appeal_window_days == AppealWindowDays(crown=30, magistrates=14)
    assert policy.appeal_window_days.get("crown") == 30
    assert policy.appeal_window_days.get("youth") is None
    assert policy.as_dict() == {
        **DEFAULTS,
        "limbs": "all",
        "cover_witnesses": False,
        "grace_days": 0,
        "appeal_window_days": {"crown": 30, "magistrates": 14},
    }


def test_policy_is_frozen_and_hashable() -> None:
    policy = Policy.from_mapping({"grace_days": 7})
    assert hash(policy) == hash(Policy(grace_days=7))
    assert policy == Policy(grace_days=7)
    with pytest.raises(AttributeError):
        policy.grace_days = 8  # type: ignore[misc]
    values = policy.values()
    with pytest.raises(TypeError):
        values["grace_days"] = 8  # type: ignore[index]


def test_round_trip_through_as_dict() -> None:
    policy = Policy.from_mapping(
        {"limbs": "all", "appeal_window_days": {"crown": 1, "magistrates": 2}}
    )
    assert Policy.from_mapping(policy.as_dict()) == policy


def test_constructor_accepts_a_mapping_for_appeal_windows() -> None:
    policy = Policy(appeal_window_days={"crown": 10, "magistrates": 5})  # type: ignore[arg-type]
    assert policy.appeal_window_days == AppealWindowDays(10, 5)


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        pytest.param({"grace_period": 28}, "grace_period", id="unknown setting"),
        pytest.param({"limbs": "both"}, "limbs", id="bad limbs"),
        pytest.param({"limbs": "ANY"}, "limbs", id="limbs is case-sensitive"),
        pytest.param({"limbs": 1}, "limbs", id="limbs not a string"),
        pytest.param({"cover_witnesses": "yes"}, "cover_witnesses", id="witnesses not a boolean"),
        pytest.param({"cover_witnesses": 1}, "cover_witnesses", id="witnesses an int"),
        pytest.param({"grace_days": -1}, "grace_days", id="negative grace"),
        pytest.param({"grace_days": "28"}, "grace_days", id="days as a string"),
        pytest.param({"grace_days": 28.0}, "grace_days", id="days as a float"),
        pytest.param({"grace_days": True}, "grace_days", id="days as a boolean"),
        pytest.param({"grace_days": None}, "grace_days", id="days null"),
        pytest.param({"vrr_window_days": -90}, "vrr_window_days", id="negative vrr"),
        pytest.param(
            {"challenge_window_days": -1}, "challenge_window_days", id="negative challenge"
        ),
        pytest.param(
            {"nrm_reconsideration_days": -1}, "nrm_reconsideration_days", id="negative nrm"
        ),
        pytest.param({"nrm_move_on_days": [45]}, "nrm_move_on_days", id="days a list"),
        pytest.param({"support_review_days": -1}, "support_review_days", id="negative review"),
        pytest.param({"support_stale_days": 10**9}, "support_stale_days", id="absurdly long"),
        pytest.param({"override_max_days": -5}, "override_max_days", id="negative override"),
        pytest.param({"appeal_window_days": 28}, "appeal_window_days", id="appeal not an object"),
        pytest.param({"appeal_window_days": {"crown": 28}}, "magistrates", id="appeal one court"),
        pytest.param(
            {"appeal_window_days": {"crown": 28, "magistrates": 21, "youth": 14}},
            "youth",
            id="appeal unknown court",
        ),
        pytest.param(
            {"appeal_window_days": {"crown": -1, "magistrates": 21}},
            "appeal_window_days.crown",
            id="appeal negative",
        ),
        pytest.param(
            {"appeal_window_days": {"crown": 28, "magistrates": "21"}},
            "appeal_window_days.magistrates",
            id="appeal as a string",
        ),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(overrides: dict[str, Any], names: str) -> None:
    with pytest.raises(PolicyError, match=names.replace(".", r"\.")):
        Policy.from_mapping(overrides)


def test_policy_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Policy.from_mapping({"limbs": "some"})


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(PolicyError, match="object of settings"):
        Policy.from_mapping([("grace_days", 1)])  # type: ignore[arg-type]


def test_unknown_setting_message_lists_the_known_ones() -> None:
    with pytest.raises(PolicyError) as caught:
        Policy.from_mapping({"grace": 1, "windows": 2})
    assert "grace, windows" in str(caught.value)
    assert "grace_days" in str(caught.value)


def test_constructor_validates_too() -> None:
    with pytest.raises(PolicyError, match="grace_days"):
        Policy(grace_days=-1)
    with pytest.raises(PolicyError, match="limbs"):
        Policy(limbs="either")
    with pytest.raises(PolicyError, match="appeal_window_days.magistrates"):
        AppealWindowDays(crown=1, magistrates=-1)
