"""Let PostgreSQL update a hold in place (HOT) when it is re-evaluated.

A re-evaluation usually changes only columns no index covers, so the row can be rewritten in its
own page with no index touched, if the page has room: fillfactor 70 leaves that room in pages
written from now on (existing pages gain it as rows move or after `VACUUM FULL`). The index on
`evaluated_at` (which every evaluation changed) is gone: the sweep's re-check now walks the
holds in key order. The hold reference stays unique through a constraint, without the LIKE index
`unique=True` adds; the history's own index on `hold_id` is covered by `holddecision_recent`.
"""

import django.db.models.deletion
from django.db import migrations, models

import core.references


class Migration(migrations.Migration):
    dependencies = [
        ("protocol", "0004_hold_evaluated_at"),
        ("victims", "0002_victim_recent"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="hold", name="hold_evaluated_at"),
        migrations.AddConstraint(
            model_name="hold",
            constraint=models.UniqueConstraint(fields=("reference",), name="hold_reference_unique"),
        ),
        migrations.AlterField(
            model_name="hold",
            name="reference",
            field=models.CharField(default=core.references.new_hold_reference, max_length=10),
        ),
        # Only the index goes: Django's own AlterField would also drop the foreign key and add
        # it again, checking every history row under a lock that stops writes meanwhile.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="holddecision",
                    name="hold",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="protocol.hold",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    # Django's name for it (the name fails loudly here if it ever differs).
                    "DROP INDEX protocol_holddecision_hold_id_17c18d61",
                    reverse_sql="CREATE INDEX protocol_holddecision_hold_id_17c18d61 "
                    "ON protocol_holddecision (hold_id)",
                ),
            ],
        ),
        migrations.RunSQL(
            "ALTER TABLE protocol_hold SET (fillfactor = 70)",
            reverse_sql="ALTER TABLE protocol_hold RESET (fillfactor)",
        ),
    ]
