"""The translation catalogues: complete for what each language must cover, nothing fuzzy, the
compiled files matching their sources, and up to date with the code (core/languages.py says
which messages each language translates: Welsh all of them, the other victim languages those
used on the victim-facing pages)."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.languages import VICTIM_FACING_SOURCES, VICTIM_LANGUAGES

ROOT = Path(__file__).resolve().parent.parent.parent
SHIPPED = [code for code in VICTIM_LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalogue(code: str, root: Path | None = None):
    with ((root or ROOT) / "locale" / code / "LC_MESSAGES" / "django.po").open("rb") as po:
        return read_po(po)


def must_translate(code: str, message) -> bool:
    if code == "cy":
        return True
    return any(path.startswith(VICTIM_FACING_SOURCES) for path, _line in message.locations)


def forms(text) -> tuple[str, ...]:
    """A message's text as a tuple of forms: one, or one per plural form."""
    return tuple(text) if isinstance(text, (list, tuple)) else (text,)


def missing_or_fuzzy(code: str) -> list[str]:
    problems = []
    for message in catalogue(code):
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif must_translate(code, message) and not all(forms(message.string)):
            problems.append(f"untranslated: {message.id!r}")
    return problems


@pytest.mark.parametrize("code", SHIPPED)
def test_every_message_a_language_must_cover_is_translated_and_none_is_fuzzy(code):
    assert missing_or_fuzzy(code) == []


def test_the_check_fails_on_an_untranslated_or_fuzzy_message(tmp_path, monkeypatch):
    """The check above can fail: a catalogue with an empty and a fuzzy message is caught."""
    po = tmp_path / "locale" / "cy" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: templates/base.html\nmsgid "Menu"\nmsgstr ""\n\n'
        '#: templates/base.html\n#, fuzzy\nmsgid "Back"\nmsgstr "Yn ôl"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert missing_or_fuzzy("cy") == ["untranslated: 'Menu'", "fuzzy: 'Back'"]


@pytest.mark.parametrize("code", SHIPPED)
def test_placeholders_survive_translation(code):
    """Each translation keeps the message's placeholders. A plural form may leave out the
    count (Welsh says "one" in words), never add a placeholder of its own."""
    for message in catalogue(code):
        if not (message.id and any(forms(message.string))):
            continue
        if isinstance(message.id, (list, tuple)):
            allowed = {name for text in message.id for name in PLACEHOLDER.findall(text)}
            for form in forms(message.string):
                assert set(PLACEHOLDER.findall(form)) <= allowed, message.id
        else:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)
            ), message.id


@pytest.mark.parametrize("code", SHIPPED)
def test_the_compiled_catalogue_says_what_its_source_says(code):
    """The .mo files are committed: one compiled from an older .po would serve old words."""
    with (ROOT / "locale" / code / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    source = {}
    for message in catalogue(code):
        if not message.id or message.fuzzy or not all(forms(message.string)):
            continue
        if isinstance(message.id, (list, tuple)):  # compiled by (singular, form number)
            for number, form in enumerate(message.string):
                source[(message.id[0], number)] = form
        else:
            source[message.id] = message.string
    assert {key: value for key, value in compiled.items() if key} == source


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is not installed")
def test_the_catalogues_are_up_to_date_with_the_code(tmp_path):
    """`make messages` on a copy of the tree finds no message the catalogues lack, and none
    they hold that the code no longer uses. After merging code with new strings: run
    `make messages`, translate what the test above names, commit."""
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "staticfiles", ".data", "__pycache__", "static"
    )
    shutil.copytree(ROOT, copy, ignore=ignore)
    subprocess.run(
        [sys.executable, "scripts/messages.py", "--no-compile"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    for code in SHIPPED:
        committed = {m.id for m in catalogue(code) if m.id}
        fresh = {m.id for m in catalogue(code, copy) if m.id}
        assert sorted(fresh - committed) == [], f"{code}: messages missing from the catalogue"
        assert sorted(committed - fresh) == [], f"{code}: messages the code no longer uses"
