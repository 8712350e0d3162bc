"""Forms of the analysts' and auditors' pages: the statistics' filters and proposed policy
values for a simulation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateField, GovukForm

from .barriers import BREAKDOWNS
from .rules import SETTINGS

BREAKDOWN_LABELS = {
    "month": _("Month"),
    "force": _("Police force"),
    "crime_type": _("Crime type"),
    "nationality_group": _("Nationality (UN sub-region)"),
    "language": _("Victim's preferred language"),
}


class StatisticsFilterForm(GovukForm):
    date_from = DateField(label=_("From"), what=_("From date"), required=False)
    date_to = DateField(label=_("To"), what=_("To date"), required=False)
    by = forms.ChoiceField(
        label=_("Break down by"),
        choices=[(key, BREAKDOWN_LABELS[key]) for key in BREAKDOWNS],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_from", _("From date must be on or before the to date"))
        return data


_DAY_SETTINGS = [
    name for name in SETTINGS if name.endswith("_days") and name != "appeal_window_days"
]


class SimulationForm(GovukForm):
    """Proposed values: a field left empty keeps the running value."""

    service_field_names = {f"policy.{name}": name for name in SETTINGS}

    limbs = forms.ChoiceField(
        label=_("Limbs"),
        required=False,
        choices=[("", _("Keep the running value")), ("any", _("Any")), ("all", _("All"))],
    )
    cover_witnesses = forms.ChoiceField(
        label=_("Cover witnesses"),
        required=False,
        choices=[("", _("Keep the running value")), ("true", _("Yes")), ("false", _("No"))],
    )
    on = DateField(
        label=_("Simulate on"),
        what=_("The simulation date"),
        required=False,
        past=False,
        help_text=_("Today or within the next 365 days. Leave empty for today"),
    )

    def __init__(self, *args, running: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name in [*_DAY_SETTINGS, "appeal_window_days.crown", "appeal_window_days.magistrates"]:
            outer, _dot, inner = name.partition(".")
            now = running[outer][inner] if inner else running[name]
            self.fields[name.replace(".", "__")] = forms.IntegerField(
                label=name.replace("_", " ").replace(".", ": ").capitalize(),
                required=False,
                min_value=0,
                help_text=_("Running value: %(value)s days") % {"value": now},
                widget=forms.TextInput(
                    attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}
                ),
            )
        self.fields["on"] = self.fields.pop("on")

    def changes(self) -> dict:
        data = self.cleaned_data
        changes: dict = {}
        if data.get("limbs"):
            changes["limbs"] = data["limbs"]
        if data.get("cover_witnesses"):
            changes["cover_witnesses"] = data["cover_witnesses"] == "true"
        for name, value in data.items():
            if value is None or name in ("limbs", "cover_witnesses", "on"):
                continue
            outer, _dot, inner = name.partition("__")
            if inner:
                changes.setdefault(outer, {})[inner] = value
            else:
                changes[name] = value
        return changes
