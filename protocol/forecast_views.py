"""The what-if page on a victim's hold, for police and advisers: "if the prosecution concludes
on DATE (or the application is granted, or the engagement closes), protection would continue
until ...". Nothing is stored and nobody is notified: it is a read, recorded as one."""

from uuid import UUID

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from cases.selectors import case_list
from core.forms import DateField, GovukForm
from core.permissions import POLICE_OR_ADVISER, audited, role_required
from core.roles import POLICE_ROLES
from victims.models import Victim
from victims.selectors import victim_get

from .selectors import mask_case_references
from .services.forecast import hold_forecast
from .services.simulation import SimulationInputError

# A prosecution follows a charge: the what-ifs about one set the investigation to charged.
CHARGED = {"investigation_status": "charged"}

# What a police officer may try on one of their force's cases: (label, fields, date field).
CASE_WHAT_IFS = {
    "sentenced_crown": (
        _("Sentenced at the Crown Court"),
        {**CHARGED, "prosecution_status": "sentenced", "court": "crown"},
        "concluded_on",
    ),
    "sentenced_magistrates": (
        _("Sentenced at a magistrates' court"),
        {**CHARGED, "prosecution_status": "sentenced", "court": "magistrates"},
        "concluded_on",
    ),
    "acquitted": (_("Acquitted"), {**CHARGED, "prosecution_status": "acquitted"}, "concluded_on"),
    "discontinued": (
        _("Prosecution discontinued"),
        {**CHARGED, "prosecution_status": "discontinued"},
        "concluded_on",
    ),
    "no_further_action": (
        _("Investigation closed with no further action"),
        {"investigation_status": "no_further_action"},
        "closed_on",
    ),
}
ADVISER_WHAT_IFS = {
    "granted": (_("The application is granted"), {"status": "granted"}, "decided_on"),
    "refused": (_("The application is refused"), {"status": "refused"}, "decided_on"),
    "support_closed": (_("Our support engagement closes"), {"status": "closed"}, "closed_on"),
}


class ForecastForm(GovukForm):
    on = DateField(label=_("Forecast on"), what=_("The forecast date"), past=False)
    record = forms.ChoiceField(label=_("Which record"), required=False)
    what_if = forms.ChoiceField(label=_("What if"), required=False)
    happens_on = DateField(
        label=_("It happens on"), what=_("The date it happens"), required=False, past=False
    )

    def __init__(self, *args, records, what_ifs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record"].choices = [("", _("No change: the hold as it stands")), *records]
        self.fields["what_if"].choices = [(key, label) for key, (label, _f, _d) in what_ifs.items()]
        self.what_ifs = what_ifs

    def changes(self) -> list[dict]:
        data = self.cleaned_data
        if not data.get("record"):
            return []
        _label, fields, date_field = self.what_ifs[data["what_if"]]
        kind, _sep, record = data["record"].partition(":")
        happened = data.get("happens_on") or data["on"]
        return [{kind: record, **fields, date_field: happened.isoformat()}]


def _records(user, victim: Victim) -> tuple[list, dict]:
    if user.has_role(*POLICE_ROLES):
        cases = case_list(user=user).filter(victim=victim).order_by("referred_on")
        return [(f"case:{c.pk}", c.reference) for c in cases], CASE_WHAT_IFS
    applications = victim.applications.filter(organisation_id=user.organisation_id)
    records = [
        (f"application:{a.pk}", f"{a.get_route_display()} ({a.submitted_on:%d %b %Y})")
        for a in applications
    ]
    if victim.support_engagements.filter(organisation_id=user.organisation_id).exists():
        records.append((f"support:{user.organisation.code}", _("Our support engagement")))
    return records, ADVISER_WHAT_IFS


@role_required(*POLICE_OR_ADVISER, object_type="victim")
def hold_forecast_page(request, victim_id: UUID):
    """The forecast form and, once asked, the hold as it would be."""
    with audited(
        request,
        action="view",
        object_type="victim",
        object_id=victim_id,
        hidden=Victim,
        detail="hold forecast",
    ):
        victim = victim_get(user=request.user, victim_id=victim_id)
        records, what_ifs = _records(request.user, victim)
        visible = set(
            case_list(user=request.user).filter(victim=victim).values_list("reference", flat=True)
        )
    form = ForecastForm(request.GET or None, records=records, what_ifs=what_ifs)
    decision = explanation = None
    if form.is_bound and form.is_valid():
        try:
            decision = hold_forecast(
                user=request.user, victim=victim, on=form.cleaned_data["on"], changes=form.changes()
            )
            explanation = mask_case_references(decision.explanation, visible)
        except (SimulationInputError, LookupError) as error:
            form.add_error(
                None,
                "; ".join(" ".join(m) for m in getattr(error, "errors", {}).values())
                or _("That record cannot be used."),
            )
    context = {"victim": victim, "form": form, "decision": decision, "explanation": explanation}
    return render(request, "protocol/hold_forecast.html", context)
