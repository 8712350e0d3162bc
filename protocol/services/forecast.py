"""What-if forecast (API.md "Evaluating the protocol"): the victim's hold as it would be on a
date if some of the caller's own facts changed. The pure engine over the facts the workers
read, with the changes laid over them in memory: nothing is stored, nobody is notified.

A change names one of the caller's own records: a case of the caller's force (police), an
application the caller's organisation recorded, or the caller's organisation's support
engagement (advisers). Anything else is a 404, as if it did not exist. Dates up to `on` are
allowed here alone (a forecast is about the future).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from cases.selectors import can_change_case, case_list
from core.roles import POLICE_ROLES, Role
from victims.models import Victim

from ..policy import current_policy
from ..rules import Decision, evaluate, values
from ..snapshot import snapshot_for
from .simulation import SimulationInputError, check_on

CASE_FIELDS = {
    "investigation_status": values.INVESTIGATION_STATUSES,
    "closed_on": None,
    "outcome_code": None,
    "prosecution_status": values.PROSECUTION_STATUSES,
    "court": values.COURTS,
    "concluded_on": None,
}
APPLICATION_FIELDS = {
    "status": tuple(dict.fromkeys(values.APPLICATION_STATUSES + values.NRM_STATUSES)),
    "decided_on": None,
    "leave_expires_on": None,
}
SUPPORT_FIELDS = {"status": values.SUPPORT_STATUSES, "closed_on": None, "last_contact_on": None}
LEAVE_MAY_BE_AHEAD = {"leave_expires_on"}


def _typed(
    field: str, value: Any, allowed: tuple | None, on: date, errors: dict, where: str
) -> Any:
    if allowed is not None:
        if value is None and field == "court":
            return None
        if value not in allowed:
            errors[f"{where}.{field}"] = [f"Give one of: {', '.join(allowed)}."]
        return value
    if field == "outcome_code":
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 22
        ):
            errors[f"{where}.{field}"] = ["Give a Home Office outcome type from 1 to 22."]
        return value
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        errors[f"{where}.{field}"] = ["Give a date as YYYY-MM-DD."]
        return None
    if day > on and field not in LEAVE_MAY_BE_AHEAD:
        errors[f"{where}.{field}"] = ["A date in a forecast may not be after `on`."]
    return day


def _fields(change: Mapping, known: Mapping, on: date, errors: dict, where: str) -> dict:
    given = {
        key: value for key, value in change.items() if key not in ("case", "application", "support")
    }
    unknown = sorted(set(given) - set(known))
    if unknown:
        errors[where] = [f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(known)}."]
    if not given:
        errors.setdefault(where, ["Give at least one field to change."])
    return {
        key: _typed(key, value, known[key], on, errors, where)
        for key, value in given.items()
        if key in known
    }


def _position(records: Sequence, target_id) -> int | None:
    for index, record in enumerate(records):
        if record.pk == target_id:
            return index
    return None


def hold_forecast(*, user, victim: Victim, on: date | None, changes: object) -> Decision:
    """The decision for `victim` (already scoped to the caller) on `on` with `changes` laid
    over the recorded facts. Explanation lines name the records' references: mask them for
    the caller (`selectors.mask_case_references`) before showing them. Raises
    `SimulationInputError` (a 400 naming the field) or `LookupError` (a 404) for a record that
    is not the caller's."""
    on = check_on(on)
    if not isinstance(changes, list):
        raise SimulationInputError({"changes": ["Give a list of changes (it may be empty)."]})
    facts = snapshot_for(victim.pk).facts
    # The same order as the snapshot's (`FACTS_COLUMNS`), so positions match.
    cases = list(victim.cases.order_by("referred_on", "created_at", "id"))
    applications = list(victim.applications.order_by("submitted_on", "created_at", "id"))
    engagements = list(
        victim.support_engagements.select_related("organisation").order_by(
            "started_on", "created_at", "id"
        )
    )
    case_facts, application_facts = list(facts.cases), list(facts.applications)
    support_facts = list(facts.support)
    errors: dict[str, list[str]] = {}
    for number, change in enumerate(changes):
        where = f"changes[{number}]"
        if (
            not isinstance(change, Mapping)
            or sum(k in change for k in ("case", "application", "support")) != 1
        ):
            errors[where] = ["Name one of `case`, `application` or `support` in each change."]
            continue
        if "case" in change:
            index = _position(cases, _uuid(change["case"]))
            if (
                index is None
                or not user.has_role(*POLICE_ROLES)
                or not can_change_case(user=user, case=cases[index])
                or not case_list(user=user).filter(pk=cases[index].pk).exists()
            ):
                raise LookupError(change["case"])
            fields = _fields(change, CASE_FIELDS, on, errors, where)
            if "court" in fields:
                fields["court"] = fields["court"] or None
            case_facts[index] = dataclasses.replace(case_facts[index], **fields)
        elif "application" in change:
            index = _position(applications, _uuid(change["application"]))
            if (
                index is None
                or not user.has_role(Role.SUPPORT_ADVISER)
                or (applications[index].organisation_id != user.organisation_id)
            ):
                raise LookupError(change["application"])
            fields = _fields(change, APPLICATION_FIELDS, on, errors, where)
            application_facts[index] = dataclasses.replace(application_facts[index], **fields)
        else:
            organisation = getattr(user.organisation, "code", None)
            index = next(
                (i for i, e in enumerate(engagements) if e.organisation.code == change["support"]),
                None,
            )
            if (
                index is None
                or not user.has_role(Role.SUPPORT_ADVISER)
                or (change["support"] != organisation)
            ):
                raise LookupError(change["support"])
            fields = _fields(change, SUPPORT_FIELDS, on, errors, where)
            support_facts[index] = dataclasses.replace(support_facts[index], **fields)
    if errors:
        raise SimulationInputError(errors)
    forecast_facts = dataclasses.replace(
        facts,
        cases=tuple(case_facts),
        applications=tuple(application_facts),
        support=tuple(support_facts),
    )
    return evaluate(forecast_facts, on, current_policy())


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
