"""The labels of codes shown on pages are translatable although `protocol.rules` is pure (no
Django): core/label_words.py lists every one for `make messages` (written by
scripts/label_words.py), and the template filters and choice helpers translate them when a page
renders."""

import importlib.util
from collections.abc import Mapping
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from django import forms
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from core import choices, roles
from core.forms import DateField, choices_with_blank
from core.label_words import LABEL_WORDS
from core.templatetags import casework
from protocol.rules import values

ROOT = Path(__file__).resolve().parent.parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("label_words", ROOT / "scripts/label_words.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shown_labels() -> set[str]:
    """Every label of `protocol.rules.values`, `core.roles` and `core.choices`, found here
    without the script, so a script that misses some is caught."""
    found: set[str] = set()
    for module in (values, choices):
        for name, value in vars(module).items():
            if name.endswith("LABELS") and isinstance(value, Mapping):
                found.update(text for text in value.values() if isinstance(text, str))
    with translation.override(None):
        for kind in (roles.Role, roles.OrganisationKind):
            found.update(str(text) for text in kind.labels)
    return found


def missing(words) -> set[str]:
    return shown_labels() - set(words)


def test_every_label_has_an_entry_in_label_words():
    assert values.LABELS["under_investigation"] in shown_labels()
    assert values.OUTCOME_CODE_LABELS[13] in shown_labels()
    assert values.WITHDRAWAL_REASON_LABELS["not_stated"] in shown_labels()
    assert "Police officer" in shown_labels()
    assert "Immigration Enforcement" in shown_labels()
    assert missing(LABEL_WORDS) == set()


def test_the_check_fails_when_a_label_has_no_entry():
    words = [word for word in LABEL_WORDS if word != "Suspect on pre-charge bail"]
    assert missing(words) == {"Suspect on pre-charge bail"}
    assert missing([*LABEL_WORDS, "Something else"]) == set()


def test_label_words_is_what_the_script_writes():
    """Run `.venv/bin/python scripts/label_words.py` when this fails."""
    written = (ROOT / "core" / "label_words.py").read_text(encoding="utf-8")
    assert written == _script().source()
    assert len(LABEL_WORDS) == len(set(LABEL_WORDS))


# --- Translated when the page renders ---------------------------------------------------------

WELSH = {
    "Under investigation": "Yn destun ymchwiliad",
    "Charge or summons": "Cyhuddo neu wŷs",
    "Police officer": "Swyddog yr heddlu",
    "Domestic abuse": "Cam-drin domestig",
    "Any": "Unrhyw un",
    "In force: no enforcement action may be taken": "Mewn grym: ni chaniateir camau gorfodi",
    "Referral logged": "Atgyfeiriad wedi'i gofnodi",
    "%(what)s must be a real date": "%(what)s: rhaid iddo fod yn ddyddiad go iawn",
}


@pytest.fixture
def welsh(tmp_path):
    """A Welsh catalogue with a few of the messages, ahead of the project's own."""
    catalog = Catalog(locale="cy")
    for english, welsh_text in WELSH.items():
        catalog.add(english, welsh_text)
    folder = tmp_path / "cy" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "django.mo").open("wb") as mo:
        write_mo(mo, catalog)
    paths = [str(tmp_path), *settings.LOCALE_PATHS]
    with override_settings(LOCALE_PATHS=paths), translation.override("cy"):
        yield
    translation.trans_real._translations = {}


def test_filters_translate_labels_when_the_page_renders(welsh):
    assert casework.label("under_investigation") == "Yn destun ymchwiliad"
    assert casework.outcome_label(1) == "1: Cyhuddo neu wŷs"
    assert casework.status_plain("active") == "Mewn grym: ni chaniateir camau gorfodi"
    assert casework.trigger_label("referral") == "Atgyfeiriad wedi'i gofnodi"
    assert casework.label("an_unknown_code") == "An unknown code"


def test_filters_keep_english_in_english():
    with translation.override("en"):
        assert casework.label("under_investigation") == "Under investigation"
        assert casework.status_plain("active") == "In force: no enforcement action may be taken"
        assert casework.outcome_label(1) == "1: Charge or summons"


def test_choices_are_translated_per_request(welsh):
    model_choices = dict(choices.choices(values.CRIME_TYPES, values.LABELS))
    assert str(model_choices["domestic_abuse"]) == "Cam-drin domestig"
    with translation.override("en"):
        assert str(model_choices["domestic_abuse"]) == "Domestic abuse"
    blank = choices_with_blank(values.as_choices(values.INVESTIGATION_STATUSES), "Any")
    assert [str(text) for _code, text in blank[:2]] == ["Unrhyw un", "Wedi'i adrodd"]
    assert str(dict(blank)["under_investigation"]) == "Yn destun ymchwiliad"
    assert [str(text) for value, text in roles.Role.choices][0] == "Swyddog yr heddlu"


def test_a_form_field_shows_the_rules_labels_in_the_page_language(welsh):
    class Form(forms.Form):
        crime_type = forms.ChoiceField(choices=values.as_choices(values.CRIME_TYPES))

    html = casework.govuk_field(Form()["crime_type"])
    assert "Cam-drin domestig" in html
    assert "Domestic abuse" not in html


def test_date_messages_are_translated(welsh):
    field = DateField(what="Date of birth")
    with pytest.raises(forms.ValidationError) as error:
        field.clean(["31", "2", "2020"])
    assert error.value.messages == ["Date of birth: rhaid iddo fod yn ddyddiad go iawn"]
