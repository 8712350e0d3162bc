"""The GOV.UK form helpers every page's forms share.

`GovukForm` gives a form the error summary GOV.UK pages need (each message linking to the field
to fix) and `apply_service_errors`, which maps a service's `ValidationError` (keys may be dotted,
like `case.reported_on`) and `ConflictError` onto the form, so a page shows the service's
refusal exactly like its own validation. `DateField` is the GOV.UK date input: day, month and
year boxes, with the design system's error messages.
"""

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf.locale import LANG_INFO
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import translated
from .errors import ConflictError

# --- Dates --------------------------------------------------------------------------------------

DATE_PARTS = ("day", "month", "year")

# What a date missing some of its parts must include, by the parts missing (one or two: with
# none given the date is blank).
_MISSING_PARTS = {
    ("day",): _("%(what)s must include a day"),
    ("month",): _("%(what)s must include a month"),
    ("year",): _("%(what)s must include a year"),
    ("day", "month"): _("%(what)s must include a day and a month"),
    ("day", "year"): _("%(what)s must include a day and a year"),
    ("month", "year"): _("%(what)s must include a month and a year"),
}


def _enter(what) -> str:
    """The message for a date left blank: "Enter date of birth"."""
    what = str(what)
    return gettext("Enter %(what)s") % {"what": f"{what[0].lower()}{what[1:]}"}


_enter_lazy = lazy(_enter, str)


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
        kwargs["error_messages"].setdefault("required", required_message or _enter_lazy(what))
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
                _MISSING_PARTS[tuple(missing)] % {"what": self.what}, code="incomplete"
            )
        day, month, year = parts
        if not all(re.fullmatch(r"\d{1,4}", part) for part in parts):
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(
                gettext("%(what)s must be a real date") % {"what": self.what}, code="invalid"
            )
        if len(year) != 4:
            self.error_parts = {"year"}
            raise ValidationError(gettext("Year must include 4 numbers"), code="invalid_year")
        try:
            value = dt.date(int(year), int(month), int(day))
        except ValueError:
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(
                gettext("%(what)s must be a real date") % {"what": self.what}, code="invalid"
            ) from None
        today = timezone.localdate()
        if self.past and value > today:
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(
                gettext("%(what)s must be today or in the past") % {"what": self.what},
                code="future",
            )
        if self.future and value <= today:
            self.error_parts = set(DATE_PARTS)
            raise ValidationError(
                gettext("%(what)s must be in the future") % {"what": self.what}, code="past"
            )
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


def choices_with_blank(choices: Iterable[tuple[str, Any]], blank: str) -> list[tuple[str, Any]]:
    """Choices with a blank one first; each label translated when the page renders (the labels
    of `protocol.rules.values` are English: core/label_words.py marks them)."""
    return [
        ("", translated(blank)),
        *(
            (
                value,
                [(v, translated(t)) for v, t in text]
                if isinstance(text, list | tuple)
                else translated(text),
            )
            for value, text in choices
        ),
    ]


YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# For identifiers and names, which a browser should neither fill in nor spell-check.
NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false"}


# --- Languages ---------------------------------------------------------------------------------

# ISO 639-1 languages with English names: Django's list, less its constructed languages, plus
# languages many migrant victims speak that Django does not translate into.
_EXTRA_LANGUAGES = {
    "am": "Amharic",
    "ha": "Hausa",
    "ku": "Kurdish",
    "ln": "Lingala",
    "ps": "Pashto",
    "si": "Sinhala",
    "so": "Somali",
    "ti": "Tigrinya",
    "tl": "Tagalog",
    "tw": "Twi",
    "yo": "Yoruba",
    "zh": "Chinese",
}
LANGUAGES: dict[str, str] = {
    **{
        code: info["name"]
        for code, info in LANG_INFO.items()
        if len(code) == 2 and "name" in info and code not in ("eo", "ia", "io")
    },
    **_EXTRA_LANGUAGES,
}
LANGUAGE_CHOICES = sorted(LANGUAGES.items(), key=lambda item: item[1])


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
