"""A search by part of a name uses a pg_trgm GIN index on the normalised full name (given names,
then family name) instead of scanning every victim. pg_trgm is a trusted extension: the
database's owner may create it. The index is built without blocking writes to victims."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("victims", "0003_access_ends_with_engagement"),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="victim",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Concat(
                        "given_names_key",
                        models.Value(" "),
                        "family_name_key",
                        output_field=models.CharField(),
                    ),
                    name="gin_trgm_ops",
                ),
                name="victim_name_trgm",
            ),
        ),
    ]
