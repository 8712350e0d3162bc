"""The adviser's page for a crime a supported victim chose not to report: it asks nothing that
could identify the person (no name, date of birth, address, reference or free text)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import DateField, GovukForm
from core.permissions import ADVISER, audited, role_required
from protocol.rules import values

from .unreported import unreported_crime_record


class UnreportedCrimeForm(GovukForm):
    crime_type = forms.ChoiceField(
        label=gettext_lazy("What kind of crime was it?"),
        choices=[("", gettext_lazy("Select a crime type")), *values.as_choices(values.CRIME_TYPES)],
        error_messages={"required": gettext_lazy("Select the kind of crime")},
    )
    nationality = forms.RegexField(
        label=gettext_lazy("Nationality"),
        regex=r"^[A-Za-z]{3}$",
        help_text=gettext_lazy("The 3-letter country code, for example ALB or VNM"),
        error_messages={
            "required": gettext_lazy("Enter the nationality as a 3-letter country code"),
            "invalid": gettext_lazy("Enter the nationality as a 3-letter country code, like ALB"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "spellcheck": "false"}),
    )
    recorded_on = DateField(
        label=gettext_lazy("When did they tell you?"),
        what=gettext_lazy("The date they told you"),
        help_text=gettext_lazy("For example, 14 10 2026"),
    )
    reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Why did they choose not to report it?"),
        choices=list(values.WITHDRAWAL_REASON_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Select all that apply"),
        error_messages={"required": gettext_lazy("Select at least one reason")},
    )


@role_required(*ADVISER, object_type="unreported_crime", actions={"POST": "create"})
def unreported_crime_new(request):
    """Record an unreported crime; nothing about the person."""
    form = UnreportedCrimeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "nationality": form.cleaned_data["nationality"].upper()}
        try:
            with audited(request, action="create", object_type="unreported_crime") as access:
                crime = unreported_crime_record(by=request.user, **data)
                access.object_id = str(crime.pk)
        except ValidationError as error:
            form.apply_service_errors(error)
        else:
            messages.success(request, _("Recorded. Nothing that identifies the person was kept."))
            return redirect("victims:unreported_crime_new")
    return render(request, "victims/unreported_crime_new.html", {"form": form})
