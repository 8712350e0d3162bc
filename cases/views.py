"""Police pages: log a referral (one question per page, then check your answers), the force's
case list, and the case page with its hold and a status change form.

Views are thin: a form validates, then one service call. Reads go through the scoped
selectors, so another force's case is a 404. Every read and write is recorded in the access log
in the same transaction, with the event the API records for it (`core.permissions.audited`).
"""

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import ConflictError
from core.forms import GovukForm, date_or_none, language_name
from core.normalise import name_key
from core.permissions import POLICE, audited, listed, role_required, viewed_or_404
from protocol.rules import values
from protocol.selectors import hold_for_victim
from victims.models import Victim
from victims.selectors import victim_get

from . import forms
from .models import Case
from .selectors import can_change_case, case_get, case_search
from .selectors import case_detail as case_detail_selector
from .services import case_status_change, referral_create

# --- The referral journey ---------------------------------------------------------------------

DRAFT = "referral_draft"


@dataclass(frozen=True)
class Step:
    """One page of the journey: its form, and the part of the draft its answers go in."""

    slug: str
    form_class: type[GovukForm]
    section: str
    title: str
    new_victim_only: bool = False
    field_size: str = "m"


STEPS: tuple[Step, ...] = (
    Step("victim-name", forms.VictimNameForm, "victim", "What is the victim's name?", True, "s"),
    Step("victim-date-of-birth", forms.VictimDateOfBirthForm, "victim", "", True),
    Step("victim-nationality", forms.VictimNationalityForm, "victim", "", True),
    Step("victim-home-office-reference", forms.VictimHomeOfficeReferenceForm, "victim", "", True),
    Step("victim-language", forms.VictimLanguageForm, "victim", "Language", True),
    Step(
        "victim-contact",
        forms.VictimContactForm,
        "victim",
        "How can the victim be contacted safely?",
        True,
        "s",
    ),
    Step("dependants", forms.AddDependantForm, "dependants", "Dependants", True),
    Step("crime-reference", forms.CrimeReferenceForm, "case", ""),
    Step("crime-type", forms.CrimeTypeForm, "case", ""),
    Step("case-role", forms.CaseRoleForm, "case", ""),
    Step("crime-reported", forms.ReportedOnForm, "case", ""),
    Step("investigation-status", forms.InvestigationStatusForm, "case", ""),
    Step("narrative", forms.NarrativeForm, "case", ""),
    Step("notice", forms.NoticeForm, "notice", "The data-sharing notice", False, "s"),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
# A refused journey page is recorded as the API's refused referral is: creating a case.
JOURNEY = {"POST": "create"}

# Which page answers each field the referral service may refuse.
FIELD_STEPS = {
    "given_names": "victim-name",
    "family_name": "victim-name",
    "date_of_birth": "victim-date-of-birth",
    "nationality": "victim-nationality",
    "home_office_reference": "victim-home-office-reference",
    "preferred_language": "victim-language",
    "interpreter_needed": "victim-language",
    "contact": "victim-contact",
    "address": "victim-contact",
    "crime_reference": "crime-reference",
    "crime_type": "crime-type",
    "role": "case-role",
    "reported_on": "crime-reported",
    "referred_on": "crime-reported",
    "investigation_status": "investigation-status",
    "narrative": "narrative",
    "version": "notice",
    "language": "notice",
    "given_on": "notice",
}
FIELD_NAMES = {
    "given_names": "Given names",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "nationality": "Nationality",
    "home_office_reference": "Home Office reference",
    "preferred_language": "Preferred language",
    "contact": "Safe contact details",
    "address": "Address",
    "crime_reference": "Crime reference",
    "crime_type": "Crime type",
    "role": "Victim or witness",
    "reported_on": "Date the crime was reported",
    "referred_on": "Date of referral",
    "investigation_status": "Investigation",
    "version": "Notice version",
    "language": "Notice language",
    "given_on": "Date the notice was given",
}


def _new_draft(victim=None) -> dict:
    return {
        "victim_id": str(victim.pk) if victim else None,
        "victim": {},
        "dependants": [],
        "case": {},
        "notice": {},
        "done": [],
        "checking": False,
    }


def _draft(request) -> dict | None:
    return request.session.get(DRAFT)


def _save(request, draft: dict) -> None:
    request.session[DRAFT] = draft
    request.session.modified = True


def _steps(draft: dict) -> list[Step]:
    return [step for step in STEPS if not (step.new_victim_only and draft.get("victim_id"))]


def _step_url(step: Step) -> str:
    return reverse("cases:referral_step", args=[step.slug])


def _next_url(draft: dict, step: Step) -> str:
    steps = _steps(draft)
    index = steps.index(step)
    if draft.get("checking") or index + 1 == len(steps):
        return reverse("cases:referral_check")
    return _step_url(steps[index + 1])


def _back_url(draft: dict, step: Step) -> str:
    if draft.get("checking"):
        return reverse("cases:referral_check")
    steps = _steps(draft)
    index = steps.index(step)
    return _step_url(steps[index - 1]) if index else reverse("cases:referral_start")


def _as_json(cleaned: dict) -> dict:
    """Answers as the session stores them: dates as ISO strings."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in cleaned.items()
    }


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
        draft = _new_draft(victim)
        _save(request, draft)
        return redirect(_step_url(_steps(draft)[0]))
    draft = _draft(request)
    continue_url = None
    if draft is not None:
        missing = [step for step in _steps(draft) if step.slug not in draft["done"]]
        continue_url = _step_url(missing[0]) if missing else reverse("cases:referral_check")
    return render(request, "cases/referral/start.html", {"continue_url": continue_url})


def _journey_context(request, draft: dict, step: Step, form) -> dict:
    return {
        "draft": draft,
        "step": step,
        "form": form,
        "back_url": _back_url(draft, step),
        "single": len(form.fields) == 1,
        "known_victim": _known_victim(request, draft),
    }


def _known_victim(request, draft: dict):
    if not draft.get("victim_id"):
        return None
    return viewed_or_404(
        request, victim_get, object_type="victim", hidden=Victim, victim_id=draft["victim_id"]
    )


@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_step(request, slug: str):
    """One question page: the answer is kept in the session, nothing is written yet."""
    draft = _draft(request)
    if draft is None:
        return redirect("cases:referral_start")
    step = STEPS_BY_SLUG.get(slug)
    if step is None or step not in _steps(draft):
        raise Http404
    if step.slug == "dependants":
        return _dependants_step(request, draft, step)
    form = step.form_class(
        request.POST if request.method == "POST" else None, initial=draft[step.section]
    )
    if request.method == "POST" and form.is_valid():
        draft[step.section].update(_as_json(form.cleaned_data))
        draft["done"] = sorted({*draft["done"], step.slug})
        _save(request, draft)
        return redirect(_next_url(draft, step))
    return render(
        request, "cases/referral/question.html", _journey_context(request, draft, step, form)
    )


def _dependants_step(request, draft: dict, step: Step):
    form = forms.AddDependantForm(request.POST if request.method == "POST" else None)
    if draft["dependants"]:
        form.fields["add_dependant"].label = "Do you need to add another dependant?"
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["add_dependant"] == "yes":
            return redirect("cases:referral_dependant")
        draft["done"] = sorted({*draft["done"], step.slug})
        _save(request, draft)
        return redirect(_next_url(draft, step))
    return render(
        request, "cases/referral/dependants.html", _journey_context(request, draft, step, form)
    )


@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_dependant(request):
    """Add one dependant to the draft."""
    draft = _draft(request)
    if draft is None:
        return redirect("cases:referral_start")
    if draft.get("victim_id"):
        raise Http404
    form = forms.DependantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        draft["dependants"].append(_as_json(form.cleaned_data))
        _save(request, draft)
        return redirect("cases:referral_step", slug="dependants")
    return render(
        request,
        "cases/referral/dependant.html",
        {"form": form, "back_url": reverse("cases:referral_step", args=["dependants"])},
    )


@require_POST
@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_dependant_remove(request, index: int):
    draft = _draft(request)
    if draft is None:
        return redirect("cases:referral_start")
    if 0 <= index < len(draft["dependants"]):
        removed = draft["dependants"].pop(index)
        _save(request, draft)
        messages.success(request, f"{removed['given_names']} {removed['family_name']} was removed.")
    return redirect("cases:referral_step", slug="dependants")


def _answers(draft: dict) -> dict:
    """The draft as the referral service takes it."""
    case = dict(draft["case"])
    case["reported_on"] = date_or_none(case.get("reported_on"))
    notice = dict(draft["notice"])
    notice["given_on"] = date_or_none(notice.get("given_on"))
    answers = {"case": case, "notice": notice}
    if draft.get("victim_id"):
        answers["victim_id"] = UUID(draft["victim_id"])
    else:
        victim = dict(draft["victim"])
        victim["date_of_birth"] = date_or_none(victim.get("date_of_birth"))
        victim["interpreter_needed"] = victim.get("interpreter_needed") == "yes"
        answers["victim"] = victim
        answers["dependants"] = [
            {**dependant, "date_of_birth": date_or_none(dependant["date_of_birth"])}
            for dependant in draft["dependants"]
        ]
    return answers


def _service_errors(error: ValidationError) -> list[dict]:
    """The service's refusal as error summary items, each linking to the page to fix it."""
    items = []
    for key, messages_ in error.message_dict.items():
        field = key.split(".")[-1]
        if key.startswith("dependants"):
            href, name = reverse("cases:referral_step", args=["dependants"]), "Dependant"
        elif key in ("victim", "victim_id"):
            href, name = reverse("cases:referral_start"), "Victim"
        else:
            slug = FIELD_STEPS.get(field)
            href = reverse("cases:referral_step", args=[slug]) if slug else None
            name = FIELD_NAMES.get(field, "")
        for message in messages_:
            items.append({"href": href, "text": f"{name}: {message}" if name else message})
    return items


@role_required(*POLICE, object_type="case", actions=JOURNEY)
def referral_check(request):
    """Check your answers; submitting it is the one write of the journey."""
    draft = _draft(request)
    if draft is None:
        return redirect("cases:referral_start")
    for step in _steps(draft):
        if step.slug not in draft["done"]:
            return redirect(_step_url(step))
    draft["checking"] = True
    _save(request, draft)
    errors = None
    if request.method == "POST":
        answers = _answers(draft)
        try:
            # Recorded as the API records a referral: the case created, and the victim if new.
            with audited(request, action="create", object_type="case") as access:
                referral = referral_create(officer=request.user, **answers)
                access.object_id = str(referral.case.pk)
                access.detail = f"referral of victim {referral.victim.pk}"
                if "victim" in answers:
                    access.record_also(
                        action="create", object_type="victim", object_id=referral.victim.pk
                    )
        except ValidationError as error:
            errors = SimpleNamespace(errors=True, summary_errors=_service_errors(error))
        except ConflictError as error:
            errors = SimpleNamespace(
                errors=True, summary_errors=[{"href": None, "text": str(error)}]
            )
        else:
            request.session.pop(DRAFT, None)
            return redirect("cases:referral_done", case_id=referral.case.pk)
    return render(
        request,
        "cases/referral/check.html",
        {
            "draft": draft,
            "form": errors,
            "sections": _check_rows(draft),
            "known_victim": _known_victim(request, draft),
            "back_url": _step_url(_steps(draft)[-1]),
        },
    )


def _check_rows(draft: dict) -> list[dict]:
    def row(key, value, slug, hidden):
        return {
            "key": key,
            "values": value if isinstance(value, list) else [value],
            "href": reverse("cases:referral_step", args=[slug]),
            "hidden": hidden,
        }

    def when(value):
        return date_or_none(value).strftime("%-d %B %Y") if value else ""

    sections = []
    if not draft.get("victim_id"):
        victim = draft["victim"]
        sections.append(
            {
                "title": "Victim",
                "rows": [
                    row(
                        "Name",
                        f"{victim['given_names']} {victim['family_name']}",
                        "victim-name",
                        "name",
                    ),
                    row(
                        "Date of birth",
                        when(victim["date_of_birth"]),
                        "victim-date-of-birth",
                        "date of birth",
                    ),
                    row("Nationality", victim["nationality"], "victim-nationality", "nationality"),
                    row(
                        "Home Office reference",
                        victim["home_office_reference"] or "Not known",
                        "victim-home-office-reference",
                        "Home Office reference",
                    ),
                    row(
                        "Preferred language",
                        language_name(victim["preferred_language"]),
                        "victim-language",
                        "preferred language",
                    ),
                    row(
                        "Needs an interpreter",
                        "Yes" if victim["interpreter_needed"] == "yes" else "No",
                        "victim-language",
                        "whether an interpreter is needed",
                    ),
                    row(
                        "Safe contact details",
                        victim["contact"] or "None given",
                        "victim-contact",
                        "safe contact details",
                    ),
                    row(
                        "Address",
                        victim["address"] or "None given",
                        "victim-contact",
                        "address",
                    ),
                ],
            }
        )
        sections.append(
            {
                "title": "Dependants",
                "rows": [
                    row(
                        "Dependants",
                        [
                            f"{d['given_names']} {d['family_name']}, born "
                            f"{when(d['date_of_birth'])}"
                            for d in draft["dependants"]
                        ]
                        or "None",
                        "dependants",
                        "dependants",
                    )
                ],
            }
        )
    case = draft["case"]
    sections.append(
        {
            "title": "Case",
            "rows": [
                row(
                    "Crime reference", case["crime_reference"], "crime-reference", "crime reference"
                ),
                row("Crime type", values.LABELS[case["crime_type"]], "crime-type", "crime type"),
                row(
                    "Victim or witness",
                    values.LABELS[case["role"]],
                    "case-role",
                    "whether the person is a victim or a witness",
                ),
                row("Date reported", when(case["reported_on"]), "crime-reported", "date reported"),
                row(
                    "Investigation",
                    values.LABELS[case["investigation_status"]],
                    "investigation-status",
                    "investigation status",
                ),
                row(
                    "What happened", case["narrative"] or "Not given", "narrative", "what happened"
                ),
            ],
        }
    )
    notice = draft["notice"]
    sections.append(
        {
            "title": "Data-sharing notice",
            "rows": [
                row("Version", notice["version"], "notice", "notice version"),
                row("Language", language_name(notice["language"]), "notice", "language"),
                row("Date given", when(notice["given_on"]), "notice", "date the notice was given"),
            ],
        }
    )
    return sections


@role_required(*POLICE, object_type="case")
def referral_done(request, case_id: UUID):
    case = viewed_or_404(request, case_get, object_type="case", hidden=Case, case_id=case_id)
    return render(request, "cases/referral/done.html", {"case": case, "hold": case.victim.hold})


# --- The force's cases ------------------------------------------------------------------------


def _search(queryset, text: str):
    text = text.strip()
    key = name_key(text)
    condition = (
        Q(reference__iexact=text)
        | Q(crime_reference__icontains=text)
        | Q(victim__reference__iexact=text)
    )
    if key:
        condition |= Q(victim__family_name_key__contains=key) | Q(
            victim__given_names_key__contains=key
        )
    return queryset.filter(condition)


@role_required(*POLICE, object_type="case", actions={"GET": "list"})
def case_list_page(request):
    """The force's cases, with search and filters (status, crime type, hold status)."""
    form = forms.CaseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    cases = case_search(
        user=request.user,
        status=filters.get("investigation_status"),
        prosecution_status=filters.get("prosecution_status"),
        hold_status=filters.get("hold_status"),
    )
    if filters.get("q"):
        cases = _search(cases, filters["q"])
    if filters.get("crime_type"):
        cases = cases.filter(crime_type=filters["crime_type"])
    rows, listing = listed(
        request, cases.order_by("-referred_on", "-created_at"), object_type="case"
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
        if form.is_valid():
            changes = form.changes()
            try:
                with audited(
                    request, action="change", object_type="case", object_id=case_id, hidden=Case
                ) as access:
                    case = case_get(user=request.user, case_id=case_id)
                    if not can_change_case(user=request.user, case=case):
                        raise Case.DoesNotExist
                    case_status_change(
                        case=case, by=request.user, changes=changes, note=form.cleaned_data["note"]
                    )
                    access.detail = "status: " + ", ".join(sorted(changes))
            except (ValidationError, ConflictError) as error:
                form.apply_service_errors(error)
            else:
                messages.success(
                    request,
                    "Status change recorded. The hold is re-evaluated automatically in a few "
                    "seconds: reload this page to see it.",
                )
                return redirect("cases:detail", case_id=case.pk)
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
