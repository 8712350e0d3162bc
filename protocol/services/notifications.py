"""Notifications to the forces and support organisations of a hold's steps."""

from django.db.models import Q

from accounts.models import Organisation

from ..models import Hold, Notification


def _interested_organisations(hold: Hold):
    """The referring forces and the support organisations engaged with the victim."""
    return Organisation.objects.filter(
        Q(cases__victim_id=hold.victim_id) | Q(support_engagements__victim_id=hold.victim_id)
    ).distinct()


def notify(*, hold: Hold, kind: str, message: str) -> None:
    """Tell the referring force and the support organisation about a step on their hold."""
    Notification.objects.bulk_create(
        Notification(organisation=organisation, hold=hold, kind=kind, message=message)
        for organisation in _interested_organisations(hold)
    )


def notify_organisation(
    *, organisation: Organisation, hold: Hold, kind: str, message: str
) -> Notification:
    """Tell one organisation about a step on a hold (a support referral made, accepted or
    declined; consent withdrawn; IE, when a merge ends an override). In the caller's
    transaction; the message names references only, never a person."""
    return Notification.objects.create(
        organisation=organisation, hold=hold, kind=kind, message=message
    )
