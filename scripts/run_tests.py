"""The whole test suite (`make test`): lint, the architecture contracts (the rules engine's
purity, the order of the apps), types (mypy over the services, selectors and rules), the
migrations check, then pytest against real PostgreSQL and
Redis (from the environment, or embedded)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from services import services  # noqa: E402

BIN = ROOT / ".venv" / "bin"


def run(step: str, command: list[str], env: dict[str, str]) -> None:
    print(f"\n== {step}: {' '.join(command)}", flush=True)
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode != 0:
        print(f"\n{step} failed (exit {result.returncode}).", file=sys.stderr)
        sys.exit(result.returncode)


def main() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    run("lint", [str(BIN / "ruff"), "check", "."], env)
    run("format", [str(BIN / "ruff"), "format", "--check", "."], env)
    run("architecture", [str(BIN / "lint-imports")], env)
    run("types", [str(BIN / "mypy")], env)
    with services(database_var="TEST_DATABASE_URL") as urls:
        env.update(urls)
        python = str(BIN / "python")
        run("migrations", [python, "manage.py", "makemigrations", "--check", "--dry-run"], env)
        run("system checks", [python, "manage.py", "check", "--fail-level", "WARNING"], env)
        run("tests", [python, "-m", "pytest", *sys.argv[1:]], env)


if __name__ == "__main__":
    main()
