"""Run a command with DATABASE_URL and REDIS_URL set, starting embedded servers where needed."""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import services  # noqa: E402


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: with_services.py COMMAND [ARG ...]", file=sys.stderr)
        return 2
    with services(database_var="DATABASE_URL") as urls:
        return subprocess.run(sys.argv[1:], env={**os.environ, **urls}).returncode


if __name__ == "__main__":
    sys.exit(main())
