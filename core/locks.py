"""One run at a time of a scheduled task, however many beat processes or workers there are.

`single_run(name)` takes a PostgreSQL session-level advisory lock on the primary without
waiting: the first run gets it and does the work; a run that starts while it is held gets
False and does nothing (the next scheduled run does the work). The lock goes when the run ends,
or with its connection if the process dies, so a crashed run never blocks the next. Being in
PostgreSQL, it needs no Redis: a sweep still runs while Redis is down. (Session-level locks need
a session per connection: behind a transaction-pooling PgBouncer, give the workers a
session-pooled database alias.)
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

# The first key of the two-key advisory lock: the service's scheduled tasks, apart from any
# other advisory locks the database's users take. The second is the hash of the task's name.
SCHEDULED_TASKS = 0x70637357  # "pcsW"


@contextmanager
def single_run(name: str) -> Iterator[bool]:
    """Whether this run got the lock named `name` (held until the block ends)."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [SCHEDULED_TASKS, name])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(%s, hashtext(%s))", [SCHEDULED_TASKS, name]
                    )
            except (OperationalError, InterfaceError):
                pass  # the connection is gone, and the lock with it
