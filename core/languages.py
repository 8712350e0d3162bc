"""The languages the service speaks, and which pages speak which.

- Every page is in English and Welsh (`SITE_LANGUAGES`): Welsh public bodies work under the
  Welsh Language Standards.
- The pages a victim reads (the printable record, the public page `/protocol`, the notice) are
  also in the victims' own languages (`VICTIM_LANGUAGES`).
- One gettext catalogue per language (`locale/<code>/LC_MESSAGES/django.po`). Which messages a
  language must translate is decided by where a message is used: Welsh translates every message;
  the other victim languages translate the messages used in `VICTIM_FACING_SOURCES` (by the
  catalogue's `#:` source references), and the rest of their catalogue may stay empty: an empty
  message falls back to English, whole (tests/i18n/test_catalogues.py checks both rules).
- `REVIEWED`: a translation not yet checked by a fluent translator is shown with a note saying
  so and a link to the English page. Set a language's flag to True only after a review.
"""

from __future__ import annotations

from dataclasses import dataclass

import pycountry
from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from django.utils.translation import get_language_info
from django.utils.translation.trans_real import parse_accept_lang_header


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself: what a reader looks for in a list
    english_name: str
    bidi: bool
    reviewed: bool


ENGLISH = "en"
SITE_LANGUAGES = ("en", "cy")
VICTIM_LANGUAGES = ("en", "cy", "sq", "pl", "ro", "uk", "ar", "ur", "vi")

# Reviewed by a fluent translator. None of the translations has been, yet.
REVIEWED = {"en": True, "cy": False, "sq": False, "pl": False, "ro": False, "uk": False,
            "ar": False, "ur": False, "vi": False}  # fmt: skip

# The files whose messages every victim language translates (prefixes of the catalogue's source
# references, relative to the repository).
VICTIM_FACING_SOURCES = (
    "templates/victims/record.html",
    "templates/public/",
    "templates/partials/language",
    "victims/record_words.py",
    "victims/signposting_words.py",
    "templates/victims/signposting.html",
    "core/languages.py",
)

# Settings.LANGUAGES: Django's own names are English ones.
DJANGO_LANGUAGES = [(code, get_language_info(code)["name"]) for code in VICTIM_LANGUAGES]


def language(code: str) -> Language:
    info = get_language_info(code)
    return Language(
        code=code,
        name=info["name_local"],
        english_name=info["name"],
        bidi=info["bidi"],
        reviewed=REVIEWED.get(code, False),
    )


def choose(code: str | None, allowed: tuple[str, ...]) -> str | None:
    """The language `code` names among `allowed`, or None (a region is ignored: `pl-PL` is pl)."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in allowed else None


SESSION_KEY = "language"


def victim_facing(public: bool = False):
    """Mark a page view as one a victim reads: it speaks every `VICTIM_LANGUAGES`, chosen by
    `?language=xx`. A `public` page takes its language from `?language=` only, never from the
    session or `Accept-Language`, so it sets no cookie and one address is one page (cacheable)."""

    def mark(view):
        view.victim_facing = True
        view.public_page = public
        return view

    return mark


def from_accept_language(header: str, allowed: tuple[str, ...]) -> str | None:
    """The first language of an `Accept-Language` header that is `allowed`, by its q order."""
    for code, _quality in parse_accept_lang_header(header or ""):
        chosen = choose(code, allowed)
        if chosen:
            return chosen
    return None


def country_name(alpha3: str, language_code: str) -> str:
    """The name of the country with ISO 3166-1 alpha-3 code `alpha3`, in the language (CLDR's
    names, through Babel; pycountry maps alpha-3 to CLDR's alpha-2 keys). The code itself
    when it names no country."""
    country = pycountry.countries.get(alpha_3=(alpha3 or "").upper())
    if country is None:
        return alpha3
    return _territories(language_code).get(country.alpha_2) or country.name


def territory_name(code: str, language_code: str) -> str:
    """CLDR's name of a territory (an alpha-2 code or a UN M49 region code such as `154`) in
    the language, English where the language has none; the code itself when CLDR has none."""
    return _territories(language_code).get(code) or Locale("en").territories.get(code) or code


def _territories(language_code: str) -> dict[str, str]:
    try:
        return Locale.parse(language_code.replace("-", "_")).territories
    except (ValueError, UnknownLocaleError):
        return Locale("en").territories


def format_number(value, language_code: str) -> str:
    try:
        return format_decimal(value, locale=language_code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return str(value)
