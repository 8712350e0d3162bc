"""For the concurrency tests: how many sessions of this test's own database wait for a lock
(sessions of other databases on the same server, another test run's say, do not count)."""

from django.db import connection


def sessions_waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]
