"""Forms for the victim pages: support referral (police), engagement updates and applications
(support advisers), and the advisers' list filters. The services decide what the rules need."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core import languages
from core.forms import DateField, GovukForm, choices_with_blank
from core.roles import OrganisationKind
from protocol.rules import values

from .selectors import SEARCH_MIN_CHARACTERS


class SupportReferralForm(GovukForm):
    service_field_names = {"consent_given_on": "consent_given_on", "organisation": "organisation"}

    organisation = forms.ChoiceField(
        label=_("Which support organisation are you referring the victim to?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the support organisation")},
    )
    consent_given_on = DateField(
        label=_("When did the victim agree to this referral?"),
        what=_("Date the victim agreed"),
        required_message=_(
            "Enter the date the victim agreed to the referral. You can only refer "
            "them if they agree."
        ),
        help_text=_("You can only refer the victim if they agree. For example, 14 10 2026"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = list(
            Organisation.objects.filter(kind=OrganisationKind.SUPPORT_ORGANISATION)
            .order_by("name")
            .values_list("code", "name")
        )


class SupportUpdateForm(GovukForm):
    contact_on = DateField(
        label=_("Date of your latest contact with the victim (optional)"),
        what=_("Date of contact"),
        required=False,
        help_text=_("Leave blank if there was no contact. For example, 14 10 2026"),
    )
    status = forms.ChoiceField(
        label=_("Engagement status"),
        choices=values.as_choices(values.SUPPORT_STATUSES),
        widget=forms.RadioSelect(attrs={"small": True}),
        error_messages={"required": _("Select the engagement status")},
    )
    closed_on = DateField(
        label=_("Date the engagement ended"),
        what=_("Date the engagement ended"),
        required=False,
        help_text=_("Only if the engagement is closed or the victim disengaged"),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        help_text=_("Seen only by your organisation"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


NRM_GROUP = _("National Referral Mechanism referrals only")
OTHER_GROUP = _("Applications on every other route")


class ApplicationForm(GovukForm):
    route = forms.ChoiceField(
        label=_("Route"),
        choices=values.as_choices(values.APPLICATION_ROUTES),
        widget=forms.RadioSelect(attrs={"small": True}),
        error_messages={"required": _("Select the route of the application or referral")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("", _("Choose a status")),
            (OTHER_GROUP, values.as_choices(values.APPLICATION_STATUSES)),
            (NRM_GROUP, values.as_choices(values.NRM_STATUSES)),
        ],
        error_messages={"required": _("Select the status of the application or referral")},
    )
    submitted_on = DateField(
        label=_("Date submitted"),
        what=_("Date submitted"),
        required_message=_("Enter the date the application or referral was submitted"),
        help_text=_("For example, 14 10 2026"),
    )
    decided_on = DateField(
        label=_("Date of the decision"),
        what=_("Date of the decision"),
        required=False,
        help_text=_("Only once there is a decision"),
    )
    leave_expires_on = DateField(
        label=_("Date the permission to stay ends"),
        what=_("Date the permission to stay ends"),
        required=False,
        past=False,
        help_text=_("Only for a grant of limited leave. Leave blank for settlement."),
    )

    def clean(self):
        cleaned = super().clean()
        route, status = cleaned.get("route"), cleaned.get("status")
        if route and status:
            if route == values.NRM_ROUTE and status not in values.NRM_STATUSES:
                self.add_error(
                    "status",
                    _(
                        "For a National Referral Mechanism referral, choose a status from the "
                        "list '%(group)s'"
                    )
                    % {"group": NRM_GROUP},
                )
            elif route != values.NRM_ROUTE and status not in values.APPLICATION_STATUSES:
                self.add_error(
                    "status",
                    _("For this route, choose a status from the list '%(group)s'")
                    % {"group": OTHER_GROUP},
                )
        return cleaned


class ApplicationUpdateForm(GovukForm):
    status = forms.ChoiceField(
        label=_("Status"),
        widget=forms.RadioSelect(attrs={"small": True}),
        error_messages={"required": _("Select the status")},
    )
    decided_on = ApplicationForm.base_fields["decided_on"]
    leave_expires_on = ApplicationForm.base_fields["leave_expires_on"]

    def __init__(self, *args, route: str, **kwargs):
        super().__init__(*args, **kwargs)
        codes = values.NRM_STATUSES if route == values.NRM_ROUTE else values.APPLICATION_STATUSES
        self.fields["status"].choices = values.as_choices(codes)


NEEDS = [
    ("", _("Any")),
    ("any", _("Something needs doing")),
    ("contact_overdue", _("Contact overdue")),
    ("challenge_window", _("Challenge window closing")),
]


class VictimFilterForm(GovukForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        min_length=SEARCH_MIN_CHARACTERS,
        max_length=100,
        help_text=_("Victim reference or name, at least 3 characters"),
        error_messages={
            "min_length": _("Search for at least 3 characters of a name or reference"),
            "max_length": _("Search for at most 100 characters"),
        },
    )
    needs = forms.ChoiceField(label=_("What needs doing"), required=False, choices=NEEDS)
    hold_status = forms.ChoiceField(
        label=_("Hold"),
        required=False,
        choices=choices_with_blank(values.as_choices(values.HOLD_STATUSES), _("Any")),
    )


class SupportReferralDeclineForm(GovukForm):
    reason = forms.CharField(
        label=_("Why is your organisation declining this referral?"),
        max_length=2000,
        help_text=_("The referring police force is told this reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Enter why your organisation is declining the referral"),
            "max_length": _("The reason must be 2,000 characters or fewer"),
        },
    )


class ConsentWithdrawalForm(GovukForm):
    organisation = forms.ChoiceField(
        label=_("Which organisation did the victim withdraw consent from?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the organisation the victim withdrew consent from")},
    )
    withdrawn_on = DateField(
        label=_("When did the victim withdraw consent?"),
        what=_("Date the victim withdrew consent"),
        required_message=_("Enter the date the victim withdrew consent"),
        help_text=_("For example, 14 10 2026"),
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(org.code, org.name) for org in organisations]


# --- Signposting --------------------------------------------------------------------------------


class SignpostingGivenForm(GovukForm):
    """Record that the victim was given the signposting shown on the page."""

    language = forms.ChoiceField(
        label=_("Language it was given in"),
        choices=[],
        error_messages={"required": _("Choose the language the information was given in")},
    )
    given_on = DateField(
        label=_("Date it was given"),
        what=_("Date it was given"),
        required_message=_("Enter the date the victim was given the information"),
        help_text=_("For example, 14 10 2026"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            (language.code, f"{language.name} ({language.english_name})")
            for language in map(languages.language, languages.VICTIM_LANGUAGES)
        ]
