"""A support referral's whole life, with the notifications it owes: made (to the support
organisation), accepted or declined (to the referring force), consent withdrawn (to the
organisation and the referring force). The facts are written by `victims.services`; this
module adds the notification in the same transaction (notifications are the protocol app's,
and it sits above the victims app)."""

from datetime import date

from django.db import transaction

from accounts.models import User
from core.validation import long_date
from victims import services as victim_services
from victims.models import SupportConsent, SupportEngagement, Victim

from ..models import Hold
from .notifications import notify_organisation


def _hold(victim_id) -> Hold:
    return Hold.objects.get(victim_id=victim_id)


@transaction.atomic
def support_referral_make(
    *, victim: Victim, by: User, organisation_code: str, consent_given_on: date | None
) -> SupportEngagement:
    """Refer the victim to a support organisation (`victims.services.support_referral_create`)
    and tell the organisation."""
    engagement = victim_services.support_referral_create(
        victim=victim,
        by=by,
        organisation_code=organisation_code,
        consent_given_on=consent_given_on,
    )
    hold = _hold(victim.pk)
    notify_organisation(
        organisation=engagement.organisation,
        hold=hold,
        kind="support_referral_made",
        message=f"New support referral for victim {victim.reference} (hold {hold.reference}).",
    )
    return engagement


@transaction.atomic
def support_referral_accept(*, engagement: SupportEngagement, by: User) -> SupportEngagement:
    """The organisation accepts the referral; the referring force is told."""
    engagement = victim_services.support_referral_accept(engagement=engagement, by=by)
    _tell_force(engagement, "support_referral_accepted", "accepted")
    return engagement


@transaction.atomic
def support_referral_decline(
    *, engagement: SupportEngagement, by: User, reason: str
) -> SupportEngagement:
    """The organisation declines the referral with a reason; the referring force is told."""
    engagement = victim_services.support_referral_decline(
        engagement=engagement, by=by, reason=reason
    )
    _tell_force(engagement, "support_referral_declined", "declined")
    return engagement


def _tell_force(engagement: SupportEngagement, kind: str, what: str) -> None:
    if engagement.referring_force is None:
        return
    hold = _hold(engagement.victim_id)
    notify_organisation(
        organisation=engagement.referring_force,
        hold=hold,
        kind=kind,
        message=(
            f"{engagement.organisation.name} {what} the support referral for victim "
            f"{engagement.victim.reference} (hold {hold.reference})."
        ),
    )


@transaction.atomic
def consent_withdraw(
    *, victim: Victim, by: User, organisation_code: str, withdrawn_on: date | None
) -> SupportConsent:
    """Record the victim's withdrawal of consent (`victims.services.consent_withdraw`) and tell
    the organisation and the referring force."""
    consent = victim_services.consent_withdraw(
        victim=victim, by=by, organisation_code=organisation_code, withdrawn_on=withdrawn_on
    )
    hold = _hold(victim.pk)
    assert consent.withdrawn_on is not None
    message = (
        f"Consent to the support referral of victim {victim.reference} (hold {hold.reference}) "
        f"to {consent.organisation.name} was withdrawn on {long_date(consent.withdrawn_on)}."
    )
    engagement = SupportEngagement.objects.filter(consent=consent).first()
    recipients = {consent.organisation.pk: consent.organisation}
    if engagement is not None and engagement.referring_force is not None:
        recipients[engagement.referring_force.pk] = engagement.referring_force
    for organisation in recipients.values():
        notify_organisation(
            organisation=organisation, hold=hold, kind="consent_withdrawn", message=message
        )
    return consent
