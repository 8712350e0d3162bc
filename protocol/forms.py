"""Forms for the Immigration Enforcement pages: the hold check, end confirmation and overrides."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import DATE_PARTS, NO_AUTOFILL, DateField, GovukForm
from protocol.rules import values


class HoldCheckForm(GovukForm):
    """Exact identifiers only: a Home Office reference, or full name and date of birth (one of
    the two, never both: each check uses one way of finding the person)."""

    home_office_reference = forms.CharField(
        label=_("Home Office reference"),
        required=False,
        max_length=40,
        error_messages={
            "max_length": _("Home Office reference must be 40 characters or fewer"),
        },
        help_text=_("For example, A1234567"),
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", **NO_AUTOFILL}),
    )
    family_name = forms.CharField(
        label=_("Family name"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("Family name must be 200 characters or fewer")},
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    given_names = forms.CharField(
        label=_("Given names"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("Given names must be 200 characters or fewer")},
        help_text=_("All of them, exactly as recorded"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    date_of_birth = DateField(
        label=_("Date of birth"),
        what=_("Date of birth"),
        required=False,
        help_text=_("For example, 27 3 1990"),
    )

    # What a check by name is made of, as the browser sends it (the date in three boxes).
    IDENTITY_INPUTS = (
        "family_name",
        "given_names",
        *(f"date_of_birth_{part}" for part in DATE_PARTS),
    )

    def _identity_started(self) -> bool:
        return any((self.data.get(name) or "").strip() for name in self.IDENTITY_INPUTS)

    def clean(self):
        cleaned = super().clean()
        reference = (cleaned.get("home_office_reference") or "").strip()
        identity = self._identity_started()
        if reference and identity:
            self.add_error(
                "home_office_reference",
                gettext("Enter a Home Office reference or a name and date of birth, not both"),
            )
        elif not reference and not identity:
            self.add_error(
                "home_office_reference",
                gettext("Enter a Home Office reference, or a name and date of birth"),
            )
        elif identity:
            # A field already refused (too long) has its one message: no second one.
            if "family_name" not in self._errors and not (cleaned.get("family_name") or "").strip():
                self.add_error("family_name", gettext("Enter the family name"))
            if "given_names" not in self._errors and not (cleaned.get("given_names") or "").strip():
                self.add_error("given_names", gettext("Enter the given names"))
            if "date_of_birth" not in self._errors and not cleaned.get("date_of_birth"):
                self.fields["date_of_birth"].error_parts = set(DATE_PARTS)
                self.add_error("date_of_birth", gettext("Enter the date of birth"))
        return cleaned

    def identifiers(self) -> dict:
        data = self.cleaned_data
        if (data.get("home_office_reference") or "").strip():
            return {"home_office_reference": data["home_office_reference"].strip()}
        return {
            "family_name": data["family_name"].strip(),
            "given_names": data["given_names"].strip(),
            "date_of_birth": data["date_of_birth"],
        }


class ConfirmEndForm(GovukForm):
    reason = forms.ChoiceField(
        label=_("Why has the hold ended?"),
        choices=values.as_choices(values.END_REASONS),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select why the hold has ended")},
    )


class OverrideRequestForm(GovukForm):
    category = forms.ChoiceField(
        label=_("Why is a public-protection override needed?"),
        choices=values.as_choices(values.OVERRIDE_CATEGORIES),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the reason for the override")},
    )
    justification = forms.CharField(
        label=_("Justification"),
        help_text=_(
            "The evidence for the risk, in enough detail for another IE senior "
            "caseworker to decide. Do not include the victim's name or address."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Explain why the override is needed")},
    )
    expires_on = DateField(
        label=_("When should the override end? (optional)"),
        what=_("The date the override ends"),
        required=False,
        past=False,
        future=True,
        help_text=_(
            "An override lasts at most 90 days, and ends then if you leave this blank. "
            "For example, 14 1 2027"
        ),
    )


class OverrideDecisionForm(GovukForm):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("approve", _("Approve the override")), ("reject", _("Reject the override"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select whether you approve or reject the override")},
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        help_text=_("Your reasons, for the record"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class OverrideRevokeForm(GovukForm):
    note = forms.CharField(
        label=_("Why are you revoking the override?"),
        help_text=_("For the record"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Explain why you are revoking the override")},
    )
