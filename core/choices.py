"""Model choices from the enumerations the rules define once (`protocol.rules.values`).

The labels are English in `protocol.rules.values` (pure: no Django); here each becomes a lazy
translation, so a page shows it in the language of its request (core/label_words.py lists them
for `make messages`)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy


def translated(text: str | Promise) -> str | Promise:
    """A label as a lazy translation (one already lazy, or not text, is left as it is)."""
    return gettext_lazy(text) if isinstance(text, str) else text


def choices(codes: tuple[str, ...], labels: dict[str, str]) -> list[tuple[str, str | Promise]]:
    """Django choices from an enumeration defined once in `protocol.rules.values`."""
    return [
        (code, translated(labels.get(code, code.replace("_", " ").capitalize()))) for code in codes
    ]
