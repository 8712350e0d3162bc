"""Copy GOV.UK Frontend from node_modules into static/govuk, with its asset URLs made relative.

The published CSS points at `/assets/...`; the service serves it under `/static/govuk/`, so the
URLs are rewritten to be relative to the stylesheet. Run after `npm ci`.
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
TARGET = ROOT / "static" / "govuk"


def main() -> int:
    if not SOURCE.is_dir():
        print(f"{SOURCE} is missing: run `npm ci` first.", file=sys.stderr)
        return 1
    if TARGET.exists():
        shutil.rmtree(TARGET)
    TARGET.mkdir(parents=True)
    shutil.copytree(SOURCE / "assets", TARGET / "assets")
    css = (SOURCE / "govuk-frontend.min.css").read_text()
    css = css.replace("url(/assets/", "url(assets/")
    css = css.split("/*# sourceMappingURL")[0]
    (TARGET / "govuk-frontend.min.css").write_text(css)
    js = (SOURCE / "govuk-frontend.min.js").read_text().split("//# sourceMappingURL")[0]
    (TARGET / "govuk-frontend.min.js").write_text(js)
    print(f"GOV.UK Frontend assets written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
