"""The read replica: used only by the heavy aggregate reads that ask for it by name.

When `DATABASE_REPLICA_URL` is set, `DATABASES` has a `replica` alias next to `default`. Nothing
is sent there implicitly: the router sends every read and every write to the primary, and
allows migrations only there. A module whose reads may be a little stale (the anonymised
statistics, later the policy simulation) asks for `replica_or_default()` and passes it to
`.using()`. Exports, person-level reads, permission checks, hold checks and hold decisions never
do, so a lagging replica cannot feed any of them. Unset, `replica_or_default()` is `default`
and nothing changes.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"


def replica_or_default() -> str:
    """The alias of the read replica if one is configured, else the primary's."""
    return REPLICA if REPLICA in settings.DATABASES else DEFAULT_DB_ALIAS


class PrimaryRouter:
    """Every read and write on the primary unless a query names the replica itself."""

    def db_for_read(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
