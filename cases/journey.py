"""The referral journey's draft: one question per page, the answers kept in the session until
the check page submits them to the referral service (`cases.services.referral_create`).

`ReferralDraft` is the one object the journey's pages use: which pages it asks (a known victim
skips the victim's), where each page goes next and back, recording an answer, and the answers as
the service takes them. Nothing here writes to the database.
"""

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from core.forms import GovukForm, date_or_none, language_name
from core.languages import country_name
from core.validation import long_date
from protocol.rules import values

from . import forms

SESSION_KEY = "referral_draft"


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
    Step("victim-name", forms.VictimNameForm, "victim", _("What is the victim's name?"), True, "s"),
    Step("victim-date-of-birth", forms.VictimDateOfBirthForm, "victim", "", True),
    Step("victim-nationality", forms.VictimNationalityForm, "victim", "", True),
    Step("victim-home-office-reference", forms.VictimHomeOfficeReferenceForm, "victim", "", True),
    Step("victim-language", forms.VictimLanguageForm, "victim", _("Language"), True),
    Step(
        "victim-contact",
        forms.VictimContactForm,
        "victim",
        _("How can the victim be contacted safely?"),
        True,
        "s",
    ),
    Step("dependants", forms.AddDependantForm, "dependants", _("Dependants"), True),
    Step("crime-reference", forms.CrimeReferenceForm, "case", ""),
    Step("crime-type", forms.CrimeTypeForm, "case", ""),
    Step("case-role", forms.CaseRoleForm, "case", ""),
    Step("crime-reported", forms.ReportedOnForm, "case", ""),
    Step("investigation-status", forms.InvestigationStatusForm, "case", ""),
    Step("narrative", forms.NarrativeForm, "case", ""),
    Step("notice", forms.NoticeForm, "notice", _("The data-sharing notice"), False, "s"),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
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
    "given_names": _("Given names"),
    "family_name": _("Family name"),
    "date_of_birth": _("Date of birth"),
    "nationality": _("Nationality"),
    "home_office_reference": _("Home Office reference"),
    "preferred_language": _("Preferred language"),
    "contact": _("Safe contact details"),
    "address": _("Address"),
    "crime_reference": _("Crime reference"),
    "crime_type": _("Crime type"),
    "role": _("Victim or witness"),
    "reported_on": _("Date the crime was reported"),
    "referred_on": _("Date of referral"),
    "investigation_status": _("Investigation"),
    "version": _("Notice version"),
    "language": _("Notice language"),
    "given_on": _("Date the notice was given"),
}


def step_url(step: Step) -> str:
    return reverse("cases:referral_step", args=[step.slug])


def _as_json(cleaned: dict) -> dict:
    """Answers as the session stores them: dates as ISO strings."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in cleaned.items()
    }


class ReferralDraft:
    """The referral being written, as kept in the session (`data`, plain JSON: templates read
    it as `draft`)."""

    def __init__(self, session, data: dict):
        self.session = session
        self.data = data

    @classmethod
    def start(cls, session, victim=None) -> "ReferralDraft":
        """A new draft, for a new victim or for `victim`, one already known to the force."""
        draft = cls(
            session,
            {
                "victim_id": str(victim.pk) if victim else None,
                "victim": {},
                "dependants": [],
                "case": {},
                "notice": {},
                "done": [],
                "checking": False,
            },
        )
        draft.save()
        return draft

    @classmethod
    def load(cls, session) -> "ReferralDraft | None":
        data = session.get(SESSION_KEY)
        return None if data is None else cls(session, data)

    def save(self) -> None:
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def discard(self) -> None:
        self.session.pop(SESSION_KEY, None)

    @property
    def victim_id(self) -> str | None:
        return self.data.get("victim_id")

    @property
    def dependants(self) -> list[dict]:
        return self.data["dependants"]

    def steps(self) -> list[Step]:
        """The pages this draft asks: a known victim's draft skips the victim's pages."""
        return [step for step in STEPS if not (step.new_victim_only and self.victim_id)]

    def step(self, slug: str) -> Step | None:
        step = STEPS_BY_SLUG.get(slug)
        return step if step in self.steps() else None

    def first_unanswered(self) -> Step | None:
        return next((step for step in self.steps() if step.slug not in self.data["done"]), None)

    def continue_url(self) -> str:
        missing = self.first_unanswered()
        return step_url(missing) if missing else reverse("cases:referral_check")

    def next_url(self, step: Step) -> str:
        steps = self.steps()
        index = steps.index(step)
        if self.data.get("checking") or index + 1 == len(steps):
            return reverse("cases:referral_check")
        return step_url(steps[index + 1])

    def back_url(self, step: Step) -> str:
        if self.data.get("checking"):
            return reverse("cases:referral_check")
        steps = self.steps()
        index = steps.index(step)
        return step_url(steps[index - 1]) if index else reverse("cases:referral_start")

    def initial(self, step: Step) -> dict:
        return self.data[step.section]

    def answer(self, step: Step, cleaned: dict | None = None) -> None:
        """Record a page's answers (none for the dependants page) and mark it answered."""
        if cleaned is not None:
            self.data[step.section].update(_as_json(cleaned))
        self.data["done"] = sorted({*self.data["done"], step.slug})
        self.save()

    def add_dependant(self, cleaned: dict) -> None:
        self.dependants.append(_as_json(cleaned))
        self.save()

    def remove_dependant(self, index: int) -> dict | None:
        if not 0 <= index < len(self.dependants):
            return None
        removed = self.dependants.pop(index)
        self.save()
        return removed

    def start_checking(self) -> None:
        """From the check page on, each question page goes back to it."""
        self.data["checking"] = True
        self.save()

    def answers(self) -> dict:
        """The draft as the referral service takes it."""
        draft = self.data
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

    def check_rows(self) -> list[dict]:
        return _check_rows(self.data)


def service_errors(error: ValidationError) -> list[dict]:
    """The service's refusal as error summary items, each linking to the page to fix it."""
    items = []
    for key, messages_ in error.message_dict.items():
        field = key.split(".")[-1]
        if key.startswith("dependants"):
            href, name = reverse("cases:referral_step", args=["dependants"]), gettext("Dependant")
        elif key in ("victim", "victim_id"):
            href, name = reverse("cases:referral_start"), gettext("Victim")
        else:
            slug = FIELD_STEPS.get(field)
            href = reverse("cases:referral_step", args=[slug]) if slug else None
            name = FIELD_NAMES.get(field, "")
        for message in messages_:
            items.append({"href": href, "text": f"{name}: {message}" if name else message})
    return items


def _check_rows(draft: dict) -> list[dict]:
    """The check page's summary lists, each row linking to the page that asks it."""

    def row(key, value, slug, hidden):
        return {
            "key": key,
            "values": value if isinstance(value, list) else [value],
            "href": reverse("cases:referral_step", args=[slug]),
            "hidden": hidden,
        }

    def when(value):
        return long_date(date_or_none(value)) if value else ""

    sections = []
    if not draft.get("victim_id"):
        victim = draft["victim"]
        sections.append(
            {
                "title": gettext("Victim"),
                "rows": [
                    row(
                        gettext("Name"),
                        f"{victim['given_names']} {victim['family_name']}",
                        "victim-name",
                        gettext("name"),
                    ),
                    row(
                        gettext("Date of birth"),
                        when(victim["date_of_birth"]),
                        "victim-date-of-birth",
                        gettext("date of birth"),
                    ),
                    row(
                        gettext("Nationality"),
                        country_name(victim["nationality"], get_language() or "en"),
                        "victim-nationality",
                        gettext("nationality"),
                    ),
                    row(
                        gettext("Home Office reference"),
                        victim["home_office_reference"] or gettext("Not known"),
                        "victim-home-office-reference",
                        gettext("Home Office reference"),
                    ),
                    row(
                        gettext("Preferred language"),
                        language_name(victim["preferred_language"]),
                        "victim-language",
                        gettext("preferred language"),
                    ),
                    row(
                        gettext("Needs an interpreter"),
                        gettext("Yes") if victim["interpreter_needed"] == "yes" else gettext("No"),
                        "victim-language",
                        gettext("whether an interpreter is needed"),
                    ),
                    row(
                        gettext("Safe contact details"),
                        victim["contact"] or gettext("None given"),
                        "victim-contact",
                        gettext("safe contact details"),
                    ),
                    row(
                        gettext("Address"),
                        victim["address"] or gettext("None given"),
                        "victim-contact",
                        gettext("address"),
                    ),
                ],
            }
        )
        sections.append(
            {
                "title": gettext("Dependants"),
                "rows": [
                    row(
                        gettext("Dependants"),
                        [
                            gettext("%(given_names)s %(family_name)s, born %(date)s")
                            % {
                                "given_names": d["given_names"],
                                "family_name": d["family_name"],
                                "date": when(d["date_of_birth"]),
                            }
                            for d in draft["dependants"]
                        ]
                        or gettext("None"),
                        "dependants",
                        gettext("dependants"),
                    )
                ],
            }
        )
    case = draft["case"]
    sections.append(
        {
            "title": gettext("Case"),
            "rows": [
                row(
                    gettext("Crime reference"),
                    case["crime_reference"],
                    "crime-reference",
                    gettext("crime reference"),
                ),
                row(
                    gettext("Crime type"),
                    values.LABELS[case["crime_type"]],
                    "crime-type",
                    gettext("crime type"),
                ),
                row(
                    gettext("Victim or witness"),
                    values.LABELS[case["role"]],
                    "case-role",
                    gettext("whether the person is a victim or a witness"),
                ),
                row(
                    gettext("Date reported"),
                    when(case["reported_on"]),
                    "crime-reported",
                    gettext("date reported"),
                ),
                row(
                    gettext("Investigation"),
                    values.LABELS[case["investigation_status"]],
                    "investigation-status",
                    gettext("investigation status"),
                ),
                row(
                    gettext("What happened"),
                    case["narrative"] or gettext("Not given"),
                    "narrative",
                    gettext("what happened"),
                ),
            ],
        }
    )
    notice = draft["notice"]
    sections.append(
        {
            "title": gettext("Data-sharing notice"),
            "rows": [
                row(gettext("Version"), notice["version"], "notice", gettext("notice version")),
                row(
                    gettext("Language"),
                    language_name(notice["language"]),
                    "notice",
                    gettext("language"),
                ),
                row(
                    gettext("Date given"),
                    when(notice["given_on"]),
                    "notice",
                    gettext("date the notice was given"),
                ),
            ],
        }
    )
    return sections
