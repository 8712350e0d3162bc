"""Victim pages: the support advisers' list and the victim page (contact, engagement status,
applications), police referral to a support organisation, and the victim's printable record.

Reads go through `victims.selectors` (a victim not referred to the adviser's organisation, or
not on the officer's force's cases, is a 404). Every read, write and refusal is recorded in the
access log with the event the API records for it (`core.permissions.audited`). Support
advisers never see the crime narrative: their pages read cases without it.
"""

import datetime as dt
from functools import partial
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cases.selectors import case_list
from core.errors import ConflictError
from core.languages import victim_facing
from core.permissions import (
    ADVISER,
    COUNT_UP_TO,
    POLICE,
    POLICE_OR_ADVISER,
    audited,
    listed,
    method_action,
    record_role_refusal,
    role_required,
    viewed_or_404,
)
from core.roles import Role
from core.validation import long_date
from protocol.policy import current_policy
from protocol.selectors import hold_for_victim
from protocol.services import merges
from protocol.services import support as support_services

from . import disclosure, forms
from .models import (
    OPEN_SUPPORT_STATUSES,
    REFERRAL_NEW,
    Application,
    PossibleDuplicate,
    SupportEngagement,
    Victim,
)
from .record_words import CATEGORY_WORDS, GROUND_WORDS, PURPOSE_WORDS
from .selectors import (
    application_for_take_over,
    application_get,
    application_history,
    disclosure_list,
    notices_given,
    possible_duplicate_list,
    signposting_given,
    support_referral_get,
    support_referral_list,
    victim_get,
    victim_list,
    victims_matching,
)
from .selectors import victim_detail as victim_detail_selector
from .services import (
    application_create,
    application_update,
    support_update,
)
from .services import application_take_over as application_take_over_service

CREATE = {"POST": "create"}

# --- What needs doing -------------------------------------------------------------------------


def _challenge_window() -> int:
    return current_policy().challenge_window_days


def _open_challenges_query(today: dt.date):
    """Refused applications whose challenge window is still open today."""
    return Application.objects.filter(
        status="refused", decided_on__gte=today - dt.timedelta(days=_challenge_window())
    ).order_by("decided_on")


def needs_doing(victim, today: dt.date) -> list[dict]:
    """What the adviser should do next for this victim (from the hold's flags and the open
    challenge windows prefetched as `open_challenges`)."""
    items = []
    hold = getattr(victim, "hold", None)
    if hold is not None and "support_contact_overdue" in hold.flags:
        items.append({"kind": "contact_overdue", "text": _("Contact overdue: record your contact")})
    for application in getattr(victim, "open_challenges", []):
        closes = application.decided_on + dt.timedelta(days=_challenge_window())
        days = (closes - today).days
        items.append({"kind": "challenge_window", "text": _challenge_text(closes, days)})
    if hold is not None and "data_incomplete" in hold.flags:
        items.append({"kind": "data_incomplete", "text": _("Some facts are missing or unclear")})
    return items


def _challenge_text(closes: dt.date, days: int) -> str:
    """When a refusal's challenge window closes, and how many days are left."""
    date = long_date(closes)
    if days == 0:
        return _("Challenge window closes %(date)s (today)") % {"date": date}
    return ngettext(
        "Challenge window closes %(date)s (%(days)s day)",
        "Challenge window closes %(date)s (%(days)s days)",
        days,
    ) % {"date": date, "days": days}


@role_required(*ADVISER, object_type="victim", actions={"GET": "list"})
def victim_list_page(request):
    """My organisation's victims: hold status and what needs doing."""
    today = timezone.localdate()
    form = forms.VictimFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    victims = victim_list(user=request.user).select_related("hold")
    if form.errors:  # a search that could not be made lists nothing, beside its error
        victims = victims.none()
    if filters.get("q"):
        victims = victims_matching(victims, filters["q"])
    if filters.get("hold_status"):
        victims = victims.filter(hold__status=filters["hold_status"])
    overdue = Q(hold__flags__contains=["support_contact_overdue"])
    challenge = Q(pk__in=_open_challenges_query(today).values("victim_id"))
    needs = filters.get("needs")
    if needs == "contact_overdue":
        victims = victims.filter(overdue)
    elif needs == "challenge_window":
        victims = victims.filter(challenge)
    elif needs == "any":
        victims = victims.filter(overdue | challenge)
    victims = victims.prefetch_related(
        Prefetch("applications", queryset=_open_challenges_query(today), to_attr="open_challenges"),
    ).order_by("family_name_key", "given_names_key", "pk")
    page, listing = listed(request, victims, object_type="victim", count_up_to=COUNT_UP_TO)
    rows = [{"victim": victim, "needs": needs_doing(victim, today)} for victim in page]
    filtered = any(filters.get(name) for name in form.fields)
    return render(
        request,
        "victims/list.html",
        {"form": form, "rows": rows, "filtered": filtered, **listing, **_new_referrals(request)},
    )


def _new_referrals(request) -> dict:
    """The adviser's work list starts with the referrals still to accept or decline."""
    new = support_referral_list(user=request.user).filter(
        referral_status=REFERRAL_NEW, status__in=OPEN_SUPPORT_STATUSES
    )
    return {"new_referrals": list(new[:20]), "new_referrals_more": new[20:21].exists()}


# --- The victim page --------------------------------------------------------------------------


def _engagement(victim, organisation) -> SupportEngagement | None:
    """The adviser's organisation's engagement that `support_update` records against."""
    return (
        victim.support_engagements.filter(organisation=organisation)
        .order_by("-started_on", "-created_at")
        .first()
    )


@role_required(*POLICE_OR_ADVISER, object_type="victim")
def victim_detail(request, victim_id: UUID):
    """The victim, their hold, cases (no narrative for advisers) and support. Advisers record
    contact and engagement status here (POST), recorded as the API records a support update;
    applications have pages of their own."""
    user = request.user
    is_adviser = user.has_role(Role.SUPPORT_ADVISER)
    form = None
    if request.method == "POST":
        if not is_adviser:
            # Only advisers record support updates (the API's answer to police too).
            record_role_refusal(
                request,
                action=method_action(request),
                object_type="victim",
                url_kwargs={"victim_id": victim_id},
            )
            raise PermissionDenied
        form = forms.SupportUpdateForm(request.POST)
        if form.is_valid() and (done := _support_update(request, victim_id, form)):
            return done
    victim = viewed_or_404(
        request,
        partial(victim_detail_selector, visible_cases=case_list(user=user)),
        object_type="victim",
        hidden=Victim,
        victim_id=victim_id,
    )
    engagement = _engagement(victim, user.organisation) if is_adviser else None
    if engagement is None:
        form = None
    elif form is None:
        form = forms.SupportUpdateForm(initial={"status": engagement.status})
    return render(request, "victims/detail.html", _victim_context(victim, user, engagement, form))


def _support_update(request, victim_id: UUID, form):
    """Record the adviser's support update, as the API records it: where to go next, or None
    with the service's refusal put on the form."""
    try:
        with audited(
            request, action="change", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = victim_get(user=request.user, victim_id=victim_id)
            updated = support_update(victim=victim, by=request.user, **form.cleaned_data)
            access.detail = f"support update: {form.cleaned_data['status']}"
    except (ValidationError, ConflictError) as error:
        form.apply_service_errors(error)
        return None
    if not updated.is_open:
        messages.success(
            request,
            _(
                "Engagement ended for %(reference)s. Your organisation's "
                "access to this victim's record has ended with it."
            )
            % {"reference": victim.reference},
        )
        return redirect("victims:list")
    messages.success(
        request,
        _("Support update recorded. The hold is re-evaluated automatically in a few seconds."),
    )
    return redirect("victims:detail", victim_id=victim.pk)


def _victim_context(victim, user, engagement, form) -> dict:
    """What the victim page shows: for advisers also their engagement, applications and what
    needs doing."""
    is_adviser = user.has_role(Role.SUPPORT_ADVISER)
    today = timezone.localdate()
    victim.open_challenges = list(_open_challenges_query(today).filter(victim=victim))
    hold = hold_for_victim(victim, user=user)
    return {
        "victim": victim,
        "hold": hold,
        "is_adviser": is_adviser,
        "is_police": user.has_role(*POLICE),
        "cases": victim.visible_cases,  # only the cases this user may see; no narrative shown
        "dependants": list(victim.dependants.all()),
        "engagements": list(victim.support_engagements.all()),
        "engagement": engagement,
        "updates": list(engagement.updates.select_related("by")[:10]) if engagement else [],
        "applications": _applications(victim, user) if is_adviser else [],
        "shown": disclosure.visible_fields(
            disclosure.recipient_of(user) or disclosure.IMMIGRATION_ENFORCEMENT
        ),
        "can_withdraw": bool(_withdrawable(victim, user)),
        "needs": needs_doing(victim, today) if is_adviser else [],
        "form": form,
        "decisions": list(hold.decisions.all()[:10]),
        "given": list(signposting_given(victim)),
        "notice": (getattr(victim, "notices_given", None) or [None])[0],
    }


def _applications(victim, user) -> list[dict]:
    """The victim's applications as the adviser may act on them: change their organisation's
    own; take over one whose organisation no longer supports the person."""
    supporting = {item.organisation_id for item in victim.support_engagements.all() if item.is_open}
    return [
        {
            "application": application,
            "own": application.organisation_id == user.organisation_id,
            "takeable": application.organisation_id not in supporting,
        }
        for application in victim.applications.all()
    ]


@role_required(*POLICE, object_type="victim", actions=CREATE)
def support_referral(request, victim_id: UUID):
    """Refer the victim to a support organisation, with their consent (a disclosure),
    recorded as the API records it."""
    form = forms.SupportReferralForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data["organisation"]
        try:
            with audited(
                request, action="create", object_type="victim", object_id=victim_id, hidden=Victim
            ) as access:
                victim = victim_get(user=request.user, victim_id=victim_id)
                engagement = support_services.support_referral_make(
                    victim=victim,
                    by=request.user,
                    organisation_code=organisation,
                    consent_given_on=form.cleaned_data["consent_given_on"],
                )
                access.detail = f"support referral to {organisation}"
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error, {"organisation_code": "organisation"})
        else:
            messages.success(
                request,
                _(
                    "%(name)s was referred to %(organisation)s. The hold is re-evaluated "
                    "automatically in a few seconds."
                )
                % {
                    "name": f"{victim.given_names} {victim.family_name}",
                    "organisation": engagement.organisation.name,
                },
            )
            return redirect("victims:detail", victim_id=victim.pk)
    victim = viewed_or_404(
        request, victim_get, object_type="victim", hidden=Victim, victim_id=victim_id
    )
    context = {"victim": victim, "form": form, "shared": _shared_with_advisers()}
    return render(request, "victims/support_referral.html", context)


def _shared_with_advisers() -> list[str]:
    """What a support organisation will see, from the one declaration (victims.disclosure)."""
    return [
        disclosure.category_label(code)
        for code in disclosure.categories_for(disclosure.SUPPORT_ADVISER)
    ]


# --- Applications -----------------------------------------------------------------------------


@role_required(*ADVISER, object_type="victim", actions=CREATE)
def application_new(request, victim_id: UUID):
    """Record an application or referral that could regularise the victim's stay, recorded as
    the API records it."""
    form = forms.ApplicationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with audited(
                request, action="create", object_type="victim", object_id=victim_id, hidden=Victim
            ) as access:
                victim = victim_get(user=request.user, victim_id=victim_id)
                application = application_create(
                    victim=victim, by=request.user, **form.cleaned_data
                )
                access.detail = f"application {application.pk}"
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        else:
            messages.success(
                request,
                _("Application recorded. The hold is re-evaluated automatically in a few seconds."),
            )
            return redirect("victims:detail", victim_id=victim.pk)
    victim = viewed_or_404(
        request, victim_get, object_type="victim", hidden=Victim, victim_id=victim_id
    )
    return render(request, "victims/application_form.html", {"victim": victim, "form": form})


class _FormInvalid(Exception):
    """The form's answers need fixing: nothing is written, nothing recorded."""


@role_required(*ADVISER, object_type="application")
def application_change(request, application_id: UUID):
    """Change an application's status or dates (its route is fixed once recorded), recorded as
    the API records it: the status choices depend on the route, so the form is read inside the
    change, and an invalid form leaves no event."""
    form = None
    if request.method == "POST":
        form, done = _application_update(request, application_id)
        if done is not None:
            return done
    application = viewed_or_404(
        request,
        application_get,
        object_type="application",
        hidden=Application,
        application_id=application_id,
    )
    if form is None:
        form = forms.ApplicationUpdateForm(
            route=application.route,
            initial={
                "status": application.status,
                "decided_on": application.decided_on,
                "leave_expires_on": application.leave_expires_on,
            },
        )
    return render(
        request,
        "victims/application_form.html",
        {
            "victim": application.victim,
            "form": form,
            "application": application,
            "history": list(application_history(application=application)),
        },
    )


def _application_update(request, application_id: UUID):
    """Read the form inside the change (its status choices depend on the route) and record the
    change: the form, and where to go next (None when the form or the service refused)."""
    form = None
    try:
        with audited(
            request,
            action="change",
            object_type="application",
            object_id=application_id,
            hidden=Application,
        ):
            application = application_get(user=request.user, application_id=application_id)
            form = forms.ApplicationUpdateForm(request.POST, route=application.route)
            if not form.is_valid():
                raise _FormInvalid
            application_update(application=application, by=request.user, **form.cleaned_data)
    except _FormInvalid:
        return form, None
    except (ValidationError, ConflictError) as error:
        form.apply_service_errors(error)
        return form, None
    messages.success(
        request, _("Application updated. The hold is re-evaluated automatically in a few seconds.")
    )
    return form, redirect("victims:detail", victim_id=application.victim_id)


# --- The victim's own record ------------------------------------------------------------------


def _disclosure_lines(victim) -> list[dict]:
    return [
        {
            "at": entry.at,
            "organisation": entry.organisation.name,
            "shared": [CATEGORY_WORDS.get(code, code) for code in entry.categories],
            "why": PURPOSE_WORDS.get(entry.purpose) or _(entry.purpose),
            "consent_withdrawn_on": entry.consent_withdrawn_on,
        }
        for entry in disclosure_list(victim=victim)
    ]


@victim_facing()
@role_required(*POLICE_OR_ADVISER, object_type="victim_record")
def victim_record(request, victim_id: UUID):
    """A printable, plain-language record for the victim: their hold, what it protects, and
    every disclosure of their data (to whom, when, why)."""
    with audited(
        request, action="view", object_type="victim_record", object_id=victim_id, hidden=Victim
    ):
        victim = victim_get(user=request.user, victim_id=victim_id)
        hold = hold_for_victim(victim, user=request.user)
        disclosures = _disclosure_lines(victim)
        notice = notices_given().filter(victim=victim).first()
    return render(
        request,
        "victims/record.html",
        {
            "victim": victim,
            "hold": hold,
            "grounds": [GROUND_WORDS.get(code, code) for code in hold.grounds],
            "dependants": list(victim.dependants.all()),
            "shown": disclosure.visible_fields(
                disclosure.recipient_of(request.user) or disclosure.IMMIGRATION_ENFORCEMENT
            ),
            "disclosures": disclosures,
            "organisation": request.user.organisation,
            "today": timezone.localdate(),
            "notice": notice,
        },
    )


# --- Support referrals: accept, decline; consent withdrawal; application take-over -----------


@role_required(*POLICE_OR_ADVISER, object_type="support_referral", actions={"GET": "list"})
def referral_list(request):
    """Advisers: the referrals made to their organisation, new ones first. Police: those their
    force made, with what the organisation decided."""
    referrals = support_referral_list(user=request.user).select_related("consent")
    page, listing = listed(
        request, referrals, object_type="support_referral", count_up_to=COUNT_UP_TO
    )
    return render(
        request,
        "victims/referral_list.html",
        {"referrals": page, "is_adviser": request.user.has_role(Role.SUPPORT_ADVISER), **listing},
    )


def _referral_or_404(request, referral_id: UUID):
    return viewed_or_404(
        request,
        support_referral_get,
        object_type="support_referral",
        hidden=SupportEngagement,
        referral_id=referral_id,
    )


@role_required(*ADVISER, object_type="support_referral")
def referral_decide(request, referral_id: UUID, decision: str):
    """Accept a new referral (a confirmation), or decline it with a reason; recorded as the
    API records it. Once decided, the page says so and changes nothing (409 in the API)."""
    form_class = forms.SupportReferralDeclineForm if decision == "decline" else forms.GovukForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with audited(
                request,
                action="change",
                object_type="support_referral",
                object_id=referral_id,
                detail=decision,
                hidden=SupportEngagement,
            ):
                referral = support_referral_get(user=request.user, referral_id=referral_id)
                _decide(referral, request.user, decision, form.cleaned_data.get("reason", ""))
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        else:
            return _decided(request, referral, decision)
    referral = _referral_or_404(request, referral_id)
    return render(
        request,
        "victims/referral_decide.html",
        {"referral": referral, "form": form, "decision": decision},
    )


def _decide(referral, user, decision: str, reason: str):
    if decision == "decline":
        return support_services.support_referral_decline(
            engagement=referral, by=user, reason=reason
        )
    return support_services.support_referral_accept(engagement=referral, by=user)


def _decided(request, referral, decision: str):
    reference = referral.victim.reference
    if decision == "decline":
        messages.success(
            request,
            _(
                "Referral for %(reference)s declined. The police force has been told, and your "
                "organisation no longer has access to this person's record."
            )
            % {"reference": reference},
        )
        return redirect("victims:referrals")
    messages.success(
        request,
        _("Referral for %(reference)s accepted. The police force has been told.")
        % {"reference": reference},
    )
    return redirect("victims:detail", victim_id=referral.victim_id)


def _withdrawable(victim, user) -> list:
    """The organisations whose consent the victim may withdraw here: those with a referral
    whose consent stands (an adviser: only their own)."""
    engagements = victim.support_engagements.select_related("organisation", "consent").filter(
        consent__withdrawn_on__isnull=True
    )
    if user.has_role(Role.SUPPORT_ADVISER):
        engagements = engagements.filter(organisation_id=user.organisation_id)
    return list({item.organisation_id: item.organisation for item in engagements}.values())


@role_required(*POLICE_OR_ADVISER, object_type="victim", actions={"POST": "change"})
def consent_withdrawal(request, victim_id: UUID):
    """Record that the victim withdrew consent to a support referral, as the API records it:
    the organisation's access ends at once. The choices depend on the victim's referrals, so
    the form is read inside the change, and an invalid form leaves no event."""
    form = None
    if request.method == "POST":
        form, done = _consent_withdrawal(request, victim_id)
        if done is not None:
            return done
    victim = viewed_or_404(
        request, victim_get, object_type="victim", hidden=Victim, victim_id=victim_id
    )
    organisations = _withdrawable(victim, request.user)
    if form is None:
        form = forms.ConsentWithdrawalForm(organisations=organisations)
    return render(
        request,
        "victims/consent_withdrawal.html",
        {"victim": victim, "form": form, "organisations": organisations},
    )


def _consent_withdrawal(request, victim_id: UUID):
    """The form, and where to go next (None when the form or the service refused)."""
    form = None
    try:
        with audited(
            request, action="change", object_type="victim", object_id=victim_id, hidden=Victim
        ) as access:
            victim = victim_get(user=request.user, victim_id=victim_id)
            organisations = _withdrawable(victim, request.user)
            form = forms.ConsentWithdrawalForm(request.POST, organisations=organisations)
            if not form.is_valid():
                raise _FormInvalid
            consent = support_services.consent_withdraw(
                victim=victim, by=request.user, **_withdrawal(form)
            )
            access.detail = f"consent withdrawn from {consent.organisation.code}"
    except _FormInvalid:
        return form, None
    except (ValidationError, ConflictError) as error:
        assert form is not None
        form.apply_service_errors(error, {"organisation_code": "organisation"})
        return form, None
    return form, _withdrawn(request, victim, consent)


def _withdrawal(form) -> dict:
    return {
        "organisation_code": form.cleaned_data["organisation"],
        "withdrawn_on": form.cleaned_data["withdrawn_on"],
    }


def _withdrawn(request, victim, consent):
    messages.success(
        request,
        _(
            "Withdrawal of consent recorded. %(organisation)s no longer has access to this "
            "person's record; the hold is re-evaluated automatically in a few seconds."
        )
        % {"organisation": consent.organisation.name},
    )
    if request.user.organisation_id == consent.organisation_id:
        return redirect("victims:list")
    return redirect("victims:detail", victim_id=victim.pk)


@role_required(*ADVISER, object_type="application", actions={"POST": "change"})
@require_POST
def application_take_over(request, application_id: UUID):
    """Take over an application whose organisation no longer supports the person."""
    try:
        with audited(
            request,
            action="change",
            object_type="application",
            object_id=application_id,
            detail="take over",
            hidden=Application,
        ):
            application = application_for_take_over(
                user=request.user, application_id=application_id
            )
            application = application_take_over_service(application=application, by=request.user)
    except ConflictError as error:
        messages.error(request, str(error))
        return redirect("victims:detail", victim_id=application.victim_id)
    messages.success(request, _("Application taken over: your organisation now keeps it."))
    return redirect("victims:application_change", application_id=application.pk)


# --- Possible duplicates (police supervisors) ------------------------------------------------

SUPERVISOR = (Role.POLICE_SUPERVISOR,)


@role_required(*SUPERVISOR, object_type="possible_duplicate", actions={"GET": "list"})
def possible_duplicates(request, errors=None):
    """Records that may be one person, where either is of the supervisor's force: merge (one
    supervisor proposes, the other force confirms) or dismiss. Recorded as the API records it."""
    pairs, listing = listed(
        request,
        possible_duplicate_list(user=request.user).order_by("-created_at", "-pk"),
        object_type="possible_duplicate",
    )
    return render(
        request,
        "victims/possible_duplicates.html",
        {"pairs": pairs, "listing": listing, "form": errors},
    )


@role_required(*SUPERVISOR, object_type="possible_duplicate", actions={"POST": "change"})
def possible_duplicate_decide(request, pair_id: UUID):
    """Propose or confirm a merge, or dismiss the pair; back to the list, saying what happened."""
    if request.method != "POST":
        return redirect("victims:possible_duplicates")
    decision = request.POST.get("decision")
    decide = {
        "merge": merges.possible_duplicate_merge,
        "dismiss": merges.possible_duplicate_dismiss,
    }.get(decision or "")
    try:
        with audited(
            request,
            action="change",
            object_type="possible_duplicate",
            object_id=pair_id,
            hidden=PossibleDuplicate,
        ) as access:
            if decide is None:
                raise ConflictError(_("Choose whether to merge the records or dismiss the pair."))
            answer = decide(user=request.user, pair_id=pair_id)
            access.detail = decision
    except ConflictError as error:
        summary = [{"href": None, "text": str(error)}]
        return possible_duplicates(request, errors={"errors": True, "summary_errors": summary})
    messages.success(request, merges.decision_message(answer))
    return redirect("victims:possible_duplicates")
