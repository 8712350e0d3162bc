"""A hold in each status, made through the real services wherever the rules give that status
(all but `not_covered`, which the engine gives only to a witness when witnesses are not
covered: its stored decision is written directly, as up to date with the facts)."""

import itertools

from django.utils import timezone

from cases.services import case_status_change
from protocol import services
from protocol.models import Hold
from protocol.rules import values
from tests.factories import days_ago, make_referral
from victims.models import Victim
from victims.services import application_create, support_referral_create

_numbers = itertools.count(1)


def _referral(officer):
    number = next(_numbers)
    return make_referral(
        officer,
        victim={"given_names": "Ines", "family_name": f"Status {number}"},
        case={"reported_on": days_ago(400), "referred_on": days_ago(399)},
    )


def _closed(officer, referral, days: int) -> None:
    case_status_change(
        case=referral.case,
        by=officer,
        changes={"investigation_status": "no_further_action", "closed_on": days_ago(days)},
    )
    services.hold_reevaluate(victim_id=referral.victim.pk)


def hold_in(status: str, *, officer, senior, senior2, adviser) -> Hold:
    """A new person's hold in `status`."""
    referral = _referral(officer)
    victim_id = referral.victim.pk
    if status == "ending":
        _closed(officer, referral, 100)  # the review window closed 10 days ago: in grace
    elif status in ("review_due", "ended"):
        _closed(officer, referral, 398)
        if status == "ended":
            services.end_confirm(
                hold_reference=referral.hold.reference, by=senior, reason="left_the_uk"
            )
    elif status == "overridden":
        override = services.override_request(
            by=senior,
            hold_reference=referral.hold.reference,
            category="serious_harm_risk",
            justification="Intelligence report 42.",
            expires_on=None,
        )
        services.override_approve(override_id=override.pk, by=senior2)
    elif status == "regularised":
        _closed(officer, referral, 398)
        support_referral_create(
            victim=referral.victim,
            by=officer,
            organisation_code=adviser.organisation.code,
            consent_given_on=timezone.localdate(),
        )
        application_create(
            victim=referral.victim,
            by=adviser,
            route="asylum",
            status="granted",
            submitted_on=days_ago(60),
            decided_on=days_ago(1),
        )
        services.hold_reevaluate(victim_id=victim_id)
    elif status == "not_covered":
        Hold.objects.filter(victim_id=victim_id).update(
            status="not_covered",
            in_force=False,
            grounds=[],
            protected_until=None,
            evaluated_version=Victim.objects.get(pk=victim_id).facts_version,
            next_due_on=None,
        )
    hold = Hold.objects.get(victim_id=victim_id)
    assert hold.status == status, hold.explanation
    assert hold.in_force == (status in values.IN_FORCE_STATUSES)
    return hold
