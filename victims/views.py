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
from protocol.policy import current_policy
from protocol.selectors import hold_for_victim

from . import forms
from .models import Application, SupportEngagement, Victim
from .record_words import CATEGORY_WORDS, GROUND_WORDS, PURPOSE_WORDS
from .selectors import (
    application_get,
    disclosure_list,
    notices_given,
    signposting_given,
    victim_get,
    victim_list,
    victims_matching,
)
from .selectors import victim_detail as victim_detail_selector
from .services import (
    application_create,
    application_update,
    support_referral_create,
    support_update,
)

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
        items.append({"kind": "contact_overdue", "text": "Contact overdue: record your contact"})
    for application in getattr(victim, "open_challenges", []):
        closes = application.decided_on + dt.timedelta(days=_challenge_window())
        days = (closes - today).days
        items.append(
            {
                "kind": "challenge_window",
                "text": f"Challenge window closes {closes:%-d %B %Y}"
                + (" (today)" if days == 0 else f" ({days} day{'s' if days != 1 else ''})"),
            }
        )
    if hold is not None and "data_incomplete" in hold.flags:
        items.append({"kind": "data_incomplete", "text": "Some facts are missing or unclear"})
    return items


@role_required(*ADVISER, object_type="victim", actions={"GET": "list"})
def victim_list_page(request):
    """My organisation's victims: hold status and what needs doing."""
    today = timezone.localdate()
    form = forms.VictimFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    victims = victim_list(user=request.user).select_related("hold")
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
        {"form": form, "rows": rows, "filtered": filtered, **listing},
    )


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
            f"Engagement ended for {victim.reference}. Your organisation's "
            "access to this victim's record has ended with it.",
        )
        return redirect("victims:list")
    messages.success(
        request,
        "Support update recorded. The hold is re-evaluated automatically in a few seconds.",
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
        "applications": list(victim.applications.all()) if is_adviser else [],
        "needs": needs_doing(victim, today) if is_adviser else [],
        "form": form,
        "decisions": list(hold.decisions.all()[:10]),
        "given": list(signposting_given(victim)),
        "notice": (getattr(victim, "notices_given", None) or [None])[0],
    }


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
                engagement = support_referral_create(
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
                f"{victim.given_names} {victim.family_name} was referred to "
                f"{engagement.organisation.name}. The hold is re-evaluated automatically in a "
                "few seconds.",
            )
            return redirect("victims:detail", victim_id=victim.pk)
    victim = viewed_or_404(
        request, victim_get, object_type="victim", hidden=Victim, victim_id=victim_id
    )
    return render(request, "victims/support_referral.html", {"victim": victim, "form": form})


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
                "Application recorded. The hold is re-evaluated automatically in a few seconds.",
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
        {"victim": application.victim, "form": form, "application": application},
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
        request, "Application updated. The hold is re-evaluated automatically in a few seconds."
    )
    return form, redirect("victims:detail", victim_id=application.victim_id)


# --- The victim's own record ------------------------------------------------------------------


def _disclosure_lines(victim) -> list[dict]:
    return [
        {
            "at": disclosure.at,
            "organisation": disclosure.organisation.name,
            "shared": [CATEGORY_WORDS.get(code, code) for code in disclosure.categories],
            "why": PURPOSE_WORDS.get(disclosure.purpose) or _(disclosure.purpose),
        }
        for disclosure in disclosure_list(victim=victim)
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
            "disclosures": disclosures,
            "organisation": request.user.organisation,
            "today": timezone.localdate(),
            "notice": notice,
        },
    )
