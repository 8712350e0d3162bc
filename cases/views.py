"""Police pages: log a referral (one question per page, then check your answers), the force's
case list, and the case page with its hold and a status change form.

Views are thin: a form validates, then one service call. Reads go through the scoped
selectors, so another force's case is a 404. Every read and write is recorded in the access log
in the same transaction, with the event the API records for it (`core.permissions.audited`).
"""

from types import SimpleNamespace
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ConflictError
from core.permissions import COUNT_UP_TO, POLICE, audited, listed, role_required, viewed_or_404
from core.validation import long_date
from protocol.models import Hold
from protocol.rules.values import HOLD_STATUS_LABELS
from protocol.selectors import hold_for_victim
from victims.models import Victim
from victims.selectors import victim_get

from . import forms
from .journey import ReferralDraft, Step, service_errors, step_url
from .models import Case
from .selectors import case_detail as case_detail_selector
from .selectors import case_get, case_search
from .services import case_status_change, joined_message, referral_create

# --- The referral journey (the draft: `cases.journey`) -------------------------------------

# A refused journey page is recorded as the API's refused referral is: creating a case.
JOURNEY = {"POST": "create"}


@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_start(request):
    """The start page. Starting (a POST) begins a new draft, for a new victim or, with
    `victim`, for one already known to the force."""
    if request.method == "POST":
        victim = None
        if request.POST.get("victim"):
            try:
                victim_id = UUID(request.POST["victim"])
            except ValueError:
                raise Http404 from None
            victim = viewed_or_404(
                request, victim_get, object_type="victim", hidden=Victim, victim_id=victim_id
            )
        draft = ReferralDraft.start(request.session, victim)
        return redirect(step_url(draft.steps()[0]))
    draft = ReferralDraft.load(request.session)
    continue_url = draft.continue_url() if draft is not None else None
    return render(request, "cases/referral/start.html", {"continue_url": continue_url})


def _journey_context(request, draft: ReferralDraft, step: Step, form) -> dict:
    return {
        "draft": draft.data,
        "step": step,
        "form": form,
        "back_url": draft.back_url(step),
        "single": len(form.fields) == 1,
        "known_victim": _known_victim(request, draft),
    }


def _known_victim(request, draft: ReferralDraft):
    if not draft.victim_id:
        return None
    return viewed_or_404(
        request, victim_get, object_type="victim", hidden=Victim, victim_id=draft.victim_id
    )


@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_step(request, slug: str):
    """One question page: the answer is kept in the session, nothing is written yet."""
    draft = ReferralDraft.load(request.session)
    if draft is None:
        return redirect("cases:referral_start")
    step = draft.step(slug)
    if step is None:
        raise Http404
    if step.slug == "dependants":
        return _dependants_step(request, draft, step)
    form = step.form_class(
        request.POST if request.method == "POST" else None, initial=draft.initial(step)
    )
    if request.method == "POST" and form.is_valid():
        draft.answer(step, form.cleaned_data)
        return redirect(draft.next_url(step))
    return render(
        request, "cases/referral/question.html", _journey_context(request, draft, step, form)
    )


def _dependants_step(request, draft: ReferralDraft, step: Step):
    form = forms.AddDependantForm(request.POST if request.method == "POST" else None)
    if draft.dependants:
        form.fields["add_dependant"].label = _("Do you need to add another dependant?")
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["add_dependant"] == "yes":
            return redirect("cases:referral_dependant")
        draft.answer(step)
        return redirect(draft.next_url(step))
    return render(
        request, "cases/referral/dependants.html", _journey_context(request, draft, step, form)
    )


@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_dependant(request):
    """Add one dependant to the draft."""
    draft = ReferralDraft.load(request.session)
    if draft is None:
        return redirect("cases:referral_start")
    if draft.victim_id:
        raise Http404
    form = forms.DependantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        draft.add_dependant(form.cleaned_data)
        return redirect("cases:referral_step", slug="dependants")
    return render(
        request,
        "cases/referral/dependant.html",
        {"form": form, "back_url": reverse("cases:referral_step", args=["dependants"])},
    )


@require_POST
@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_dependant_remove(request, index: int):
    draft = ReferralDraft.load(request.session)
    if draft is None:
        return redirect("cases:referral_start")
    removed = draft.remove_dependant(index)
    if removed is not None:
        messages.success(
            request,
            _("%(given_names)s %(family_name)s was removed.")
            % {"given_names": removed["given_names"], "family_name": removed["family_name"]},
        )
    return redirect("cases:referral_step", slug="dependants")


def _submit(request, draft: ReferralDraft):
    """Create the referral from the draft, recorded as the API records a referral: the case
    created, and the victim if new. The referral, or the errors to show (`None` for either)."""
    answers = draft.answers()
    try:
        with audited(request, action="create", object_type="case") as access:
            referral = referral_create(officer=request.user, **answers)
            access.object_id = str(referral.case.pk)
            access.detail = f"referral of victim {referral.victim.pk}"
            if referral.joined:
                access.record_also(
                    action="change",
                    object_type="victim",
                    object_id=referral.victim.pk,
                    detail="joined by Home Office reference",
                )
            elif "victim" in answers:
                access.record_also(
                    action="create", object_type="victim", object_id=referral.victim.pk
                )
    except ValidationError as error:
        return None, SimpleNamespace(errors=True, summary_errors=service_errors(error))
    except ConflictError as error:
        if error.args and isinstance(error.args[0], dict):  # a conflict naming its field
            error = ValidationError(error.args[0])
            return None, SimpleNamespace(errors=True, summary_errors=service_errors(error))
        return None, SimpleNamespace(
            errors=True, summary_errors=[{"href": None, "text": str(error)}]
        )
    if referral.joined:
        messages.info(request, joined_message(referral))
    return referral, None


@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_check(request):
    """Check your answers; submitting it is the one write of the journey."""
    draft = ReferralDraft.load(request.session)
    if draft is None:
        return redirect("cases:referral_start")
    missing = draft.first_unanswered()
    if missing is not None:
        return redirect(step_url(missing))
    draft.start_checking()
    errors = None
    if request.method == "POST":
        referral, errors = _submit(request, draft)
        if referral is not None:
            draft.discard()
            return redirect("cases:referral_done", case_id=referral.case.pk)
    return render(
        request,
        "cases/referral/check.html",
        {
            "draft": draft.data,
            "form": errors,
            "sections": draft.check_rows(),
            "known_victim": _known_victim(request, draft),
            "back_url": step_url(draft.steps()[-1]),
        },
    )


@role_required(*POLICE, object_type="case")
def referral_done(request, case_id: UUID):
    case = viewed_or_404(request, case_get, object_type="case", hidden=Case, case_id=case_id)
    return render(request, "cases/referral/done.html", {"case": case, "hold": case.victim.hold})


# --- The force's cases ------------------------------------------------------------------------


@role_required(*POLICE, object_type="case", actions={"GET": "list"})
def case_list_page(request):
    """The force's cases, with search and filters (status, crime type, hold status)."""
    form = forms.CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    cases = case_search(
        user=request.user,
        text=filters.get("q"),
        status=filters.get("investigation_status"),
        prosecution_status=filters.get("prosecution_status"),
        hold_status=filters.get("hold_status"),
    )
    if filters.get("crime_type"):
        cases = cases.filter(crime_type=filters["crime_type"])
    if form.errors:  # a search that could not be made lists nothing, beside its error
        cases = cases.none()
    rows, listing = listed(
        request,
        cases.order_by("-referred_on", "-created_at"),
        object_type="case",
        count_up_to=COUNT_UP_TO,  # a force has hundreds of thousands of cases
    )
    filtered = any(filters.get(name) for name in form.fields)
    return render(
        request,
        "cases/list.html",
        {"form": form, "cases": rows, "filtered": filtered, **listing},
    )


def _case_context(case, form, user) -> dict:
    hold = hold_for_victim(case.victim, user=user)
    return {
        "case": case,
        "victim": case.victim,
        "hold": hold,
        "decisions": list(hold.decisions.all())[:10],
        "changes": list(case.status_changes.all())[:20],
        "dependants": list(case.victim.dependants.all()),
        "form": form,
    }


@role_required(*POLICE, object_type="case")
def case_detail(request, case_id: UUID):
    """The case, its victim's hold, and a form to record an investigation or prosecution
    change (the hold is re-evaluated by a worker after the change commits). The change is
    recorded as the API records it; the page shown again after a refused change is a view."""
    if request.method == "POST":
        form = forms.CaseStatusForm(request.POST)
        if form.is_valid() and (done := _status_change(request, case_id, form)):
            return done
    case = viewed_or_404(
        request, case_detail_selector, object_type="case", hidden=Case, case_id=case_id
    )
    if request.method != "POST":
        form = forms.CaseStatusForm(
            initial={
                "investigation_status": case.investigation_status,
                "closed_on": case.closed_on,
                "outcome_code": case.outcome_code,
                "prosecution_status": case.prosecution_status,
                "court": case.court,
                "concluded_on": case.concluded_on,
            }
        )
    return render(request, "cases/detail.html", _case_context(case, form, request.user))


def _status_change(request, case_id: UUID, form):
    """Record the change, as the API records it: where to go next, or None with the service's
    refusal put on the form."""
    changes = form.changes()
    try:
        with audited(
            request, action="change", object_type="case", object_id=case_id, hidden=Case
        ) as access:
            # The service reads the case (locked) and refuses, as not found, one the caller
            # may not change.
            change = case_status_change(
                case=case_id, by=request.user, changes=changes, note=form.cleaned_data["note"]
            )
            access.detail = "status: " + ", ".join(sorted(changes))
    except (ValidationError, ConflictError) as error:
        form.apply_service_errors(error)
        return None
    messages.success(request, status_change_message(change.case.victim_id))
    return redirect("cases:detail", case_id=case_id)


def status_change_message(victim_id) -> str:
    """What the banner after a status change says: the hold's new state when the worker has
    already evaluated the change, otherwise that it is still evaluating it (the hold stays as
    it was until then, so nothing reads as protection lost)."""
    hold = Hold.objects.select_related("victim").filter(victim_id=victim_id).first()
    if hold is not None and hold.evaluated_version >= hold.victim.facts_version:
        state = HOLD_STATUS_LABELS.get(hold.status, hold.status)
        if hold.protected_until:
            return _(
                "Status change recorded. The hold has been worked out again: it is now "
                "%(state)s, protected until %(date)s."
            ) % {"state": state.lower(), "date": long_date(hold.protected_until)}
        return _(
            "Status change recorded. The hold has been worked out again: it is now %(state)s."
        ) % {"state": state.lower()}
    return _(
        "Status change recorded. The hold is still being worked out again, which takes a few "
        "seconds: until then it stays as shown below."
    )
