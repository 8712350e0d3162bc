"""Checks on fact dates that every service applies, so pages and the API refuse the same."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone


def check_not_future(errors: dict, field: str, value: date | None) -> None:
    if value is not None and value > timezone.localdate():
        errors.setdefault(field, []).append("This date is in the future: give a date up to today.")


def check_not_before(
    errors: dict, field: str, value: date | None, earliest: date | None, what: str
) -> None:
    if value is not None and earliest is not None and value < earliest:
        errors.setdefault(field, []).append(f"This date is before {what} ({long_date(earliest)}).")


def long_date(day: date) -> str:
    """A date as the pages show it: `4 December 2026`."""
    return f"{day.day} {day:%B %Y}"


def require(errors: dict, field: str, value, message: str) -> None:
    if value in (None, ""):
        errors.setdefault(field, []).append(message)


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)
