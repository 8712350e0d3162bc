"""`make demo`: migrate, load demo data, and run the web server, a Celery worker and beat.

With DATABASE_URL and REDIS_URL set it uses those servers; otherwise it starts an embedded
PostgreSQL and Redis (from their PyPI packages) in `.data/`. Ctrl-C stops everything it started.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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
        manage(env, "migrate", "--noinput", "-v", "0")
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
