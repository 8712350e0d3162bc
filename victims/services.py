"""Writes for support referrals, engagement updates and applications. One transaction each.

Each change to a fact the rules read bumps the victim's `facts_version` and asks a worker to
re-evaluate the hold after commit (`facts_changed`, here because the version is the victim's;
it asks by the task's name, as the protocol app sits above this one: ADR 0002, ADR 0008).
"""

import logging
from datetime import date
from typing import Any
from uuid import UUID

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Organisation, User
from core.errors import ConflictError
from core.roles import OrganisationKind
from core.triggers import Trigger
from core.validation import check_not_before, check_not_future, long_date, raise_if, require
from protocol.rules import values
from protocol.rules.signposting import signpost

from . import disclosure
from .models import (
    OPEN_SUPPORT_STATUSES,
    REFERRAL_ACCEPTED,
    REFERRAL_DECLINED,
    REFERRAL_NEW,
    Application,
    ApplicationChange,
    Disclosure,
    SignpostingGiven,
    SupportConsent,
    SupportEngagement,
    SupportUpdate,
    Victim,
)
from .selectors import signposting_facts

# What a support organisation is shown of the victim: the one declaration (victims.disclosure).
REFERRAL_CATEGORIES = disclosure.categories_for(disclosure.SUPPORT_ADVISER)
REFERRAL_PURPOSE = "Referral for independent support and advice, with the victim's consent"
CONSENT_WITHDRAWN_PURPOSE = "The victim withdrew their consent: the organisation's access ended"
DECIDED_STATUSES = ("granted", "refused", "challenge_dismissed", "withdrawn", "invalid")
NRM_DECISIONS = ("rg_positive", "rg_negative", "cg_positive", "cg_negative")

logger = logging.getLogger(__name__)

ERASED_RECORD = (
    "This person's identifying data was erased under the retention policy, so the record "
    "cannot change: make a new referral."
)

# The protocol app's task, asked for by name: this app sits beneath it and imports none of it.
# Triggers are the values of `protocol.models.HoldDecision.Trigger` ("referral", "case_status",
# "support", "application"...); the task treats any other as a sweep.
REEVALUATE_HOLD_TASK = "protocol.tasks.reevaluate_hold"


def facts_changed(*, victim_id: UUID, trigger: Trigger, enqueue: bool = True) -> None:
    """Record that a fact the rules read has changed: bump `facts_version` now, and ask a
    worker to re-evaluate once the change has committed. Call inside the change's transaction.

    If the broker is unreachable the message is lost, but the bumped version is not: the sweep
    finds the hold lagging and re-evaluates it.

    `enqueue=False` is for a service that re-evaluates the hold itself, after the bump, in the
    same transaction (overrides, end confirmations, merges): the hold commits evaluated at the
    new version, so a worker's pass would only repeat that work. Should that transaction's
    re-evaluation not happen (it raised), the change rolls back with it, so nothing is owed.
    """
    bumped = Victim.objects.filter(pk=victim_id, erased_at__isnull=True).update(
        facts_version=F("facts_version") + 1
    )
    if not bumped and Victim.objects.filter(pk=victim_id, erased_at__isnull=False).exists():
        # Retention erased this person's identifying data: the record is frozen.
        raise ConflictError(ERASED_RECORD)
    if enqueue:
        transaction.on_commit(lambda: enqueue_reevaluation(victim_id, trigger), robust=True)


def enqueue_reevaluation(victim_id: UUID, trigger: str) -> None:
    """Send the re-evaluation task, by name. Never raises: a message that cannot be sent is
    repaired by the sweep, which finds the hold lagging its facts."""
    try:
        current_app.send_task(REEVALUATE_HOLD_TASK, args=(str(victim_id), str(trigger)))
    except Exception:
        logger.warning(
            "Could not enqueue re-evaluation of victim %s; the sweep will pick it up",
            victim_id,
            exc_info=True,
        )


def disclosure_record(
    *,
    victim: Victim,
    organisation: Organisation,
    categories: list[str],
    purpose: str,
    by: User | None = None,
) -> Disclosure:
    """Record that the victim's data was disclosed to `organisation` (told to the victim)."""
    return Disclosure.objects.create(
        victim=victim, organisation=organisation, categories=categories, purpose=purpose, by=by
    )


@transaction.atomic
def support_referral_create(
    *, victim: Victim, by: User, organisation_code: str, consent_given_on: date | None
) -> SupportEngagement:
    """Refer the victim to a support organisation, with the victim's consent recorded."""
    errors: dict[str, list[str]] = {}
    require(
        errors,
        "consent_given_on",
        consent_given_on,
        "Record the date the victim consented to the referral: without consent, no referral.",
    )
    check_not_future(errors, "consent_given_on", consent_given_on)
    organisation = Organisation.objects.filter(
        code=organisation_code, kind=OrganisationKind.SUPPORT_ORGANISATION
    ).first()
    if organisation is None:
        errors.setdefault("organisation", []).append(
            f"No support organisation has the code {organisation_code!r}."
        )
    raise_if(errors)
    assert organisation is not None and consent_given_on is not None  # raise_if refused both
    if SupportEngagement.objects.filter(
        victim=victim, organisation=organisation, status__in=OPEN_SUPPORT_STATUSES
    ).exists():
        raise ConflictError(f"The victim is already referred to {organisation.name}.")
    consent = SupportConsent.objects.create(
        victim=victim, organisation=organisation, given_on=consent_given_on, recorded_by=by
    )
    engagement = SupportEngagement.objects.create(
        victim=victim,
        organisation=organisation,
        status="referred",
        started_on=timezone.localdate(),
        consent=consent,
        referred_by=by,
        referring_force=by.organisation,
    )
    assign_perm("victims.view_victim", organisation.group, victim)
    assign_perm("victims.change_victim", organisation.group, victim)
    disclosure_record(
        victim=victim,
        organisation=organisation,
        categories=REFERRAL_CATEGORIES,
        purpose=REFERRAL_PURPOSE,
        by=by,
    )
    facts_changed(victim_id=victim.pk, trigger=Trigger.SUPPORT)
    return engagement


@transaction.atomic
def support_update(
    *,
    victim: Victim,
    by: User,
    status: str,
    contact_on: date | None = None,
    closed_on: date | None = None,
    note: str = "",
) -> SupportEngagement:
    """Record an adviser's engagement update for their organisation's engagement."""
    engagement = (
        SupportEngagement.objects.select_for_update()
        .filter(victim=victim, organisation=by.organisation)
        .order_by("-started_on", "-created_at")
        .first()
    )
    if engagement is None:
        raise ConflictError("Your organisation has no engagement with this victim.")
    errors: dict[str, list[str]] = {}
    if status not in values.SUPPORT_STATUSES:
        errors["status"] = [f"Choose one of: {', '.join(values.SUPPORT_STATUSES)}."]
    for field, value in (("contact_on", contact_on), ("closed_on", closed_on)):
        check_not_future(errors, field, value)
        check_not_before(errors, field, value, engagement.started_on, "the referral")
    if status in ("closed", "disengaged"):
        require(errors, "closed_on", closed_on, "Give the date the engagement ended.")
    elif closed_on is not None:
        errors.setdefault("closed_on", []).append(
            "Only a closed or disengaged engagement has an end date."
        )
    if not engagement.is_open and status in OPEN_SUPPORT_STATUSES:
        errors.setdefault("status", []).append(
            "This engagement has ended: ask the police to make a new referral."
        )
    raise_if(errors)
    engagement.status = status
    if contact_on is not None and (
        engagement.last_contact_on is None or contact_on > engagement.last_contact_on
    ):
        engagement.last_contact_on = contact_on
    engagement.closed_on = closed_on
    engagement.full_clean()
    engagement.save()
    SupportUpdate.objects.create(
        engagement=engagement,
        by=by,
        status=status,
        contact_on=contact_on,
        closed_on=closed_on,
        note=note,
    )
    if not engagement.is_open:
        organisation_access_end(victim=victim, organisation=by.organisation)
    facts_changed(victim_id=victim.pk, trigger=Trigger.SUPPORT)
    return engagement


def organisation_access_end(*, victim: Victim, organisation) -> None:
    """A support organisation's access to the victim ends with its engagement: its grants go
    in the change's transaction, and its advisers get 404 from then on. A new referral (a new
    disclosure, with consent) grants access again."""
    if SupportEngagement.objects.filter(
        victim=victim, organisation=organisation, status__in=OPEN_SUPPORT_STATUSES
    ).exists():
        return
    _grants_remove(victim=victim, organisation=organisation)


def _grants_remove(*, victim: Victim, organisation) -> None:
    """The organisation's advisers may no longer read or change the victim (404 from now)."""
    for permission in ("victims.view_victim", "victims.change_victim"):
        remove_perm(permission, organisation.group, victim)


def _validate_application(data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    route, status = data.get("route"), data.get("status")
    if route not in values.APPLICATION_ROUTES:
        errors["route"] = [f"Choose one of: {', '.join(values.APPLICATION_ROUTES)}."]
    else:
        allowed = values.NRM_STATUSES if route == values.NRM_ROUTE else values.APPLICATION_STATUSES
        if status not in allowed:
            errors["status"] = [f"For the {route} route choose one of: {', '.join(allowed)}."]
    for field in ("submitted_on", "decided_on"):
        check_not_future(errors, field, data.get(field))
    check_not_before(
        errors, "decided_on", data.get("decided_on"), data.get("submitted_on"), "submission"
    )
    if status in DECIDED_STATUSES or status in NRM_DECISIONS:
        require(errors, "decided_on", data.get("decided_on"), "Give the date of the decision.")
    if data.get("leave_expires_on") is not None and status != "granted":
        errors.setdefault("leave_expires_on", []).append(
            "Only a granted application has a date its leave expires."
        )
    raise_if(errors)


APPLICATION_FIELDS = ("route", "status", "submitted_on", "decided_on", "leave_expires_on")


@transaction.atomic
def application_create(*, victim: Victim, by: User, **data: Any) -> Application:
    """Record an application or referral that could regularise the victim's stay."""
    data = {key: data.get(key) for key in APPLICATION_FIELDS}
    _validate_application(data)
    application = Application(victim=victim, organisation=by.organisation, recorded_by=by, **data)
    application.full_clean()
    application.save(force_insert=True)
    _history(application, by, before={})
    facts_changed(victim_id=victim.pk, trigger=Trigger.APPLICATION)
    return application


@transaction.atomic
def application_update(*, application: Application, by: User, **changes: Any) -> Application:
    """Change an application's status or dates; its route is fixed once recorded."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if "route" in changes and changes["route"] != application.route:
        raise ValidationError({"route": "The route cannot change: record a new application."})
    data = {key: getattr(application, key) for key in APPLICATION_FIELDS}
    before = dict(data)
    data.update({key: value for key, value in changes.items() if key in APPLICATION_FIELDS})
    _validate_application(data)
    for key, value in data.items():
        setattr(application, key, value)
    application.full_clean()
    application.save()
    _history(application, by, before=before)
    facts_changed(victim_id=application.victim_id, trigger=Trigger.APPLICATION)
    return application


# --- A support referral's lifecycle ----------------------------------------------------------


def _referral_for_decision(engagement: SupportEngagement) -> SupportEngagement:
    """The referral, locked; 409 unless it is still new (accepted or declined once, for good)."""
    engagement = SupportEngagement.objects.select_for_update().get(pk=engagement.pk)
    if engagement.referral_status != REFERRAL_NEW:
        raise ConflictError(
            f"This referral has already been {engagement.referral_status}: nothing was changed."
        )
    if not engagement.is_open:
        raise ConflictError("This referral's engagement has ended: nothing was changed.")
    return engagement


@transaction.atomic
def support_referral_accept(*, engagement: SupportEngagement, by: User) -> SupportEngagement:
    """The support organisation accepts a new referral made to it (409 once decided)."""
    engagement = _referral_for_decision(engagement)
    engagement.referral_status = REFERRAL_ACCEPTED
    engagement.referral_decided_at = timezone.now()
    engagement.referral_decided_by = by
    engagement.save(
        update_fields=[
            "referral_status",
            "referral_decided_at",
            "referral_decided_by",
            "updated_at",
        ]
    )
    return engagement


@transaction.atomic
def support_referral_decline(
    *, engagement: SupportEngagement, by: User, reason: str
) -> SupportEngagement:
    """The support organisation declines a new referral, with a reason: the engagement closes
    today, the organisation's access ends with it, and the hold is re-evaluated."""
    errors: dict[str, list[str]] = {}
    require(errors, "reason", (reason or "").strip(), "Give the reason for declining.")
    raise_if(errors)
    engagement = _referral_for_decision(engagement)
    today = timezone.localdate()
    engagement.referral_status = REFERRAL_DECLINED
    engagement.referral_decided_at = timezone.now()
    engagement.referral_decided_by = by
    engagement.decline_reason = reason.strip()
    engagement.status = "closed"
    engagement.closed_on = today
    engagement.save()
    SupportUpdate.objects.create(
        engagement=engagement, by=by, status="closed", closed_on=today, note="Referral declined"
    )
    organisation_access_end(victim=engagement.victim, organisation=engagement.organisation)
    facts_changed(victim_id=engagement.victim_id, trigger=Trigger.SUPPORT)
    return engagement


# --- Consent withdrawal ----------------------------------------------------------------------


@transaction.atomic
def consent_withdraw(
    *, victim: Victim, by: User, organisation_code: str, withdrawn_on: date | None
) -> SupportConsent:
    """The victim withdraws consent to their referral to an organisation: in one transaction
    its grants go (its users get 404 from then on), its engagement closes on `withdrawn_on`,
    the withdrawal is written on the victim's disclosure record, and the hold is re-evaluated
    after commit. 400 for an organisation with no referral; 409 when already withdrawn."""
    errors: dict[str, list[str]] = {}
    require(errors, "withdrawn_on", withdrawn_on, "Give the date the victim withdrew consent.")
    check_not_future(errors, "withdrawn_on", withdrawn_on)
    engagement = (
        SupportEngagement.objects.select_for_update()
        .select_related("organisation", "consent")
        .filter(victim=victim, organisation__code=organisation_code)
        .order_by("-started_on", "-created_at")
        .first()
    )
    own = _organisation_of(by)
    if own.kind == OrganisationKind.SUPPORT_ORGANISATION and organisation_code != own.code:
        errors.setdefault("organisation", []).append(
            "You can record a withdrawal of consent only for your own organisation."
        )
    elif engagement is None:
        errors.setdefault("organisation", []).append(
            f"This victim has no referral to an organisation with the code {organisation_code!r}."
        )
    raise_if(errors)
    assert engagement is not None and withdrawn_on is not None  # raise_if refused both
    consent = SupportConsent.objects.select_for_update().get(pk=engagement.consent_id)
    if consent.withdrawn_on is not None:
        raise ConflictError(
            f"Consent to the referral to {engagement.organisation.name} was already withdrawn "
            f"on {long_date(consent.withdrawn_on)}: nothing was changed."
        )
    last_contact = engagement.last_contact_on or engagement.started_on
    what = "the last recorded contact" if engagement.last_contact_on else "the referral"
    check_not_before(errors, "withdrawn_on", withdrawn_on, last_contact, what)
    raise_if(errors)
    consent.withdrawn_on = withdrawn_on
    consent.withdrawn_by = by
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_on", "withdrawn_by", "withdrawn_at"])
    if engagement.is_open:
        engagement.status = "closed"
        engagement.closed_on = withdrawn_on
        engagement.save(update_fields=["status", "closed_on", "updated_at"])
        SupportUpdate.objects.create(
            engagement=engagement,
            by=by,
            status="closed",
            closed_on=withdrawn_on,
            note="Consent withdrawn",
        )
    _grants_remove(victim=victim, organisation=engagement.organisation)
    Disclosure.objects.create(
        victim=victim,
        organisation=engagement.organisation,
        categories=[],
        purpose=CONSENT_WITHDRAWN_PURPOSE,
        by=by,
        consent_withdrawn_on=withdrawn_on,
    )
    facts_changed(victim_id=victim.pk, trigger=Trigger.SUPPORT)
    return consent


# --- Applications' history and take-over -----------------------------------------------------


def _organisation_of(user: User) -> Organisation:
    """The user's organisation (every user who may write facts has one)."""
    assert user.organisation is not None
    return user.organisation


def _as_text(value) -> str:
    return "" if value is None else str(value)


def _history(application: Application, by: User, before: dict[str, Any]) -> None:
    """One history row per field whose value changed (from `before`), in the caller's
    transaction."""
    ApplicationChange.objects.bulk_create(
        ApplicationChange(
            application=application,
            by=by,
            organisation=_organisation_of(by),
            field=field,
            from_value=_as_text(before.get(field)),
            to_value=_as_text(getattr(application, field)),
        )
        for field in APPLICATION_FIELDS
        if _as_text(before.get(field)) != _as_text(getattr(application, field))
    )


@transaction.atomic
def application_take_over(*, application: Application, by: User) -> Application:
    """An adviser of an organisation supporting the person takes over an application whose
    organisation has lost access to them. It keeps counting as it stands; its history records
    the take-over. 409 while its organisation still has access (or it is already theirs)."""
    application = (
        Application.objects.select_for_update()
        .select_related("organisation")
        .get(pk=application.pk)
    )
    if application.organisation_id == by.organisation_id:
        raise ConflictError("This application is already your organisation's.")
    if SupportEngagement.objects.filter(
        victim_id=application.victim_id,
        organisation_id=application.organisation_id,
        status__in=OPEN_SUPPORT_STATUSES,
    ).exists():
        raise ConflictError(
            f"{application.organisation.name} still supports this person: only they may "
            "change this application."
        )
    previous, taker = application.organisation, _organisation_of(by)
    application.organisation = taker
    application.save(update_fields=["organisation", "updated_at"])
    ApplicationChange.objects.create(
        application=application,
        by=by,
        organisation=taker,
        field="organisation",
        from_value=previous.code,
        to_value=taker.code,
    )
    return application


@transaction.atomic
def signposting_record(
    *, victim: Victim, by: User, given_on: date, language: str, on: date | None = None
) -> SignpostingGiven:
    """Record that the victim was given signposting: the routes the rules name for their facts
    today, when, in which language (ISO 639-1) and by whom."""
    if by.organisation is None:
        raise PermissionDenied("Only a member of an organisation may give signposting.")
    errors: dict[str, list[str]] = {}
    check_not_future(errors, "given_on", given_on)
    raise_if(errors)
    answer = signpost(signposting_facts(victim), on or timezone.localdate())
    return SignpostingGiven.objects.create(
        victim=victim,
        given_on=given_on,
        language=language,
        given_by=by,
        organisation=by.organisation,
        routes=[route.code for route in answer.routes],
    )
