"""Facts and scenarios from JSON-like data (the format of shared/scenarios/holds.json).

A missing key is a missing fact (`None`): rule H0 decides what it means. An unknown status is
not an error either. What *is* an error, raised as `FactsFormatError` naming the item and the
field, is broken structure: facts that are not an object, `cases` that is not a list, a date
that is not an ISO 8601 string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .engine import evaluate
from .facts import (
    ApplicationFacts,
    CaseFacts,
    EndConfirmationFacts,
    Facts,
    OverrideFacts,
    SupportFacts,
)
from .policy import Policy, PolicyError


class FactsFormatError(ValueError):
    """Facts or scenarios whose structure is broken (the message names where)."""


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _object(value: object, where: str, *, optional: bool = False) -> Mapping[str, Any]:
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise FactsFormatError(f"{where} must be an object, got {_kind(value)}")
    return value


def _list(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FactsFormatError(f"{where} must be a list, got {_kind(value)}")
    return value


def parse_date(value: object, where: str) -> date | None:
    """An ISO 8601 date string (`YYYY-MM-DD`), or None for a missing date."""
    if value is None:
        return None
    if isinstance(value, date) and type(value) is date:
        return value
    if not isinstance(value, str):
        raise FactsFormatError(f"{where} must be an ISO 8601 date string, got {_kind(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FactsFormatError(
            f"{where} must be an ISO 8601 date (YYYY-MM-DD), got {value!r}"
        ) from None


def _text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FactsFormatError(f"{where} must be a string, got {_kind(value)}")
    return value


def _label(value: object, where: str) -> str:
    return _text(value, where) or ""


def _outcome_code(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FactsFormatError(f"{where} must be a whole number, got {_kind(value)}")
    return value


def _case(item: object, where: str) -> CaseFacts:
    case = _object(item, where)
    investigation = _object(case.get("investigation"), f"{where}.investigation", optional=True)
    prosecution = _object(case.get("prosecution"), f"{where}.prosecution", optional=True)
    return CaseFacts(
        role=_text(case.get("role"), f"{where}.role"),
        referred_on=parse_date(case.get("referred_on"), f"{where}.referred_on"),
        investigation_status=_text(investigation.get("status"), f"{where}.investigation.status"),
        closed_on=parse_date(investigation.get("closed_on"), f"{where}.investigation.closed_on"),
        outcome_code=_outcome_code(
            investigation.get("outcome_code"), f"{where}.investigation.outcome_code"
        ),
        prosecution_status=_text(prosecution.get("status"), f"{where}.prosecution.status"),
        court=_text(prosecution.get("court"), f"{where}.prosecution.court"),
        concluded_on=parse_date(
            prosecution.get("concluded_on"), f"{where}.prosecution.concluded_on"
        ),
        label=_label(case.get("label"), f"{where}.label"),
    )


def _support(item: object, where: str) -> SupportFacts:
    engagement = _object(item, where)
    return SupportFacts(
        status=_text(engagement.get("status"), f"{where}.status"),
        started_on=parse_date(engagement.get("started_on"), f"{where}.started_on"),
        last_contact_on=parse_date(engagement.get("last_contact_on"), f"{where}.last_contact_on"),
        closed_on=parse_date(engagement.get("closed_on"), f"{where}.closed_on"),
        label=_label(engagement.get("label"), f"{where}.label"),
    )


def _application(item: object, where: str) -> ApplicationFacts:
    application = _object(item, where)
    return ApplicationFacts(
        route=_text(application.get("route"), f"{where}.route"),
        status=_text(application.get("status"), f"{where}.status"),
        submitted_on=parse_date(application.get("submitted_on"), f"{where}.submitted_on"),
        decided_on=parse_date(application.get("decided_on"), f"{where}.decided_on"),
        leave_expires_on=parse_date(
            application.get("leave_expires_on"), f"{where}.leave_expires_on"
        ),
        label=_label(application.get("label"), f"{where}.label"),
    )


def facts_from_dict(data: object, where: str = "facts") -> Facts:
    """`Facts` from the scenario format: `cases`, `support`, `applications` (lists), and the
    optional `override` and `end_confirmation` objects. Raises `FactsFormatError`."""
    facts = _object(data, where)
    override_data = facts.get("override")
    override = None
    if override_data is not None:
        fields = _object(override_data, f"{where}.override")
        override = OverrideFacts(
            status=_text(fields.get("status"), f"{where}.override.status"),
            approved_on=parse_date(fields.get("approved_on"), f"{where}.override.approved_on"),
            expires_on=parse_date(fields.get("expires_on"), f"{where}.override.expires_on"),
        )
    confirmation_data = facts.get("end_confirmation")
    end_confirmation = None
    if confirmation_data is not None:
        fields = _object(confirmation_data, f"{where}.end_confirmation")
        end_confirmation = EndConfirmationFacts(
            confirmed_on=parse_date(
                fields.get("confirmed_on"), f"{where}.end_confirmation.confirmed_on"
            ),
            reason=_text(fields.get("reason"), f"{where}.end_confirmation.reason"),
        )
    return Facts(
        cases=tuple(
            _case(item, f"{where}.cases[{index}]")
            for index, item in enumerate(_list(facts.get("cases"), f"{where}.cases"))
        ),
        support=tuple(
            _support(item, f"{where}.support[{index}]")
            for index, item in enumerate(_list(facts.get("support"), f"{where}.support"))
        ),
        applications=tuple(
            _application(item, f"{where}.applications[{index}]")
            for index, item in enumerate(_list(facts.get("applications"), f"{where}.applications"))
        ),
        override=override,
        end_confirmation=end_confirmation,
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def facts_to_dict(facts: Facts) -> dict[str, Any]:
    """The inverse of `facts_from_dict`: JSON-able facts in the scenario format, keeping every
    key (missing facts as null), so a decision can be stored with what it was decided on."""
    data: dict[str, Any] = {
        "cases": [
            {
                "label": case.label,
                "role": case.role,
                "referred_on": _iso(case.referred_on),
                "investigation": {
                    "status": case.investigation_status,
                    "closed_on": _iso(case.closed_on),
                    "outcome_code": case.outcome_code,
                },
                "prosecution": {
                    "status": case.prosecution_status,
                    "court": case.court,
                    "concluded_on": _iso(case.concluded_on),
                },
            }
            for case in facts.cases
        ],
        "support": [
            {
                "label": engagement.label,
                "status": engagement.status,
                "started_on": _iso(engagement.started_on),
                "last_contact_on": _iso(engagement.last_contact_on),
                "closed_on": _iso(engagement.closed_on),
            }
            for engagement in facts.support
        ],
        "applications": [
            {
                "label": application.label,
                "route": application.route,
                "status": application.status,
                "submitted_on": _iso(application.submitted_on),
                "decided_on": _iso(application.decided_on),
                "leave_expires_on": _iso(application.leave_expires_on),
            }
            for application in facts.applications
        ],
    }
    if facts.override is not None:
        data["override"] = {
            "status": facts.override.status,
            "approved_on": _iso(facts.override.approved_on),
            "expires_on": _iso(facts.override.expires_on),
        }
    if facts.end_confirmation is not None:
        data["end_confirmation"] = {
            "confirmed_on": _iso(facts.end_confirmation.confirmed_on),
            "reason": facts.end_confirmation.reason,
        }
    return data


# --- Scenario files ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """One worked example: facts, a date and a policy (and the expected decision, if given)."""

    index: int
    name: str | None
    on: date
    facts: Facts
    policy: Policy
    expect: Mapping[str, Any] | None = None


def parse_scenario(item: object, index: int) -> Scenario:
    """One scenario item; `FactsFormatError` names the item's index and name."""
    if not isinstance(item, Mapping):
        raise FactsFormatError(f"item {index}: must be an object, got {_kind(item)}")
    name = item.get("name")
    where = f"item {index}" + (f" ({name!r})" if isinstance(name, str) else "")
    if name is not None and not isinstance(name, str):
        raise FactsFormatError(f"{where}: name must be a string, got {_kind(name)}")
    if "on" not in item:
        raise FactsFormatError(f"{where}: no 'on' date")
    if "facts" not in item:
        raise FactsFormatError(f"{where}: no 'facts'")
    on = parse_date(item["on"], f"{where}: on")
    if on is None:
        raise FactsFormatError(f"{where}: 'on' must be an ISO 8601 date, got null")
    facts = facts_from_dict(item["facts"], f"{where}: facts")
    try:
        policy = Policy.from_mapping(item.get("policy"))
    except PolicyError as error:
        raise FactsFormatError(f"{where}: policy: {error}") from error
    expect = item.get("expect")
    if expect is not None and not isinstance(expect, Mapping):
        raise FactsFormatError(f"{where}: expect must be an object, got {_kind(expect)}")
    return Scenario(index, name, on, facts, policy, expect)


def parse_scenarios(items: object) -> list[Scenario]:
    """Every item of a scenario file (a JSON list); `FactsFormatError` on a broken one."""
    if not isinstance(items, list):
        raise FactsFormatError(f"a scenario file must hold a list of items, got {_kind(items)}")
    return [parse_scenario(item, index) for index, item in enumerate(items)]


def scenario_results(items: object) -> list[dict[str, Any]]:
    """What `manage.py evaluate_scenarios` prints: per item, in order, `name` and the decision
    (`status`, `in_force`, `grounds`, `protected_until`, `flags`, `explanation`, `ruleset`).
    `expect` is ignored. Raises `FactsFormatError` naming a broken item."""
    results: list[dict[str, Any]] = []
    for scenario in parse_scenarios(items):
        decision = evaluate(scenario.facts, scenario.on, scenario.policy)
        results.append({"name": scenario.name, **decision.as_dict()})
    return results
