"""Sign-in, and the GOV.UK form helpers every page's forms share.

`GovukForm` gives a form the error summary GOV.UK pages need (each message linking to the field
to fix) and `apply_service_errors`, which maps a service's `ValidationError` (keys may be dotted,
like `case.reported_on`) and `ConflictError` onto the form, so a page shows the service's
refusal exactly like its own validation. `DateField` is the GOV.UK date input: day, month and
year boxes, with the design system's error messages.
"""

import datetime as dt
import re
from collections.abc import Iterable

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from config.errors import ConflictError

from .models import Organisation
from .roles import OrganisationKind, Role
from .services import LOCKED_MESSAGE, SignInRefused, password_set, sign_in_check

# --- Dates --------------------------------------------------------------------------------------

DATE_PARTS = ("day", "month", "year")


class DateWidget(forms.MultiWidget):
    """Three text boxes named `<name>_day`, `<name>_month`, `<name>_year` (rendered by the
    `partials/fields/date.html` template, not by this widget)."""

    def __init__(self, attrs=None):
        super().__init__(widgets=dict.fromkeys(DATE_PARTS, forms.TextInput), attrs=attrs)

    def decompress(self, value):
        return _date_parts(value)


def _date_parts(value) -> list:
    if isinstance(value, str) and value:
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return [None, None, None]
    if isinstance(value, dt.date):
        return [value.day, value.month, value.year]
    if isinstance(value, list | tuple) and len(value) == 3:
        return list(value)
    return [None, None, None]


class DateField(forms.Field):
    """A date entered as day, month and year, with GOV.UK's error messages.

    `what` names the date in messages ("Date of birth must be a real date"); `required_message`
    says what to enter when it is missing. `past=True` refuses dates after today (fact dates may
    not lie in the future); `future=True` refuses today and earlier.
    """

    widget = DateWidget

    def __init__(
        self,
        *,
        what: str,
        required_message: str | None = None,
        past: bool = True,
        future: bool = False,
        **kwargs,
    ):
        self.what = what
        self.past = past
        self.future = future
        self.error_parts: set[str] = set()
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault(
            "required", required_message or f"Enter {what[0].lower()}{what[1:]}"
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return _date_parts(value)

    def to_python(self, value):
        self.error_parts = set()
        parts = [str(part or "").strip() for part in _date_parts(value)]
        if not any(parts):
            return None
        missing = [name for name, part in zip(DATE_PARTS, parts, strict=True) if not part]
        if missing:
            self.error_parts = set(missing)
            raise ValidationError(
                f"{self.what} must include a {' and a '.join(missing)}", code="incomplete"
            )
        day, month, year = parts
        if not all(re.fullmatch(r"\d{1,4}", part) for part in parts):
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(f"{self.what} must be a real date", code="invalid")
        if len(year) != 4:
            self.error_parts = {"year"}
            raise ValidationError("Year must include 4 numbers", code="invalid_year")
        try:
            value = dt.date(int(year), int(month), int(day))
        except ValueError:
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(f"{self.what} must be a real date", code="invalid") from None
        today = timezone.localdate()
        if self.past and value > today:
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(f"{self.what} must be today or in the past", code="future")
        if self.future and value <= today:
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(f"{self.what} must be in the future", code="past")
        return value

    def validate(self, value):
        if value is None and self.required:
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial, data):
        return _date_parts(initial) != _date_parts(data)


# --- Forms --------------------------------------------------------------------------------------


class GovukForm(forms.Form):
    """A form whose errors render as a GOV.UK error summary, and which can take a service's
    refusal onto its fields."""

    # Service error keys that name one of this form's fields under another name.
    service_field_names: dict[str, str] = {}

    def error_anchor(self, name: str) -> str:
        """The id of the input an error summary link for field `name` should move focus to."""
        bound = self[name]
        field = bound.field
        if isinstance(field, DateField):
            part = next((p for p in DATE_PARTS if p in field.error_parts), "day")
            return f"{bound.auto_id}_{part}"
        return bound.auto_id

    @property
    def summary_errors(self) -> list[dict]:
        """Every error in the order of the page: `{"href", "text"}` (no href: not a field)."""
        items = [{"href": None, "text": error} for error in self.non_field_errors()]
        for bound in self:
            for error in bound.errors:
                items.append({"href": "#" + self.error_anchor(bound.name), "text": error})
        return items

    def apply_service_errors(self, error: Exception, field_map: dict[str, str] | None = None):
        """Put a service's `ValidationError` or `ConflictError` onto this form."""
        if isinstance(error, ConflictError):
            self.add_error(None, str(error))
            return
        if not isinstance(error, ValidationError):
            raise error
        names = {**self.service_field_names, **(field_map or {})}
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            field = names.get(key, key)
            if field not in self.fields:
                field = names.get(key.rsplit(".", 1)[-1], key.rsplit(".", 1)[-1])
            if field in (NON_FIELD_ERRORS, "non_field_errors") or field not in self.fields:
                field = None
            for message in messages:
                if field is not None and field in self.errors:
                    continue  # one message per field: the form's own says it already
                self.add_error(field, message)


def date_or_none(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def choices_with_blank(choices: Iterable[tuple[str, str]], blank: str) -> list[tuple[str, str]]:
    return [("", blank), *choices]


YES_NO = [("yes", "Yes"), ("no", "No")]
# For identifiers and names, which a browser should neither fill in nor spell-check.
NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false"}


# --- Sign in ------------------------------------------------------------------------------------


class SignInForm(GovukForm, AuthenticationForm):
    """Email and password, with a lockout after repeated failures."""

    username = forms.EmailField(
        label="Email address",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )
    otp = forms.CharField(
        label="Security code (if your account uses an authenticator app)",
        required=False,
        max_length=12,
        help_text="The 6-digit code your authenticator app shows now. Leave it empty otherwise.",
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
        "invalid_login": "Enter a correct email address and password. Both are case sensitive.",
        "otp_needed": "Enter the 6-digit security code from your authenticator app",
        "otp_wrong": "The security code is wrong or has expired: enter the code your app shows now",
        "inactive": "This account has been disabled. Contact your organisation's administrator.",
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
        label="Email address",
        max_length=254,
        help_text="The set-up link is sent here. It cannot be changed later.",
        error_messages={
            "required": "Enter the person's email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={**NO_AUTOFILL, "class": "govuk-!-width-two-thirds"}),
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={**NO_AUTOFILL, "class": "govuk-!-width-two-thirds"}),
    )
    organisation = forms.ChoiceField(
        label="Organisation",
        error_messages={"required": "Select the person's organisation"},
    )
    roles = forms.MultipleChoiceField(
        label="Roles",
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose roles that fit the organisation: police roles for a police force, "
        "support adviser for a support organisation, IE roles for Immigration Enforcement, "
        "auditor, analyst or administrator for an oversight body.",
        error_messages={"required": "Choose at least one role"},
    )
    is_active = forms.BooleanField(
        label="The account is active (clear this to deactivate it)", required=False
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = choices_with_blank(
            _organisation_choices(), "Select an organisation"
        )
        if editing:
            del self.fields["email"]
        else:
            del self.fields["is_active"]

    def clean_organisation(self) -> Organisation:
        code = self.cleaned_data["organisation"]
        organisation = Organisation.objects.filter(code=code).first()
        if organisation is None:
            raise forms.ValidationError("Select the person's organisation")
        return organisation


class OrganisationForm(GovukForm):
    """An organisation and its protocol contact point."""

    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the organisation's name"}
    )
    code = forms.SlugField(
        label="Code",
        max_length=32,
        help_text="A short code of letters, numbers, hyphens and underscores, like 'northshire'. "
        "It cannot be changed later.",
        error_messages={
            "required": "Enter a code",
            "invalid": "The code may only contain letters, numbers, hyphens and underscores",
        },
        widget=forms.TextInput(attrs={**NO_AUTOFILL, "class": "govuk-input--width-20"}),
    )
    kind = forms.ChoiceField(
        label="Kind of organisation",
        choices=OrganisationKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the kind of organisation"},
    )
    contact_team = forms.CharField(label="Protocol contact team", max_length=200, required=False)
    contact_phone = forms.CharField(
        label="Contact phone number",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )
    contact_email = forms.EmailField(
        label="Contact email address",
        required=False,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
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
