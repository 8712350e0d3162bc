"""Normalising names and references for exact matching: case, accents and spacing do not matter."""

import re
import unicodedata

_SPACES = re.compile(r"[\s\-\u2010-\u2015'’.]+")


def name_key(name: str) -> str:
    """`  José-María  O'Brien ` -> `jose maria o brien`."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def home_office_reference_key(reference: str | None) -> str:
    """`  b123 4567 ` -> `B1234567`; empty for none."""
    return re.sub(r"[\s/\-]+", "", (reference or "")).upper()
