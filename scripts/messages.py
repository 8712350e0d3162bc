"""Refresh the translation catalogues from the source (`make messages`), then compile them.

Every language of core/languages.py but English gets `locale/<code>/LC_MESSAGES/django.po`;
source references name the file only (no line numbers), so a change elsewhere in a file does
not churn the catalogues. `--no-compile` leaves the .mo files alone (the catalogue test runs
it on a copy of the tree to see whether the catalogues are out of date).

New or changed messages then need translating: tests/i18n/test_catalogues.py names them.
Needs GNU gettext (xgettext, msgmerge, msgfmt): `apt-get install gettext`.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.languages import VICTIM_LANGUAGES  # noqa: E402 (the repository on the path first)

IGNORE = (
    ".venv/*", "node_modules/*", "tests/*", "bench/*", "scripts/*", "staticfiles/*", ".data/*"
)  # fmt: skip


def main(argv: list[str]) -> int:
    manage = [sys.executable, str(ROOT / "manage.py")]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    locales = [arg for code in VICTIM_LANGUAGES if code != "en" for arg in ("--locale", code)]
    ignores = [arg for pattern in IGNORE for arg in ("--ignore", pattern)]
    make = [*manage, "makemessages", *locales, "--add-location", "file", "--no-obsolete", *ignores]
    subprocess.run(make, cwd=ROOT, env=env, check=True)
    if "--no-compile" not in argv:
        compile_ = [*manage, "compilemessages", "--ignore", ".venv/*", "--ignore", "node_modules/*"]
        subprocess.run(compile_, cwd=ROOT, env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
