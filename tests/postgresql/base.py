"""The PostgreSQL backend, with one change for the test suite: emptying the database between
transactional tests (Django's `flush`, which TRUNCATEs every table) runs with triggers off,
since the access log's tables refuse TRUNCATE (accounts 0006). Only a superuser may turn
triggers off this way; the tests connect as one. Production uses Django's own backend."""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        # Flush runs its statements in one transaction: SET LOCAL ends with it.
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else []


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
