"""Sign-in, password setting, and the administrator's user and organisation forms (GOV.UK
helpers from `core.forms`)."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import NO_AUTOFILL, GovukForm, choices_with_blank
from core.roles import OrganisationKind, Role

from .models import Organisation
from .services import LOCKED_MESSAGE, SignInRefused, password_set, sign_in_check

# --- Sign in ------------------------------------------------------------------------------------


class SignInForm(GovukForm, AuthenticationForm):
    """Email and password, with a lockout after repeated failures."""

    username = forms.EmailField(
        label=_("Email address"),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password")},
    )
    otp = forms.CharField(
        label=_("Security code (if your account uses an authenticator app)"),
        required=False,
        max_length=12,
        help_text=_("The 6-digit code your authenticator app shows now. Leave it empty otherwise."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "govuk-input--width-10",
            }
        ),
    )
    error_messages = {
        "invalid_login": _("Enter a correct email address and password. Both are case sensitive."),
        "otp_needed": _("Enter the 6-digit security code from your authenticator app"),
        "otp_wrong": _(
            "The security code is wrong or has expired: enter the code your app shows now"
        ),
        "inactive": _("This account has been disabled. Contact your organisation's administrator."),
        "locked": LOCKED_MESSAGE,
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:  # otherwise the missing field is already named
            try:
                self.user_cache = sign_in_check(
                    request=self.request,
                    email=email,
                    password=password,
                    otp=self.cleaned_data.get("otp"),
                    via="page",
                )
            except SignInRefused as refusal:
                error = forms.ValidationError(self.error_messages[refusal.code], code=refusal.code)
                raise (
                    forms.ValidationError({refusal.field: error}) if refusal.field else error
                ) from None
        return self.cleaned_data


class PasswordSetForm(GovukForm, SetPasswordForm):
    """The one-time set-up link's form, with a GOV.UK error summary. Saving goes through
    `password_set`, which ends the user's API tokens and records the change."""

    request = None  # set by the view, for the access event's request id

    def save(self, commit=True):
        return password_set(
            user=self.user, password=self.cleaned_data["new_password1"], request=self.request
        )


# --- Administrators' user and organisation management ------------------------------------------


def _organisation_choices() -> list[tuple[str, str]]:
    return [
        (organisation.code, f"{organisation.name} ({organisation.get_kind_display()})")
        for organisation in Organisation.objects.order_by("name")
    ]


class UserForm(GovukForm):
    """An account as an administrator sees it: who, where, which roles; never a password."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The set-up link is sent here. It cannot be changed later."),
        error_messages={
            "required": _("Enter the person's email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
        widget=forms.EmailInput(attrs={**NO_AUTOFILL, "class": "govuk-!-width-two-thirds"}),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={**NO_AUTOFILL, "class": "govuk-!-width-two-thirds"}),
    )
    organisation = forms.ChoiceField(
        label=_("Organisation"),
        error_messages={"required": _("Select the person's organisation")},
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Choose roles that fit the organisation: police roles for a police force, "
            "support adviser for a support organisation, IE roles for Immigration Enforcement, "
            "auditor, analyst or administrator for an oversight body."
        ),
        error_messages={"required": _("Choose at least one role")},
    )
    is_active = forms.BooleanField(
        label=_("The account is active (clear this to deactivate it)"), required=False
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = choices_with_blank(
            _organisation_choices(), gettext("Select an organisation")
        )
        if editing:
            del self.fields["email"]
        else:
            del self.fields["is_active"]

    def clean_organisation(self) -> Organisation:
        code = self.cleaned_data["organisation"]
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            raise forms.ValidationError(_("Select the person's organisation"))
        return organisation


class OrganisationForm(GovukForm):
    """An organisation and its protocol contact point."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter the organisation's name")},
    )
    code = forms.SlugField(
        label=_("Code"),
        max_length=32,
        help_text=_(
            "A short code of letters, numbers, hyphens and underscores, like 'northshire'. "
            "It cannot be changed later."
        ),
        error_messages={
            "required": _("Enter a code"),
            "invalid": _("The code may only contain letters, numbers, hyphens and underscores"),
        },
        widget=forms.TextInput(attrs={**NO_AUTOFILL, "class": "govuk-input--width-20"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=OrganisationKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the kind of organisation")},
    )
    contact_team = forms.CharField(label=_("Protocol contact team"), max_length=200, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact email address"),
        required=False,
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.com")
        },
        widget=forms.EmailInput(attrs=NO_AUTOFILL),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]

    def contact(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name]
            for name in ("contact_team", "contact_phone", "contact_email")
        }
