"""The home page, and the Immigration Enforcement pages: check a hold, the review queue,
confirming the end of a hold, and public-protection overrides.

IE pages show hold references, dates, statuses and the referring force's contact point only:
never a name, an address, contact details or anything about the crime. Every read, write and
refusal is recorded in the access log with the event the API records for it
(`core.permissions.audited`).
"""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from weasyprint import HTML

from cases.selectors import case_list
from core.errors import ConflictError
from core.permissions import (
    COUNT_UP_TO,
    IE,
    IE_SENIOR,
    BoundedPaginator,
    audited,
    listed,
    role_required,
    viewed_or_404,
)
from core.roles import POLICE_ROLES, Role
from core.throttling import take_for_user
from victims.models import Victim
from victims.selectors import victim_list

from . import forms
from .models import Hold, Notification, Override
from .policy import current_policy
from .rules import values
from .selectors import (
    NOTIFIED_ROLES,
    hold_by_reference,
    hold_overrides,
    notification_list,
    notifications_visible,
    override_get,
    override_queue,
    review_queue,
)
from .selectors import override_list as override_list_selector
from .services import (
    end_confirm,
    hold_check,
    notification_mark_read,
    override_approve,
    override_reject,
    override_request,
    override_revoke,
)
from .subject_access import subject_access_export, subject_access_victim

LIST = {"GET": "list"}

# --- Home -----------------------------------------------------------------------------------------


def _bounded_count(queryset) -> BoundedPaginator:
    """A count that stops at 1,000 (`.count`, and `.more` beyond it): an exact count of a
    national force's cases would read every one of them for a sentence on the home page."""
    return BoundedPaginator(queryset, 1, count_up_to=COUNT_UP_TO)


@login_required
def home(request):
    """Each role's own work."""
    user = request.user
    context: dict = {"roles": sorted(user.roles)}
    if user.has_role(*POLICE_ROLES):
        cases = case_list(user=user)
        with audited(request, action="list", object_type="case", detail="home"):
            context["recent_cases"] = list(
                cases.select_related("victim", "victim__hold").order_by(
                    "-referred_on", "-created_at"
                )[:5]
            )
        context["case_count"] = _bounded_count(cases)
        context["review_due_count"] = _bounded_count(
            cases.filter(victim__hold__status="review_due")
        )
    if user.has_role(Role.SUPPORT_ADVISER):
        victims = victim_list(user=user)
        context["victim_count"] = _bounded_count(victims)
        context["overdue_count"] = _bounded_count(
            victims.filter(hold__flags__contains=["support_contact_overdue"])
        )
    if user.has_role(Role.IE_SENIOR):
        context["review_count"] = review_queue().count()
        context["decision_count"] = (
            override_list_selector(user=user, status="requested").exclude(requested_by=user).count()
        )
    if user.has_role(*POLICE_ROLES, Role.SUPPORT_ADVISER) and user.organisation:
        context["notifications"] = notification_list(organisation=user.organisation)
    return render(request, "protocol/home.html", context)


# --- Check a hold ---------------------------------------------------------------------------------


@role_required(*IE, object_type="hold_check", actions={"POST": "hold_check"})
def hold_check_page(request):
    """One person, exact identifiers only. The answer says only "Hold in force" (reference,
    protected until, contact point) or "No hold in force"; the check is recorded."""
    form = forms.HoldCheckForm(request.POST if request.method == "POST" else None)
    answer = None
    status = 200
    if request.method == "POST" and form.is_valid():
        # The API's per-user budget for hold checks applies to the page as well.
        if take_for_user("hold_check", request.user) is None:
            answer = hold_check(user=request.user, request=request, **form.identifiers())
            form = forms.HoldCheckForm()  # the identifiers are not shown again
        else:
            form.add_error(
                None,
                _("You have made too many checks in a short time. Wait a minute, then try again."),
            )
            status = 429
    return render(
        request, "protocol/hold_check.html", {"form": form, "answer": answer}, status=status
    )


# --- Review queue, holds --------------------------------------------------------------------------


def _ie_status(hold: Hold) -> str:
    """The status IE may see: a hold not in force reads the same whatever the reason, unless
    IE's own override is why."""
    if hold.in_force or hold.status == "overridden":
        return values.LABELS[hold.status]
    return _("Not in force")


@role_required(*IE_SENIOR, object_type="hold", actions=LIST)
def review_queue_page(request):
    """Holds due for review, oldest first: references and dates only."""
    holds, listing = listed(request, review_queue(), object_type="hold", detail="review queue")
    return render(request, "protocol/review_queue.html", {"holds": holds, **listing})


def _ie_hold(request, reference: str, *, eligible=lambda hold: True) -> Hold:
    """A hold an IE senior may open by its reference: in force, or with an override, and
    `eligible` for the page's step. Any other hold is a 404, exactly like an unknown reference,
    so that a page never tells a senior more about a hold than the review queue does. The view
    is recorded (as denied for a hold that exists but is not IE's to see at this step)."""
    with audited(request, action="view", object_type="hold", hidden=Hold) as access:
        hold = hold_by_reference(reference=reference)
        if hold is None:
            raise Hold.DoesNotExist
        access.object_id = str(hold.pk)
        if not (hold.in_force or hold.overrides.exists()) or not eligible(hold):
            raise Hold.DoesNotExist
    return hold


@role_required(*IE_SENIOR, object_type="hold")
def hold_detail(request, reference: str):
    hold = _ie_hold(request, reference)
    overrides = hold_overrides(hold)
    live = [override for override in overrides if override.status in ("requested", "approved")]
    return render(
        request,
        "protocol/hold_detail.html",
        {
            "hold": hold,
            "status_label": _ie_status(hold),
            "contact": hold.referring_contact,
            "overrides": overrides,
            "can_request": hold.in_force and not live,
            "can_confirm_end": hold.status == "review_due",
        },
    )


@role_required(*IE_SENIOR, object_type="hold")
def hold_confirm_end(request, reference: str):
    """Confirm the end of a hold that is due for review: any other reference is not found (and
    the service refuses a hold that is no longer due, with one message whatever its status)."""
    hold = _ie_hold(request, reference, eligible=lambda hold: hold.status == "review_due")
    form = forms.ConfirmEndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with audited(request, action="change", object_type="hold", object_id=hold.pk) as access:
                end_confirm(hold_reference=hold.reference, by=request.user, **form.cleaned_data)
                access.detail = f"end of {hold.reference} confirmed: {form.cleaned_data['reason']}"
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        else:
            messages.success(
                request,
                _("The end of hold %(reference)s was confirmed.") % {"reference": hold.reference},
            )
            return redirect("review_queue")
    return render(
        request,
        "protocol/confirm_end.html",
        {
            "hold": hold,
            "status_label": _ie_status(hold),
            "contact": hold.referring_contact,
            "form": form,
        },
    )


@role_required(*IE_SENIOR, object_type="override", actions={"POST": "create"})
def hold_override_request(request, reference: str):
    """Ask for a public-protection override of a hold in force; another IE senior must decide
    it. Any other reference is not found."""
    hold = _ie_hold(request, reference, eligible=lambda hold: hold.in_force)
    form = forms.OverrideRequestForm(request.POST if request.method == "POST" else None)
    limit = current_policy().override_max_days
    form.fields["expires_on"].help_text = _(
        "An override lasts at most %(limit)s days, and ends then if you leave this blank. "
        "For example, 14 1 2027"
    ) % {"limit": limit}
    if request.method == "POST" and form.is_valid():
        try:
            with audited(request, action="create", object_type="override") as access:
                override = override_request(
                    by=request.user, hold_reference=hold.reference, **form.cleaned_data
                )
                access.object_id = str(override.pk)
                access.detail = f"override of {hold.reference} requested"
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        else:
            messages.success(
                request,
                _(
                    "Override requested. Another IE senior caseworker must approve it before it "
                    "takes effect."
                ),
            )
            return redirect("hold_detail", reference=hold.reference)
    return render(request, "protocol/override_request.html", {"hold": hold, "form": form})


# --- Overrides ------------------------------------------------------------------------------------


@role_required(*IE_SENIOR, object_type="override", actions=LIST)
def override_list(request):
    """Overrides waiting for a decision, and approved overrides that may be revoked."""
    overrides, listing = listed(request, override_queue(user=request.user), object_type="override")
    return render(request, "protocol/override_list.html", {"overrides": overrides, **listing})


@role_required(*IE_SENIOR, object_type="override")
def override_decide(request, override_id: UUID):
    """Approve or reject an override another IE senior requested."""
    override = viewed_or_404(
        request, override_get, object_type="override", hidden=Override, override_id=override_id
    )
    form = forms.OverrideDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        step = form.cleaned_data["decision"]
        decide = override_approve if step == "approve" else override_reject
        try:
            with audited(
                request,
                action="change",
                object_type="override",
                object_id=override.pk,
                detail=step,
                hidden=Override,
            ):
                decide(override_id=override.pk, by=request.user, note=form.cleaned_data["note"])
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            if form.cleaned_data["decision"] == "approve":
                done = _("You approved the override of hold %(reference)s.")
            else:
                done = _("You rejected the override of hold %(reference)s.")
            messages.success(request, done % {"reference": override.hold.reference})
            return redirect("override_list")
    return render(
        request,
        "protocol/override_decide.html",
        {
            "override": override,
            "form": form,
            "own_request": override.requested_by_id == request.user.pk,
        },
    )


@role_required(*IE_SENIOR, object_type="override")
def override_revoke_page(request, override_id: UUID):
    """End an approved override: the hold returns to what the rules say."""
    override = viewed_or_404(
        request, override_get, object_type="override", hidden=Override, override_id=override_id
    )
    form = forms.OverrideRevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with audited(
                request,
                action="change",
                object_type="override",
                object_id=override.pk,
                detail="revoke",
                hidden=Override,
            ):
                override_revoke(override_id=override.pk, by=request.user, **form.cleaned_data)
        except (ValidationError, ConflictError) as error:
            form.apply_service_errors(error)
        else:
            messages.success(
                request,
                _(
                    "You revoked the override of hold %(reference)s. The hold is back "
                    "to what the rules say."
                )
                % {"reference": override.hold.reference},
            )
            return redirect("hold_detail", reference=override.hold.reference)
    return render(request, "protocol/override_revoke.html", {"override": override, "form": form})


# --- Notifications --------------------------------------------------------------------------------


@role_required(*NOTIFIED_ROLES, object_type="notification", actions=LIST)
def notification_list_page(request):
    """The organisation's notifications, newest first, each read or unread by this user."""
    notifications, listing = listed(
        request, notifications_visible(user=request.user), object_type="notification"
    )
    return render(
        request,
        "protocol/notifications.html",
        {"notifications": notifications, **listing},
    )


@require_POST
@role_required(*NOTIFIED_ROLES, object_type="notification", actions={"POST": "change"})
def notification_read_page(request, notification_id: UUID):
    """Mark one notification read by this user (a 404 for one that is not theirs)."""
    with audited(
        request,
        action="change",
        object_type="notification",
        object_id=notification_id,
        detail="read",
        hidden=Notification,
    ):
        notification_mark_read(
            notification_id=notification_id,
            user=request.user,
            visible=notifications_visible(user=request.user),
        )
    return redirect(reverse("notifications") + f"#notification-{notification_id}")


# --- Subject access -------------------------------------------------------------------------------

SUBJECT_ACCESS = {"GET": "export"}


def _subject_access(request, victim_id: UUID, *, detail: str) -> dict:
    """Everything held about the person, read and recorded as an `export` in one transaction."""
    with audited(
        request,
        action="export",
        object_type="victim",
        object_id=victim_id,
        detail=detail,
        hidden=Victim,
    ):
        victim = subject_access_victim(user=request.user, victim_id=victim_id)
        return {"victim": victim, "export": subject_access_export(user=request.user, victim=victim)}


@role_required(Role.POLICE_SUPERVISOR, object_type="victim", actions=SUBJECT_ACCESS)
def subject_access_page(request, victim_id: UUID):
    """The subject access export as a printable page."""
    context = _subject_access(request, victim_id, detail="printable page")
    return render(request, "protocol/subject_access.html", context)


@role_required(Role.POLICE_SUPERVISOR, object_type="victim", actions=SUBJECT_ACCESS)
def subject_access_pdf(request, victim_id: UUID):
    """The subject access export as a PDF (WeasyPrint), fetching nothing from anywhere."""
    context = _subject_access(request, victim_id, detail="pdf")
    html = render_to_string("protocol/subject_access_pdf.html", context, request=request)
    pdf = HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    reference = context["victim"].reference
    response["Content-Disposition"] = f'attachment; filename="subject-access-{reference}.pdf"'
    return response


def _fetch_nothing(url: str, *args, **kwargs):
    raise ValueError(f"The PDF fetches nothing ({url})")
