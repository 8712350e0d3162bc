"""Forms for the police pages: the referral journey (one question per page), the case list's
filters and the status change on the case page. They check what a page can check (required,
real dates, not in the future, formats); the services decide everything else."""

import re

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import (
    LANGUAGE_CHOICES,
    NO_AUTOFILL,
    YES_NO,
    DateField,
    GovukForm,
    choices_with_blank,
)
from protocol.rules import values
from victims.models import NoticeText
from victims.selectors import SEARCH_MIN_CHARACTERS

# --- Choices ------------------------------------------------------------------------------------

# Statuses a referral may start with: a case charged or closed is recorded on the case page,
# where its dates and outcome can be given.
REFERRAL_INVESTIGATION_STATUSES = tuple(
    status
    for status in values.INVESTIGATION_STATUSES
    if status not in ("charged", "no_further_action")
)
OUTCOME_CHOICES = [
    (str(code), f"{code}: {text}") for code, text in values.OUTCOME_CODE_LABELS.items()
]


def _max_length_message(label, max_length: int) -> str:
    return gettext("%(label)s must be %(max_length)s characters or fewer") % {
        "label": label,
        "max_length": max_length,
    }


# Worked out when shown, so in the language of the page.
max_length_message = lazy(_max_length_message, str)


def _text(label, required_message, *, max_length: int = 200, **kwargs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        error_messages={
            "required": required_message,
            "max_length": max_length_message(label, max_length),
        },
        **kwargs,
    )


# --- The referral journey -------------------------------------------------------------------


class VictimNameForm(GovukForm):
    given_names = _text(
        _("Given names"),
        _("Enter the victim's given names"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
        help_text=_("All of them, as the victim writes them"),
    )
    family_name = _text(
        _("Family name"),
        _("Enter the victim's family name"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )


class VictimDateOfBirthForm(GovukForm):
    date_of_birth = DateField(
        label=_("What is the victim's date of birth?"),
        what="Date of birth",
        required_message=_("Enter the victim's date of birth"),
        help_text=_("For example, 27 3 1990"),
    )


class VictimNationalityForm(GovukForm):
    nationality = forms.CharField(
        label=_("What is the victim's nationality?"),
        help_text=_(
            "The 3-letter country code, for example SEN for Senegal, UKR for Ukraine or "
            "XXA for a stateless person"
        ),
        error_messages={"required": _("Enter the victim's nationality as a 3-letter country code")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", **NO_AUTOFILL}),
    )

    def clean_nationality(self):
        code = self.cleaned_data["nationality"].strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise forms.ValidationError(
                _("Enter the nationality as a 3-letter country code, like SEN or UKR")
            )
        return code


class VictimHomeOfficeReferenceForm(GovukForm):
    home_office_reference = forms.CharField(
        label=_("What is the victim's Home Office reference? (optional)"),
        required=False,
        max_length=40,
        help_text=_(
            "Only if the victim has one, for example from a visa or an earlier "
            "application. Leave it blank if you do not know it."
        ),
        error_messages={"max_length": _("Home Office reference must be 40 characters or fewer")},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", **NO_AUTOFILL}),
    )


class VictimLanguageForm(GovukForm):
    preferred_language = forms.ChoiceField(
        label=_("Which language does the victim prefer?"),
        choices=choices_with_blank(LANGUAGE_CHOICES, _("Choose a language")),
        error_messages={"required": _("Choose the language the victim prefers")},
    )
    interpreter_needed = forms.ChoiceField(
        label=_("Does the victim need an interpreter?"),
        choices=YES_NO,
        widget=forms.RadioSelect(attrs={"inline": True}),
        error_messages={"required": _("Select yes if the victim needs an interpreter")},
    )


class VictimContactForm(GovukForm):
    contact = forms.CharField(
        label=_("Safe contact details (optional)"),
        required=False,
        help_text=_(
            "How and when it is safe to contact the victim. Never shown to Immigration Enforcement."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    address = forms.CharField(
        label=_("Address (optional)"),
        required=False,
        help_text=_("Leave blank if the address must be withheld, for example in a refuge."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DependantForm(GovukForm):
    given_names = _text(
        _("Given names"),
        _("Enter the dependant's given names"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    family_name = _text(
        _("Family name"),
        _("Enter the dependant's family name"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    date_of_birth = DateField(
        label=_("Date of birth"),
        what="Date of birth",
        required_message=_("Enter the dependant's date of birth"),
        help_text=_("For example, 27 3 2015"),
    )


class AddDependantForm(GovukForm):
    add_dependant = forms.ChoiceField(
        label=_("Do you need to add a dependant?"),
        choices=YES_NO,
        widget=forms.RadioSelect(attrs={"inline": True}),
        help_text=_("Dependants are covered by the victim's hold."),
        error_messages={"required": _("Select yes if you need to add a dependant")},
    )


class CrimeReferenceForm(GovukForm):
    crime_reference = _text(
        _("What is the crime reference?"),
        _("Enter the crime reference from your force's records"),
        max_length=60,
        help_text=_("The reference on your force's crime recording system"),
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", **NO_AUTOFILL}),
    )


class CrimeTypeForm(GovukForm):
    crime_type = forms.ChoiceField(
        label=_("What type of crime is it?"),
        choices=values.as_choices(values.CRIME_TYPES),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the type of crime")},
    )


class CaseRoleForm(GovukForm):
    role = forms.ChoiceField(
        label=_("Is the person a victim or a witness in this case?"),
        choices=values.as_choices(values.CASE_ROLES),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select whether the person is a victim or a witness")},
    )


class ReportedOnForm(GovukForm):
    reported_on = DateField(
        label=_("When was the crime reported?"),
        what="Date the crime was reported",
        required_message=_("Enter the date the crime was reported"),
        help_text=_("For example, 14 10 2026"),
    )


class InvestigationStatusForm(GovukForm):
    investigation_status = forms.ChoiceField(
        label=_("Where is the investigation now?"),
        choices=values.as_choices(REFERRAL_INVESTIGATION_STATUSES),
        widget=forms.RadioSelect,
        help_text=_(
            "If the case has been charged or closed, log the referral and then record "
            "that on the case page, with its dates."
        ),
        error_messages={"required": _("Select where the investigation is now")},
    )


class NarrativeForm(GovukForm):
    narrative = forms.CharField(
        label=_("What happened? (optional)"),
        required=False,
        help_text=_(
            "Only police can see this. Support advisers and Immigration Enforcement never see it."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class NoticeForm(GovukForm):
    version = _text(
        _("Version of the notice"),
        _("Enter the version printed on the notice, for example 2026-01"),
        max_length=20,
        help_text=_("Printed at the bottom of the notice, for example 2026-01"),
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", **NO_AUTOFILL}),
    )
    language = forms.ChoiceField(
        label=_("Language the notice was given in"),
        choices=choices_with_blank(LANGUAGE_CHOICES, _("Choose a language")),
        error_messages={"required": _("Choose the language the notice was given in")},
    )
    given_on = DateField(
        label=_("Date the notice was given"),
        what="Date the notice was given",
        required_message=_("Enter the date you gave the victim the notice"),
        help_text=_("For example, 14 10 2026"),
    )

    def clean(self):
        """The notice named must be one whose text is held: the victim's record shows it."""
        cleaned = super().clean()
        version, language = cleaned.get("version"), cleaned.get("language")
        if version and language:
            held = NoticeText.objects.filter(version=version)
            if not held.exists():
                self.add_error("version", _("Enter the version of a notice this service holds"))
            elif not held.filter(language=language).exists():
                self.add_error(
                    "language", _("This version of the notice is not held in this language")
                )
        return cleaned


# --- The case list's filters ------------------------------------------------------------------


class CaseFilterForm(GovukForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        min_length=SEARCH_MIN_CHARACTERS,
        max_length=100,
        help_text=_("Case, crime or victim reference, or victim's name, at least 3 characters"),
        error_messages={
            "min_length": _("Search for at least 3 characters of a name or reference"),
            "max_length": _("Search for at most 100 characters"),
        },
    )
    investigation_status = forms.ChoiceField(
        label=_("Investigation"),
        required=False,
        choices=choices_with_blank(values.as_choices(values.INVESTIGATION_STATUSES), _("Any")),
    )
    prosecution_status = forms.ChoiceField(
        label=_("Prosecution"),
        required=False,
        choices=choices_with_blank(values.as_choices(values.PROSECUTION_STATUSES), _("Any")),
    )
    crime_type = forms.ChoiceField(
        label=_("Crime type"),
        required=False,
        choices=choices_with_blank(values.as_choices(values.CRIME_TYPES), _("Any")),
    )
    hold_status = forms.ChoiceField(
        label=_("Hold"),
        required=False,
        choices=choices_with_blank(values.as_choices(values.HOLD_STATUSES), _("Any")),
    )


# --- The case page's status change ----------------------------------------------------------


class CaseStatusForm(GovukForm):
    """The whole investigation and prosecution state, prefilled with what the case says now;
    the service records what changed."""

    service_field_names = {"non_field_errors": "__all__"}

    investigation_status = forms.ChoiceField(
        label=_("Investigation status"),
        choices=values.as_choices(values.INVESTIGATION_STATUSES),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the investigation status")},
    )
    closed_on = DateField(
        label=_("Date the investigation was closed"),
        what="Date the investigation was closed",
        required=False,
        help_text=_("Only for no further action. For example, 14 10 2026"),
    )
    outcome_code = forms.TypedChoiceField(
        label=_("Home Office outcome type"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=choices_with_blank(OUTCOME_CHOICES, _("Not recorded")),
        help_text=_("Only when the investigation is closed with no further action or charged"),
    )
    prosecution_status = forms.ChoiceField(
        label=_("Prosecution status"),
        choices=values.as_choices(values.PROSECUTION_STATUSES),
        error_messages={"required": _("Select the prosecution status")},
    )
    court = forms.ChoiceField(
        label=_("Court"),
        required=False,
        choices=choices_with_blank(values.as_choices(values.COURTS), _("Not recorded")),
        help_text=_("Needed when the offender is sentenced: it sets the appeal window"),
    )
    concluded_on = DateField(
        label=_("Date the prosecution concluded"),
        what="Date the prosecution concluded",
        required=False,
        help_text=_(
            "For sentenced, acquitted, discontinued or not charged. For example, 14 10 2026"
        ),
    )
    withdrawal_reason = forms.ChoiceField(
        label=_("If the victim withdrew support for the case, why?"),
        required=False,
        choices=choices_with_blank(
            list(values.WITHDRAWAL_REASON_LABELS.items()), _("The victim did not withdraw")
        ),
        help_text=_(
            "Only when you close the investigation with no further action or the prosecution "
            "is discontinued. Used only for anonymised statistics on barriers to reporting"
        ),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        help_text=_("Why the status changed, for the case history"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "investigation_status": data["investigation_status"],
            "closed_on": data["closed_on"],
            "outcome_code": data["outcome_code"],
            "prosecution_status": data["prosecution_status"],
            "court": data["court"] or "",
            "concluded_on": data["concluded_on"],
            "withdrawal_reason": data.get("withdrawal_reason") or "",
        }
