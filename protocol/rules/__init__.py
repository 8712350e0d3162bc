"""The enforcement-hold rules of PROTOCOL.md, as a pure function of one victim's facts.

    decision = evaluate(facts, on, policy)

Standard library only (an import-linter contract enforces it): no Django, no clock, no I/O.
"""

from . import values
from .decision import RULESET_VERSION, Decision
from .engine import NEVER, RULES, STATUS_RULES, evaluate
from .facts import (
    ApplicationFacts,
    CaseFacts,
    EndConfirmationFacts,
    Facts,
    OverrideFacts,
    SupportFacts,
)
from .parsing import (
    FactsFormatError,
    Scenario,
    facts_from_dict,
    facts_to_dict,
    parse_date,
    parse_scenario,
    parse_scenarios,
    scenario_results,
)
from .policy import (
    DEFAULT_POLICY,
    SETTINGS,
    AppealWindowDays,
    FrozenMapping,
    Policy,
    PolicyError,
)

__all__ = [
    "DEFAULT_POLICY",
    "NEVER",
    "RULES",
    "RULESET_VERSION",
    "SETTINGS",
    "STATUS_RULES",
    "AppealWindowDays",
    "ApplicationFacts",
    "CaseFacts",
    "Decision",
    "EndConfirmationFacts",
    "Facts",
    "FactsFormatError",
    "FrozenMapping",
    "OverrideFacts",
    "Policy",
    "PolicyError",
    "Scenario",
    "SupportFacts",
    "evaluate",
    "facts_from_dict",
    "facts_to_dict",
    "parse_date",
    "parse_scenario",
    "parse_scenarios",
    "scenario_results",
    "values",
]
