"""The hold rules H0–H14 of PROTOCOL.md: `evaluate(facts, on, policy) -> Decision`.

One small function per rule, each quoting the clause it implements. The ground rules (H1–H7)
read one fact at a time and return `Reading`s: the ground the fact gives today, if any, and
the fact's *last day* (PROTOCOL.md "The lapse date"). The status rules (H8–H14) are tried in
PROTOCOL.md's order and the first that applies decides the status. Rule H0 ("fail towards
protection") is applied where a ground rule meets a missing or unknown fact: the fact is read
as ongoing, and says so in an `H0:` line.

Pure: no clock, no I/O, standard library only. The same facts, date and policy always give
the same decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

from .decision import RULESET_VERSION, Decision
from .facts import ApplicationFacts, CaseFacts, EndConfirmationFacts, Facts, SupportFacts
from .policy import DEFAULT_POLICY, Policy
from .values import (
    APPLICATION_ROUTES,
    GROUND_LIMBS,
    IN_FORCE_STATUSES,
    INVESTIGATION_STATUSES,
    JUSTICE,
    NRM_ROUTE,
    REGULARISATION,
)

# "Never": the last day of an open-ended ground that holds today. `date.max` orders after
# every real date, so the latest of several last days is simply `max()`.
NEVER = date.max

_INVESTIGATION_ONGOING = frozenset(
    {
        "reported",
        "under_investigation",
        "suspect_bailed",
        "released_under_investigation",
        "referred_to_cps",
        "reopened",
    }
)
_PROSECUTION_ONGOING = frozenset(
    {"charged", "awaiting_trial", "trial", "convicted_awaiting_sentence", "appeal_lodged"}
)
_PROSECUTION_READ_ELSEWHERE = frozenset({"sentenced", "discontinued", "no_charge"})
_SUPPORT_OPEN = frozenset({"referred", "engaged", "application_in_preparation"})
_SUPPORT_ENDED = frozenset({"closed", "disengaged"})
_OTHER_ROUTES = frozenset(route for route in APPLICATION_ROUTES if route != NRM_ROUTE)
_APPLICATION_PENDING = frozenset({"submitted", "challenge_lodged"})
_APPLICATION_FINISHED = frozenset({"challenge_dismissed", "withdrawn", "invalid"})
_NRM_PENDING = frozenset({"referred", "rg_positive"})
_NRM_NEGATIVE = frozenset({"rg_negative", "cg_negative"})

# The override_expiring flag: "the override's last day in force is at most 14 days after today".
OVERRIDE_EXPIRING_DAYS = 14


def _add(day: date, days: int) -> date:
    """`day` + `days`, pinned to the calendar's ends instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _unknown(value: str | None) -> str:
    return "missing" if value is None else f"{value!r}, not a known value"


class Reading(NamedTuple):
    """What a ground rule read from one fact."""

    rule: str
    limb: str
    # The ground code when the fact gives that ground today, else None.
    ground: str | None
    # The fact's last day: NEVER for an open-ended ground that holds today, a date, or None
    # when the fact gives no last day (an investigation that is `charged`).
    last_day: date | None
    # For a time-limited ground that holds today, the last day it holds.
    holds_until: date | None
    # The fact, in words, for the explanation ("review window on case 1 ...").
    fact: str
    # The `H0:` line when H0 kept this fact open, else None.
    h0: str | None = None


def _kept_open(rule: str, ground: str, subject: str, problem: str) -> Reading:
    """H0 — "Each of the following counts as ongoing: it produces the ground of the rule that
    reads it, a window that never closes, the flag data_incomplete, and an explanation line
    beginning H0: that names the fact"."""
    return Reading(
        rule,
        GROUND_LIMBS[ground],
        ground,
        NEVER,
        None,
        f"{subject} read as ongoing ({problem})",
        f"H0: {subject}: {problem}; read as ongoing, keeping {ground} ({rule}) open",
    )


def _window(
    rule: str, ground: str, start: date, days: int, on: date, fact: str, closes: str = "open to"
) -> Reading:
    """A window of `days` after `start`: "a window of N days after date D covers D through
    D + N"; a window that starts after `on` holds."""
    end = _add(start, days)
    if on <= end:
        return Reading(rule, GROUND_LIMBS[ground], ground, end, end, f"{fact}, {closes} {end}")
    return Reading(rule, GROUND_LIMBS[ground], None, end, None, f"{fact}, closed after {end}")


# --- H0: which cases are read ------------------------------------------------------------------


def counted_cases(
    facts: Facts, policy: Policy
) -> tuple[list[tuple[str, CaseFacts]], list[str], int]:
    """H0 — "Only counted cases are read: those with role = victim, those with role = witness
    when cover_witnesses is true, and those with a missing or unknown role (which also raise
    data_incomplete)".

    Returns the counted cases with their names, the `H0:` lines for unknown roles, and the
    number of witness cases left out.
    """
    counted: list[tuple[str, CaseFacts]] = []
    notes: list[str] = []
    left_out = 0
    for number, case in enumerate(facts.cases, start=1):
        name = f"case {case.label or number}"
        role = case.role or None
        if role == "victim" or (role == "witness" and policy.cover_witnesses):
            counted.append((name, case))
        elif role == "witness":
            left_out += 1
        else:
            counted.append((name, case))
            notes.append(f"H0: {name}: role {_unknown(role)}; counted as the victim's own case")
    return counted, notes, left_out


# --- H1–H4: the criminal-justice limb ----------------------------------------------------------


def investigation_ongoing(
    case: CaseFacts, name: str, on: date, policy: Policy
) -> tuple[Reading, ...]:
    """H1 — "a counted case's investigation is reported, under_investigation, suspect_bailed,
    released_under_investigation, referred_to_cps or reopened"."""
    status = case.investigation_status or None
    if status in _INVESTIGATION_ONGOING:
        return (
            Reading(
                "H1",
                JUSTICE,
                "investigation_ongoing",
                NEVER,
                None,
                f"investigation ongoing on {name} ({status})",
            ),
        )
    if status in INVESTIGATION_STATUSES:
        # `charged` hands over to the prosecution (H2); `no_further_action` is H3's.
        return ()
    return (
        _kept_open(
            "H1", "investigation_ongoing", f"{name} investigation", f"status {_unknown(status)}"
        ),
    )


def prosecution_ongoing(
    case: CaseFacts, name: str, on: date, policy: Policy
) -> tuple[Reading, ...]:
    """H2 — "a counted case's prosecution is charged, awaiting_trial, trial,
    convicted_awaiting_sentence or appeal_lodged"; an acquittal's last day is its
    concluded_on."""
    status = case.prosecution_status or "none"  # "a missing prosecution status means none"
    if status in _PROSECUTION_ONGOING:
        return (
            Reading(
                "H2",
                JUSTICE,
                "prosecution_ongoing",
                NEVER,
                None,
                f"prosecution ongoing on {name} ({status})",
            ),
        )
    if status == "none":
        if case.investigation_status == "charged":
            return (
                _kept_open(
                    "H2",
                    "prosecution_ongoing",
                    f"{name} prosecution",
                    "investigation charged but no prosecution recorded",
                ),
            )
        return ()
    if status == "acquitted":
        if case.concluded_on is None:
            return (
                _kept_open(
                    "H2", "prosecution_ongoing", f"{name} prosecution", "acquitted, no concluded_on"
                ),
            )
        return (
            Reading(
                "H2",
                JUSTICE,
                None,
                case.concluded_on,
                None,
                f"acquittal on {name} on {case.concluded_on}",
            ),
        )
    if status in _PROSECUTION_READ_ELSEWHERE:
        return ()
    return (
        _kept_open(
            "H2", "prosecution_ongoing", f"{name} prosecution", f"status {_unknown(status)}"
        ),
    )


def review_window(case: CaseFacts, name: str, on: date, policy: Policy) -> tuple[Reading, ...]:
    """H3 — "within vrr_window_days after closed_on of an investigation closed
    no_further_action, or after concluded_on of a prosecution no_charge or discontinued"."""
    readings: list[Reading] = []
    if case.investigation_status == "no_further_action":
        if case.closed_on is None:
            readings.append(
                _kept_open(
                    "H3",
                    "review_window",
                    f"{name} investigation",
                    "no_further_action without closed_on",
                )
            )
        else:
            readings.append(
                _window(
                    "H3",
                    "review_window",
                    case.closed_on,
                    policy.vrr_window_days,
                    on,
                    f"review window on {name} after no_further_action on {case.closed_on}",
                )
            )
    status = case.prosecution_status
    if status == "no_charge" or status == "discontinued":
        if case.concluded_on is None:
            readings.append(
                _kept_open(
                    "H3", "review_window", f"{name} prosecution", f"{status} without concluded_on"
                )
            )
        else:
            readings.append(
                _window(
                    "H3",
                    "review_window",
                    case.concluded_on,
                    policy.vrr_window_days,
                    on,
                    f"review window on {name} after {status} on {case.concluded_on}",
                )
            )
    return tuple(readings)


def appeal_window(case: CaseFacts, name: str, on: date, policy: Policy) -> tuple[Reading, ...]:
    """H4 — "within appeal_window_days[court] after concluded_on of a prosecution
    sentenced"."""
    if case.prosecution_status != "sentenced":
        return ()
    court = case.court or None
    days = policy.appeal_window_days.get(court)
    if case.concluded_on is None or days is None:
        problem = (
            "sentenced without concluded_on"
            if case.concluded_on is None
            else f"sentenced, court {_unknown(court)}"
        )
        return (_kept_open("H4", "appeal_window", f"{name} prosecution", problem),)
    return (
        _window(
            "H4",
            "appeal_window",
            case.concluded_on,
            days,
            on,
            f"appeal window on {name} after sentence in the {court} court on {case.concluded_on}",
        ),
    )


# --- H5–H7: the regularisation limb ------------------------------------------------------------


def _contact_date(engagement: SupportFacts) -> tuple[date | None, str]:
    """H5 "measures from last_contact_on when there is one, otherwise from started_on"."""
    if engagement.last_contact_on is not None:
        return engagement.last_contact_on, "last contact"
    return engagement.started_on, "started"


def regularisation_support(
    engagement: SupportFacts, name: str, on: date, policy: Policy
) -> tuple[Reading, ...]:
    """H5 — "a support engagement is referred, engaged or application_in_preparation, within
    support_stale_days after its last_contact_on (or started_on where there was no contact
    yet)"."""
    status = engagement.status or None
    if status in _SUPPORT_OPEN:
        since, what = _contact_date(engagement)
        if since is None:
            return (
                _kept_open(
                    "H5",
                    "regularisation_support",
                    name,
                    f"{status} with neither last_contact_on nor started_on",
                ),
            )
        stale = _add(since, policy.support_stale_days)
        if on <= stale:
            # An open-ended ground while it holds: its last day is "never".
            return (
                Reading(
                    "H5",
                    REGULARISATION,
                    "regularisation_support",
                    NEVER,
                    stale,
                    f"{name} {status}, {what} {since}, stale after {stale}",
                ),
            )
        return (
            Reading(
                "H5",
                REGULARISATION,
                None,
                stale,
                None,
                f"{name} {status} but gone stale: {what} {since}, stale after {stale}",
            ),
        )
    if status in _SUPPORT_ENDED:
        if engagement.closed_on is None:
            return (
                _kept_open("H5", "regularisation_support", name, f"{status} without closed_on"),
            )
        return (
            Reading(
                "H5",
                REGULARISATION,
                None,
                engagement.closed_on,
                None,
                f"{name} {status} on {engagement.closed_on}",
            ),
        )
    return (_kept_open("H5", "regularisation_support", name, f"status {_unknown(status)}"),)


def support_contact_overdue(
    engagement: SupportFacts, name: str, on: date, policy: Policy
) -> str | None:
    """H5 flag — "support_contact_overdue (an open engagement whose H5 ground holds and whose
    last_contact_on, or started_on, is more than support_review_days before today)"."""
    if engagement.status not in _SUPPORT_OPEN:
        return None
    since, what = _contact_date(engagement)
    if since is None:
        return None
    review_by = _add(since, policy.support_review_days)
    if review_by < on <= _add(since, policy.support_stale_days):
        return (
            f"H5: support contact overdue on {name}: {what} {since}, contact was due by {review_by}"
        )
    return None


def application_pending(
    application: ApplicationFacts, name: str, on: date, policy: Policy
) -> tuple[Reading, ...]:
    """H6 — "an application is submitted or challenge_lodged; or refused and within
    challenge_window_days of decided_on"."""
    route = application.route or None
    if route == NRM_ROUTE:
        return ()
    if route not in _OTHER_ROUTES:
        # Not in PROTOCOL.md's H0 table, but without a route the status cannot be read (the
        # statuses are per route), so it fails towards protection like an unknown status.
        return (
            _kept_open(
                "H6", "application_pending", name, f"route {_unknown(route)}, status unreadable"
            ),
        )
    status = application.status or None
    if status in _APPLICATION_PENDING:
        return (
            Reading(
                "H6",
                REGULARISATION,
                "application_pending",
                NEVER,
                None,
                f"{name} ({route}) {status}",
            ),
        )
    if status == "refused":
        if application.decided_on is None:
            return (_kept_open("H6", "application_pending", name, "refused without decided_on"),)
        return (
            _window(
                "H6",
                "application_pending",
                application.decided_on,
                policy.challenge_window_days,
                on,
                f"{name} ({route}) refused on {application.decided_on}",
                "challenge window open to",
            ),
        )
    if status in _APPLICATION_FINISHED:
        if application.decided_on is None:
            return (_kept_open("H6", "application_pending", name, f"{status} without decided_on"),)
        return (
            Reading(
                "H6",
                REGULARISATION,
                None,
                application.decided_on,
                None,
                f"{name} ({route}) {status} on {application.decided_on}",
            ),
        )
    if status == "granted":
        leave = application.leave_expires_on
        if leave is not None and leave < on:
            # "a granted application whose leave has expired": its last day is the expiry.
            return (
                Reading(
                    "H10",
                    REGULARISATION,
                    None,
                    leave,
                    None,
                    f"{name} ({route}) granted, leave expired on {leave}",
                ),
            )
        return ()  # H10 reads a grant still in force
    return (_kept_open("H6", "application_pending", name, f"status {_unknown(status)}"),)


def nrm_pending(
    application: ApplicationFacts, name: str, on: date, policy: Policy
) -> tuple[Reading, ...]:
    """H7 — "an nrm referral is referred or rg_positive; or rg_negative/cg_negative within
    nrm_reconsideration_days of decided_on; or cg_positive within nrm_move_on_days of
    decided_on"."""
    if (application.route or None) != NRM_ROUTE:
        return ()
    status = application.status or None
    if status in _NRM_PENDING:
        return (
            Reading("H7", REGULARISATION, "nrm_pending", NEVER, None, f"{name} (nrm) {status}"),
        )
    if status in _NRM_NEGATIVE or status == "cg_positive":
        if application.decided_on is None:
            return (_kept_open("H7", "nrm_pending", name, f"{status} without decided_on"),)
        negative = status in _NRM_NEGATIVE
        return (
            _window(
                "H7",
                "nrm_pending",
                application.decided_on,
                policy.nrm_reconsideration_days if negative else policy.nrm_move_on_days,
                on,
                f"{name} (nrm) {status} on {application.decided_on}",
                "reconsideration window open to" if negative else "move-on period open to",
            ),
        )
    return (_kept_open("H7", "nrm_pending", name, f"nrm status {_unknown(status)}"),)


CaseRule = Callable[[CaseFacts, str, date, Policy], tuple[Reading, ...]]
SupportRule = Callable[[SupportFacts, str, date, Policy], tuple[Reading, ...]]
ApplicationRule = Callable[[ApplicationFacts, str, date, Policy], tuple[Reading, ...]]

CASE_RULES: Mapping[str, CaseRule] = MappingProxyType(
    {
        "H1": investigation_ongoing,
        "H2": prosecution_ongoing,
        "H3": review_window,
        "H4": appeal_window,
    }
)
SUPPORT_RULES: Mapping[str, SupportRule] = MappingProxyType({"H5": regularisation_support})
APPLICATION_RULES: Mapping[str, ApplicationRule] = MappingProxyType(
    {"H6": application_pending, "H7": nrm_pending}
)


# --- The lapse date and the override -----------------------------------------------------------


def _first(pair: tuple[date, Reading]) -> date:
    return pair[0]


def lapse_date(
    readings: list[Reading], counted: list[tuple[str, CaseFacts]], policy: Policy
) -> tuple[date | None, str]:
    """The lapse date — "with limbs = any: the later of the two limbs' last days, leaving out a
    limb that never held; with limbs = all: the earlier of the two; if either limb never held,
    the earliest referred_on of the counted cases; if there is none, there is no lapse date".

    Returns the lapse date (NEVER while an open-ended ground holds, None when there is none)
    and the fact that gave it, in words.
    """
    # The latest last day of each limb, with the fact that gave it.
    latest: dict[str, tuple[date, Reading]] = {}
    for reading in readings:
        last_day = reading.last_day
        if last_day is None:
            continue
        best = latest.get(reading.limb)
        if best is None or last_day > best[0]:
            latest[reading.limb] = (last_day, reading)
    justice = latest.get(JUSTICE)
    regularisation = latest.get(REGULARISATION)
    if policy.limbs == "any" or (justice is not None and regularisation is not None):
        held = [limb for limb in (justice, regularisation) if limb is not None]
        if not held:
            return None, "neither limb ever held"
        chosen_day, chosen = (max if policy.limbs == "any" else min)(held, key=_first)
        return chosen_day, f"{chosen.rule} {chosen.fact}"
    never_held = "criminal-justice" if justice is None else "regularisation"
    referrals = [case.referred_on for _, case in counted if case.referred_on is not None]
    if not referrals:
        return None, f"the {never_held} limb never held and no counted case has a referral date"
    earliest = min(referrals)
    return earliest, f"earliest referral on {earliest}; the {never_held} limb never held"


def override_last_day(facts: Facts, policy: Policy) -> date | None:
    """H9's "last day in force: the earlier of expires_on (if given) and approved_on +
    override_max_days"; None unless the override is approved with an approved_on."""
    override = facts.override
    if override is None or override.status != "approved" or override.approved_on is None:
        return None
    last_day = _add(override.approved_on, policy.override_max_days)
    if override.expires_on is not None and override.expires_on < last_day:
        return override.expires_on
    return last_day


def override_without_date(facts: Facts) -> str | None:
    """H0 — "An approved override without approved_on is ignored (which keeps protection) and
    raises data_incomplete"."""
    override = facts.override
    if override is not None and override.status == "approved" and override.approved_on is None:
        return "H0: override approved without approved_on; ignored, protection kept"
    return None


# --- H8–H14: the status ------------------------------------------------------------------------


class State(NamedTuple):
    """What the status rules read: the facts as the ground rules found them."""

    facts: Facts
    on: date
    policy: Policy
    counted: list[tuple[str, CaseFacts]]
    witnesses_left_out: int
    applications: list[tuple[str, ApplicationFacts]]
    grounds: tuple[str, ...]
    limbs_held: frozenset[str]
    lapse: date | None
    lapse_fact: str
    override_last_day: date | None


class Finding(NamedTuple):
    """A status rule that applied: the status, `protected_until` and the explanation line."""

    status: str
    protected_until: date | None
    line: str


def not_covered(state: State) -> Finding | None:
    """H8 — "no counted case; grounds, flags and protected_until are then empty"."""
    if state.counted:
        return None
    line = "H8: not covered: no counted case"
    if state.witnesses_left_out:
        line += (
            f" ({state.witnesses_left_out} witness case(s) not counted: cover_witnesses is false)"
        )
    return Finding("not_covered", None, line)


def overridden(state: State) -> Finding | None:
    """H9 — "an override is approved, approved_on ≤ today, and today ≤ its last day in force:
    the earlier of expires_on (if given) and approved_on + override_max_days"."""
    last_day = state.override_last_day
    override = state.facts.override
    if last_day is None or override is None or override.approved_on is None:
        return None
    if not override.approved_on <= state.on <= last_day:
        return None
    return Finding(
        "overridden",
        None,
        f"H9: overridden: public-protection override approved on {override.approved_on}, "
        f"in force to {last_day}",
    )


def regularised(state: State) -> Finding | None:
    """H10 — "an application on a route other than nrm is granted, and its leave_expires_on is
    empty (settled) or ≥ today"."""
    grants = [
        (name, application)
        for name, application in state.applications
        if application.status == "granted"
        and application.route in _OTHER_ROUTES
        and (application.leave_expires_on is None or application.leave_expires_on >= state.on)
    ]
    if not grants:
        return None
    leaves = [application.leave_expires_on for _, application in grants]
    # "empty if any granted leave is settled, otherwise the latest leave_expires_on"
    protected_until = None if None in leaves else max(day for day in leaves if day is not None)
    described = "; ".join(
        f"{name} ({application.route}) granted, "
        + (
            "settled"
            if application.leave_expires_on is None
            else f"leave to {application.leave_expires_on}"
        )
        for name, application in grants
    )
    return Finding("regularised", protected_until, f"H10: regularised: {described}")


def active(state: State) -> Finding | None:
    """H11 — "the grounds satisfy limbs (any: at least one ground; all: a ground of each
    limb)"; protected_until is the lapse date plus grace_days, empty while it is "never"."""
    if state.policy.limbs == "any":
        if not state.grounds:
            return None
    elif len(state.limbs_held) < 2:
        return None
    line = f"H11: active: grounds {', '.join(state.grounds)} satisfy limbs={state.policy.limbs}"
    if state.lapse is None or state.lapse == NEVER:
        return Finding("active", None, f"{line}; no end date while an open-ended ground holds")
    protected_until = _add(state.lapse, state.policy.grace_days)
    return Finding(
        "active",
        protected_until,
        f"{line}; protected until {protected_until} (lapse date {state.lapse}, "
        f"{state.lapse_fact}, plus grace_days {state.policy.grace_days})",
    )


def ending(state: State) -> Finding | None:
    """H12 — "there is a lapse date, and today ≤ lapse date + grace_days"."""
    if state.lapse is None:
        return None
    grace_end = None if state.lapse == NEVER else _add(state.lapse, state.policy.grace_days)
    if grace_end is not None and state.on > grace_end:
        return None
    return Finding(
        "ending",
        grace_end,
        f"H12: ending: lapse date {state.lapse} ({state.lapse_fact}); grace period of "
        f"{state.policy.grace_days} days to {grace_end}",
    )


def ended(state: State) -> Finding | None:
    """H14 — "an end_confirmation exists with lapse date + grace_days < confirmed_on ≤
    today"."""
    confirmation: EndConfirmationFacts | None = state.facts.end_confirmation
    if confirmation is None or confirmation.confirmed_on is None:
        return None
    if state.lapse is None or state.lapse == NEVER:
        return None
    grace_end = _add(state.lapse, state.policy.grace_days)
    if not grace_end < confirmation.confirmed_on <= state.on:
        return None
    return Finding(
        "ended",
        None,
        f"H14: ended: end confirmed on {confirmation.confirmed_on} "
        f"({confirmation.reason or 'no reason recorded'}), after the grace period that ended "
        f"on {grace_end} (lapse date {state.lapse}, {state.lapse_fact})",
    )


def review_due(state: State) -> Finding | None:
    """H13 — "otherwise: past the grace period with no confirmation after it, or no lapse
    date"."""
    if state.lapse is None:
        return Finding("review_due", None, f"H13: review due: no lapse date ({state.lapse_fact})")
    grace_end = _add(state.lapse, state.policy.grace_days)
    line = (
        f"H13: review due: grace period ended on {grace_end} (lapse date {state.lapse}, "
        f"{state.lapse_fact})"
    )
    confirmation = state.facts.end_confirmation
    if confirmation is not None and confirmation.confirmed_on is not None:
        if confirmation.confirmed_on <= grace_end:
            line += f"; the end confirmation of {confirmation.confirmed_on} predates it"
        else:
            line += f"; the end confirmation is dated {confirmation.confirmed_on}, after today"
    return Finding("review_due", None, line + "; in force until an end is confirmed")


# Tried in this order; the first that applies is the status (PROTOCOL.md "Status").
STATUS_RULES: Mapping[str, Callable[[State], Finding | None]] = MappingProxyType(
    {
        "H8": not_covered,
        "H9": overridden,
        "H10": regularised,
        "H11": active,
        "H12": ending,
        "H14": ended,
        "H13": review_due,
    }
)


def decide_status(state: State) -> Finding:
    """PROTOCOL.md "Status": "Evaluate in this order; the first that applies is the
    status"."""
    for status_rule in STATUS_RULES.values():
        finding = status_rule(state)
        if finding is not None:
            return finding
    raise AssertionError("unreachable: H13 review_due applies otherwise")


RULES: Mapping[str, Callable[..., object]] = MappingProxyType(
    {
        "H0": counted_cases,
        **CASE_RULES,
        **SUPPORT_RULES,
        **APPLICATION_RULES,
        **{
            rule_id: STATUS_RULES[rule_id]
            for rule_id in sorted(STATUS_RULES, key=lambda r: int(r[1:]))
        },
    }
)


# --- evaluate ----------------------------------------------------------------------------------


def evaluate(facts: Facts, on: date, policy: Policy = DEFAULT_POLICY) -> Decision:
    """Decide one victim's hold from their facts, on the date `on`, under `policy`."""
    if isinstance(on, datetime) or not isinstance(on, date):
        raise TypeError(f"evaluate() needs a date for `on`, got {type(on).__name__}")
    counted, role_notes, witnesses_left_out = counted_cases(facts, policy)
    if not counted:
        state = State(
            facts=facts,
            on=on,
            policy=policy,
            counted=counted,
            witnesses_left_out=witnesses_left_out,
            applications=[],
            grounds=(),
            limbs_held=frozenset(),
            lapse=None,
            lapse_fact="",
            override_last_day=None,
        )
        # "grounds, flags and protected_until are then empty"; nothing can change by date.
        line = decide_status(state).line
        return Decision(
            "not_covered", False, (), None, (), (line,), RULESET_VERSION, policy.values()
        )

    readings: list[Reading] = []
    for name, case in counted:
        for case_rule in CASE_RULES.values():
            readings.extend(case_rule(case, name, on, policy))
    engagements = [
        (f"support engagement {engagement.label or number}", engagement)
        for number, engagement in enumerate(facts.support, start=1)
    ]
    for name, engagement in engagements:
        for support_rule in SUPPORT_RULES.values():
            readings.extend(support_rule(engagement, name, on, policy))
    applications = [
        (f"application {application.label or number}", application)
        for number, application in enumerate(facts.applications, start=1)
    ]
    for name, application in applications:
        for application_rule in APPLICATION_RULES.values():
            readings.extend(application_rule(application, name, on, policy))

    holding = [reading for reading in readings if reading.ground is not None]
    grounds = tuple(sorted({reading.ground for reading in holding if reading.ground is not None}))
    lapse, lapse_fact = lapse_date(readings, counted, policy)
    last_in_force = override_last_day(facts, policy)
    state = State(
        facts,
        on,
        policy,
        counted,
        witnesses_left_out,
        applications,
        grounds,
        frozenset(reading.limb for reading in holding),
        lapse,
        lapse_fact,
        last_in_force,
    )
    finding = decide_status(state)

    explanation = [finding.line, *role_notes]
    for reading in holding:
        explanation.append(f"{reading.rule}: {reading.fact}")
        if reading.h0 is not None:
            explanation.append(reading.h0)
    override_note = override_without_date(facts)
    if override_note is not None:
        explanation.append(override_note)
    flags: list[str] = []
    if role_notes or override_note is not None or any(r.h0 is not None for r in holding):
        flags.append("data_incomplete")
    overdue = False
    for name, engagement in engagements:
        overdue_line = support_contact_overdue(engagement, name, on, policy)
        if overdue_line is not None:
            overdue = True
            explanation.append(overdue_line)
    if overdue:
        flags.append("support_contact_overdue")
    if finding.status == "overridden" and last_in_force is not None:
        expiring_from = _add(last_in_force, -OVERRIDE_EXPIRING_DAYS)
        if on >= expiring_from:
            flags.append("override_expiring")
            explanation.append(f"H9: override expiring: last day in force {last_in_force}")

    return Decision(
        finding.status,
        finding.status in IN_FORCE_STATUSES,
        grounds,
        finding.protected_until,
        tuple(sorted(flags)),
        tuple(explanation),
        RULESET_VERSION,
        policy.values(),
        next_change(state, readings, engagements),
    )


def next_change(
    state: State, readings: list[Reading], engagements: list[tuple[str, SupportFacts]]
) -> date | None:
    """The first date after `on` on which the same facts could decide otherwise.

    Conservative: every date on which a window closes, a grace period ends, a flag starts or
    stops, an override starts or lapses, a grant's leave expires or an end confirmation takes
    effect, and every fact date later than `on`. None when nothing can change.
    """
    on = state.on
    policy = state.policy
    facts = state.facts
    dates: list[date | None] = []
    for reading in readings:
        if reading.holds_until is not None:
            dates.append(_add(reading.holds_until, 1))
    if state.lapse is not None and state.lapse != NEVER:
        dates.append(_add(state.lapse, policy.grace_days + 1))
    for _, case in state.counted:
        dates += (case.referred_on, case.closed_on, case.concluded_on)
    for _, engagement in engagements:
        dates += (engagement.started_on, engagement.last_contact_on, engagement.closed_on)
        since = _contact_date(engagement)[0]
        if since is not None and engagement.status in _SUPPORT_OPEN:
            dates.append(_add(since, policy.support_review_days + 1))
            dates.append(_add(since, policy.support_stale_days + 1))
    for _, application in state.applications:
        dates += (application.submitted_on, application.decided_on)
        if application.leave_expires_on is not None:
            # Leave in force to its expiry date: a grant stops counting the day after.
            dates.append(_add(application.leave_expires_on, 1))
    override = facts.override
    if override is not None:
        # expires_on counts only through the last day in force, below.
        dates.append(override.approved_on)
    if state.override_last_day is not None:
        dates.append(_add(state.override_last_day, -OVERRIDE_EXPIRING_DAYS))
        dates.append(_add(state.override_last_day, 1))
    if facts.end_confirmation is not None:
        dates.append(facts.end_confirmation.confirmed_on)
    later = [day for day in dates if day is not None and day > on]
    return min(later) if later else None
