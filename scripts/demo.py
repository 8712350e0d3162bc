"""`make demo`: migrate, load demo data, and run the web server, a Celery worker and beat.

With DATABASE_URL and REDIS_URL set it uses those servers; otherwise it starts an embedded
PostgreSQL and Redis (from their PyPI packages) in `.data/`. Ctrl-C stops everything it started.

As in production, only `migrate` and `create_app_role` connect as the tables' owner (the
DATABASE_URL given, or the embedded server's superuser); the demo data, web server, worker and
beat connect as the service's own role, `casework_app` on the same server (or APP_DATABASE_URL
when set), which may only read and add to the access log.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from services import services  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
PORT = int(os.environ.get("DEMO_PORT", "8000"))


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


APP_ROLE = "casework_app"
APP_ROLE_PASSWORD = "demo-app-password-not-secret"  # noqa: S105 (the local demo's own)


def as_role(url: str, user: str, password: str) -> str:
    """`url` with another user and password: the same server and database."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=f"{netloc}:{parts.port}" if parts.port else netloc))


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    if not port_free(HOST, PORT):
        print(f"Port {PORT} on {HOST} is in use: stop what runs there, or set DEMO_PORT.")
        return 1
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with services(database_var="DATABASE_URL") as urls:
        env = {
            **os.environ,
            **urls,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "config.settings.local"
            ),
            "PYTHONUNBUFFERED": "1",
        }
        # As the owner: migrate, and make the service's role. Then everything else as that role.
        manage(env, "migrate", "--noinput", "-v", "0")
        app_url = os.environ.get("APP_DATABASE_URL") or as_role(
            env["DATABASE_URL"], APP_ROLE, APP_ROLE_PASSWORD
        )
        manage({**env, "APP_DATABASE_URL": app_url}, "create_app_role")
        env = {**env, "DATABASE_URL": app_url}
        env.pop("APP_DATABASE_URL", None)
        manage(env, "seed_demo")
        data = ROOT / ".data"
        data.mkdir(exist_ok=True)
        commands = {
            "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
            "worker": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                "demo-worker@%h",
            ],
            "beat": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(data / "celerybeat-schedule"),
            ],
        }
        processes = {
            name: subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
            for name, command in commands.items()
        }
        print(f"\nProtocol Casework is running on http://{HOST}:{PORT}/ (Ctrl-C stops it).\n")
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        print(f"The {name} process stopped (exit {process.returncode}).")
                        stopping = True
                time.sleep(0.5)
        finally:
            print("\nStopping the web server, worker and beat...")
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
