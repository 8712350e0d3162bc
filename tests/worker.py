"""A real Celery worker process for integration tests, against the test database and Redis.

The worker runs `celery -A config worker` in a subprocess, with the test database's name and a
queue of its own (so messages left by other runs never reach it). Tests that use it need
committed data: mark them `transactional_db`.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    params = connection.settings_dict
    password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
    port = params.get("PORT") or 5432
    host = params.get("HOST") or "127.0.0.1"
    return f"postgres://{quote(params['USER'], safe='')}{password}@{host}:{port}/{params['NAME']}"


class Worker:
    """One worker process; `start()`, `wait_ready()`, `kill()` (SIGKILL), `stop()` (graceful)."""

    def __init__(self, queue: str, log_path: Path, extra_env: dict[str, str] | None = None):
        self.queue = queue
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.hostname = f"test-{uuid.uuid4().hex[:8]}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
            "CELERY_QUEUE": self.queue,
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    def start(self) -> "Worker":
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "solo",
                    "--queues",
                    self.queue,
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--hostname",
                    f"{self.hostname}@%h",
                ],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self, timeout: float = 30.0) -> "Worker":
        """Wait until the worker consumes its queue (it logs `ready.`)."""

        def ready() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"The worker exited early:\n{self.log()}")
            return f"{self.hostname}@" in self.log() and " ready." in self.log()

        wait_for(ready, timeout=timeout, interval=0.05, message="the worker to be ready")
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1, message: str = ""):
    """Poll `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


def reset_broker_connections(app) -> None:
    """Forget this process's broker connections and producers (kombu keeps them in global
    pools), so the next message opens a connection to the broker the app names now."""
    from kombu import pools

    pools.reset()
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_unreachable(app, url: str = "redis://127.0.0.1:1/0"):
    """Within the block, this process (the producer) cannot reach the broker: its broker URL
    names a closed port. Workers, in processes of their own, are not affected."""
    saved = app.conf.broker_url
    app.conf.broker_url = url
    reset_broker_connections(app)
    try:
        yield
    finally:
        app.conf.broker_url = saved
        reset_broker_connections(app)


def purge_queue(app, queue: str) -> None:
    """Empty `queue`, and forget its messages that a killed worker left unacknowledged (Redis
    keeps them in a hash shared by every queue of the database, to redeliver later)."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_purge(queue)
        client = channel.client
        for tag, payload in client.hscan_iter(channel.unacked_key):
            try:
                routing_key = json.loads(payload)[2]
            except (ValueError, TypeError, IndexError):
                continue
            if routing_key == queue:
                client.hdel(channel.unacked_key, tag)
                client.zrem(channel.unacked_index_key, tag)


def queue_length(queue: str) -> int:
    """Messages waiting in `queue` in Redis."""
    from config.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen(queue)


def queued_tasks(queue: str) -> list[tuple[str, list]]:
    """The (task name, arguments) of the messages waiting in `queue`, oldest first, read from
    Redis as a worker would receive them."""
    import base64

    from config.celery import app

    with app.connection_for_write() as conn:
        raw = conn.default_channel.client.lrange(queue, 0, -1)
    tasks = []
    for message in reversed(raw):  # kombu pushes on the left and pops from the right
        envelope = json.loads(message)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        tasks.append((envelope["headers"]["task"], args))
    return tasks
