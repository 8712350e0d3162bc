#!/usr/bin/env bash
# Install everything the service and its tests need: a Python 3.12 virtual environment from the
# hash-pinned lock file, and the front-end assets from the npm lock file. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  for candidate in python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      command -v "$candidate"; return
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[12]\.' | sort -rV); do
      PYENV_VERSION=$version pyenv which python3 2>/dev/null && return
    done
  fi
  if command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))'; then
    command -v python3; return
  fi
  echo "Python 3.12 (or 3.11) is needed: install it, or set PYTHON=/path/to/python3.12" >&2
  exit 1
}

stamp=.venv/.installed
if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || ! cmp -s requirements.lock "$stamp"; then
  python=$(find_python)
  echo "Using $python ($("$python" --version))"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
  cp requirements.lock "$stamp"
fi

if [ ! -d node_modules/govuk-frontend ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
.venv/bin/python scripts/build_assets.py >/dev/null
