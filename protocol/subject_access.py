"""Subject access (UK GDPR article 15; API.md "Data lifecycle and notifications"): everything the
service holds about one person, for a police supervisor of a force with a case of theirs.

Reads only. Another force's case appears only as "a case of another force" with its dates and
statuses: never its reference, crime reference, narrative, officer or notes, and the hold's
explanation lines name only the caller's own cases (`selectors.hold_for_victim`).
"""

from typing import Any

from django.utils import timezone

from accounts.models import User
from cases.models import Case
from victims.models import Victim
from victims.selectors import victim_get

from .models import EndConfirmation, HoldCheck, Override
from .selectors import hold_for_victim

ANOTHER_FORCE = "a case of another force"


def subject_access_victim(*, user: User, victim_id) -> Victim:
    """The victim, if the user's force has a case of theirs (`Victim.DoesNotExist` otherwise)."""
    victim = victim_get(user=user, victim_id=victim_id)
    if not Case.objects.filter(victim=victim, force_id=user.organisation_id).exists():
        raise Victim.DoesNotExist
    return victim


def _organisation(organisation) -> dict[str, str]:
    return {"code": organisation.code, "name": organisation.name}


def _case(case: Case, *, own: bool) -> dict[str, Any]:
    statuses = {
        "role": case.role,
        "reported_on": case.reported_on,
        "referred_on": case.referred_on,
        "investigation_status": case.investigation_status,
        "closed_on": case.closed_on,
        "prosecution_status": case.prosecution_status,
        "concluded_on": case.concluded_on,
    }
    if not own:
        return {"case": ANOTHER_FORCE, **statuses}
    return {
        "case": case.reference,
        "force": _organisation(case.force),
        "crime_reference": case.crime_reference,
        "crime_type": case.crime_type,
        **statuses,
        "outcome_code": case.outcome_code,
        "court": case.court,
        "narrative": case.narrative,
        "status_changes": [
            {"at": change.at, "changes": change.changes, "note": change.note}
            for change in case.status_changes.all()
        ],
    }


def _decision(decision) -> dict[str, Any]:
    """A decision's fields as the hold API gives them (explanations already masked)."""
    return {
        "status": decision.status,
        "in_force": decision.in_force,
        "grounds": list(decision.grounds),
        "protected_until": decision.protected_until,
        "flags": list(decision.flags),
        "explanation": list(decision.explanation),
        "ruleset": decision.ruleset,
        "evaluated_on": decision.evaluated_on,
    }


def subject_access_export(*, user: User, victim: Victim) -> dict[str, Any]:
    """Everything held about the person (see the module's docstring for another force's cases)."""
    cases = (
        Case.objects.filter(victim=victim)
        .select_related("force")
        .prefetch_related("status_changes")
    )
    hold = hold_for_victim(victim, user=user)
    engagements = victim.support_engagements.select_related("organisation").prefetch_related(
        "updates"
    )
    return {
        "generated_at": timezone.now(),
        "generated_for": _organisation(user.organisation),
        "person": {
            "reference": victim.reference,
            "given_names": victim.given_names,
            "family_name": victim.family_name,
            "date_of_birth": victim.date_of_birth,
            "nationality": victim.nationality,
            "home_office_reference": victim.home_office_reference,
            "preferred_language": victim.preferred_language,
            "interpreter_needed": victim.interpreter_needed,
            "contact": victim.contact,
            "address": victim.address,
            "recorded_at": victim.created_at,
            "erased_at": victim.erased_at,
        },
        "dependants": [
            {
                "given_names": dependant.given_names,
                "family_name": dependant.family_name,
                "date_of_birth": dependant.date_of_birth,
            }
            for dependant in victim.dependants.all()
        ],
        "notices": [
            {"version": notice.version, "language": notice.language, "given_on": notice.given_on}
            for notice in victim.notices.all()
        ],
        "consents": [
            {"organisation": _organisation(consent.organisation), "given_on": consent.given_on}
            for consent in victim.consents.select_related("organisation")
        ],
        "cases": [_case(case, own=case.force_id == user.organisation_id) for case in cases],
        "support_engagements": [
            {
                "organisation": _organisation(engagement.organisation),
                "status": engagement.status,
                "started_on": engagement.started_on,
                "last_contact_on": engagement.last_contact_on,
                "closed_on": engagement.closed_on,
                "updates": [
                    {
                        "at": update.at,
                        "status": update.status,
                        "contact_on": update.contact_on,
                        "closed_on": update.closed_on,
                        "note": update.note,
                    }
                    for update in engagement.updates.all()
                ],
            }
            for engagement in engagements
        ],
        "applications": [
            {
                "route": application.route,
                "status": application.status,
                "submitted_on": application.submitted_on,
                "decided_on": application.decided_on,
                "leave_expires_on": application.leave_expires_on,
                "organisation": _organisation(application.organisation),
            }
            for application in victim.applications.select_related("organisation")
        ],
        "disclosures": [
            {
                "at": disclosure.at,
                "organisation": _organisation(disclosure.organisation),
                "categories": disclosure.categories,
                "purpose": disclosure.purpose,
            }
            for disclosure in victim.disclosures.select_related("organisation")
        ],
        "hold": {
            **_decision(hold),
            "reference": hold.reference,
            "status_since": hold.status_since,
            "history": [_decision(decision) for decision in hold.decisions.all()],
        },
        "overrides": [
            {
                "category": override.category,
                "status": override.status,
                "requested_at": override.requested_at,
                "approved_on": override.approved_on,
                "expires_on": override.expires_on,
                "revoked_at": override.revoked_at,
            }
            for override in Override.objects.filter(hold=hold)
        ],
        "end_confirmations": [
            {"confirmed_on": confirmation.confirmed_on, "reason": confirmation.reason}
            for confirmation in EndConfirmation.objects.filter(hold=hold)
        ],
        "hold_checks": [
            {"at": check.at, "answered_in_force": check.answered_in_force}
            for check in HoldCheck.objects.filter(hold=hold)
        ],
    }
