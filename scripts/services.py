"""PostgreSQL and Redis for a command: the ones named in the environment, or embedded ones.

With TEST_DATABASE_URL (or DATABASE_URL) and REDIS_URL set, those servers are used. Otherwise a
PostgreSQL server and a Redis server are started from their PyPI packages inside `.data/` and
stopped again afterwards, so a fresh machine needs nothing installed by hand.
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import embedded  # noqa: E402


@contextlib.contextmanager
def services(*, database_var: str, data_dir: Path | None = None) -> Iterator[dict[str, str]]:
    """Yield the environment naming the servers to use, starting embedded ones where needed."""
    data_dir = data_dir or ROOT / ".data"
    env: dict[str, str] = {}
    stops = []
    try:
        database_url = os.environ.get(database_var)
        if not database_url:
            print(f"{database_var} is not set: starting an embedded PostgreSQL in {data_dir}")
            database_url, stop = embedded.start_postgres(data_dir / "postgres")
            stops.append(stop)
        env[database_var] = database_url
        redis_url = os.environ.get("REDIS_URL")
        if not redis_url:
            print(f"REDIS_URL is not set: starting an embedded Redis in {data_dir}")
            redis_url, stop = embedded.start_redis(data_dir / "redis")
            stops.append(stop)
        env["REDIS_URL"] = redis_url
        yield env
    finally:
        for stop in reversed(stops):
            stop()
