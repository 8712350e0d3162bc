"""The service under a real gunicorn, for tests that start servers of their own (an outage, a
replica): started with the environment given, ready when `ready_path` answers, stopped after."""

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict, log_path: Path, *, ready_path: str = "/healthz") -> Iterator[tuple]:
    """Yield `(base_url, process)`; the log's end is printed when the server stops."""
    port = free_port()
    log = log_path.open("wb")
    server = subprocess.Popen(
        [GUNICORN, "-c", "config/gunicorn.py", "config.wsgi:application"]
        + ["-b", f"127.0.0.1:{port}", "-w", "1", "-t", "30"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}{ready_path}", timeout=5, allow_redirects=False)
                break
            except requests.ConnectionError:
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield base, server
    finally:
        server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        print(log_path.read_text(errors="replace")[-5000:])
