"""The decision the rules return (PROTOCOL.md "The decision")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

# The version of the rules. Bump it whenever a change to the engine could change a decision.
RULESET_VERSION = "2026.11-1"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rules decided for one victim's facts, on one date, under one policy."""

    status: str
    in_force: bool
    grounds: tuple[str, ...]
    protected_until: date | None
    flags: tuple[str, ...]
    explanation: tuple[str, ...]
    ruleset: str
    # The policy values the decision was made under (a read-only `FrozenMapping`).
    policy: Mapping[str, Any]
    # The first date after the evaluation date on which the same facts could decide otherwise
    # (a window closing, grace ending, an override lapsing); `None` when nothing can change.
    reevaluate_on: date | None = None

    def outcome_key(self) -> tuple[str, bool, tuple[str, ...], date | None, tuple[str, ...]]:
        """The fields that make a decision different from another, for change detection."""
        return (self.status, self.in_force, self.grounds, self.protected_until, self.flags)

    def as_dict(self) -> dict[str, Any]:
        """The decision as JSON-able values (dates as ISO 8601 strings)."""
        return {
            "status": self.status,
            "in_force": self.in_force,
            "grounds": list(self.grounds),
            "protected_until": (
                self.protected_until.isoformat() if self.protected_until is not None else None
            ),
            "flags": list(self.flags),
            "explanation": list(self.explanation),
            "ruleset": {"version": self.ruleset, "policy": _plain(self.policy)},
        }


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _plain(value) if isinstance(value, Mapping) else value for key, value in values.items()
    }
