#!/usr/bin/env bash
# Install everything the service and its tests need: a Python 3.12 virtual environment from the
# hash-pinned lock file, and the front-end assets from the npm lock file. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

works() { [ -n "$1" ] && "$1" -c 'import sys' >/dev/null 2>&1; }

find_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  # Python 3.12 first (the lock file is made for it), then 3.11; on PATH, then through pyenv.
  for minor in 12 11; do
    if works "$(command -v python3.$minor)"; then command -v python3.$minor; return; fi
    if command -v pyenv >/dev/null 2>&1; then
      for version in $(pyenv versions --bare 2>/dev/null | grep -E "^3\.$minor\.[0-9]+$" | sort -rV); do
        candidate=$(PYENV_VERSION=$version pyenv which python3 2>/dev/null || true)
        if works "$candidate"; then echo "$candidate"; return; fi
      done
    fi
  done
  echo "Python 3.12 (or 3.11) is needed: install it, or set PYTHON=/path/to/python3.12" >&2
  exit 1
}

# WeasyPrint (the subject access PDF) needs Pango and HarfBuzz's subsetter from the system:
# installed with apt where they are missing and we may (root on Debian); otherwise say so.
if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || ! ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null) \
      || echo "Could not install Pango and HarfBuzz: the subject access PDF will not work" >&2
  else
    echo "Install Pango and HarfBuzz (Debian: libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0) for the subject access PDF" >&2
  fi
fi

stamp=.venv/.installed
if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || ! cmp -s requirements.lock "$stamp"; then
  python=$(find_python)
  echo "Using $python ($("$python" --version))"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip 2> >(grep -v 'is ignored' >&2)
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock \
    2> >(grep -v 'is ignored' >&2)
  .venv/bin/python -c 'import django, celery, rest_framework'  # fail here if the install did
  cp requirements.lock "$stamp"
fi

if [ ! -d node_modules/govuk-frontend ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
.venv/bin/python scripts/build_assets.py >/dev/null
