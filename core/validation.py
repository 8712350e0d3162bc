"""Checks on fact dates that every service applies, so pages and the API refuse the same."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone
from django.utils.translation import gettext


def check_not_future(errors: dict, field: str, value: date | None) -> None:
    if value is not None and value > timezone.localdate():
        errors.setdefault(field, []).append(
            gettext("This date is in the future: give a date up to today.")
        )


def check_not_before(
    errors: dict, field: str, value: date | None, earliest: date | None, what: str
) -> None:
    if value is not None and earliest is not None and value < earliest:
        errors.setdefault(field, []).append(
            gettext("This date is before %(what)s (%(date)s).")
            % {"what": what, "date": long_date(earliest)}
        )


def long_date(day: date) -> str:
    """A date as the pages show it: `4 December 2026`."""
    return dateformat.format(day, "j F Y")


def require(errors: dict, field: str, value, message: str) -> None:
    if value in (None, ""):
        errors.setdefault(field, []).append(message)


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)
