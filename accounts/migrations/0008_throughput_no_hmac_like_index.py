"""Drop the LIKE index that `unique=True` adds to the access event's `hmac`.

Nothing searches HMACs by prefix; the unique index stays (it is what refuses a replayed event).
Every access event inserted a random 64-character key into this second index too, on every
audited request: one index fewer to write (docs/performance.md, "The IE hold check"). Django's
own schema changes drop this index with `IF EXISTS`, so a later change of the field still works.
"""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY: events go on being written meanwhile

    dependencies = [
        ("accounts", "0007_sign_in_events_and_address_lockout"),
    ]

    operations = [
        migrations.RunSQL(
            # Django's name for it (see `_create_index_name`, suffix "_like").
            "DROP INDEX CONCURRENTLY IF EXISTS accounts_accessevent_hmac_81f3c3db_like",
            reverse_sql="CREATE INDEX CONCURRENTLY IF NOT EXISTS "
            "accounts_accessevent_hmac_81f3c3db_like "
            "ON accounts_accessevent (hmac varchar_pattern_ops)",
        ),
    ]
