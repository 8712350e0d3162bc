"""The facts the rules read (PROTOCOL.md "Facts"): frozen, standard library only.

Every field may be `None` (a missing fact) and every status may be a value PROTOCOL.md does not
list: rule H0 decides what such a fact means. `label` is a human name for the fact used in
explanation lines (a case's crime reference, say); when empty the engine says "case 1",
"case 2" and so on, counting from 1 in the order given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """One police referral naming this person: the investigation and the prosecution."""

    role: str | None
    referred_on: date | None
    investigation_status: str | None
    closed_on: date | None
    outcome_code: int | None
    prosecution_status: str | None
    court: str | None
    concluded_on: date | None
    label: str = ""


@dataclass(frozen=True, slots=True)
class SupportFacts:
    """One engagement with a support organisation."""

    status: str | None
    started_on: date | None
    last_contact_on: date | None
    closed_on: date | None
    label: str = ""


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    """One application or referral that could regularise stay."""

    route: str | None
    status: str | None
    submitted_on: date | None
    decided_on: date | None
    leave_expires_on: date | None
    label: str = ""


@dataclass(frozen=True, slots=True)
class OverrideFacts:
    """The public-protection override, if any."""

    status: str | None
    approved_on: date | None
    expires_on: date | None


@dataclass(frozen=True, slots=True)
class EndConfirmationFacts:
    """The IE review that confirmed the end of the hold, if any."""

    confirmed_on: date | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Facts:
    """All of one victim's facts. Lists given for the collections are stored as tuples."""

    cases: tuple[CaseFacts, ...] = ()
    support: tuple[SupportFacts, ...] = ()
    applications: tuple[ApplicationFacts, ...] = ()
    override: OverrideFacts | None = None
    end_confirmation: EndConfirmationFacts | None = None

    def __post_init__(self) -> None:
        # Keep the facts immutable (and hashable) even when built from lists.
        for name in ("cases", "support", "applications"):
            items = getattr(self, name)
            if type(items) is not tuple:
                object.__setattr__(self, name, tuple(items))
