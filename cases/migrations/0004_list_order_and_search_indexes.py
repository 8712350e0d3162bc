"""The case list's whole order (force, newest referral, newest record) in one index, so a page
is read straight off it (the old index had the referral date only, so every case of the newest
day was read and sorted); and a pg_trgm index for searching part of a crime reference. Built
without blocking writes to cases."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("cases", "0003_case_force_created"),
        ("victims", "0004_name_search_trigram"),  # creates the pg_trgm extension
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                fields=["force", "-referred_on", "-created_at"], name="case_force_referred"
            ),
        ),
        RemoveIndexConcurrently(model_name="case", name="case_force_recent"),
        AddIndexConcurrently(
            model_name="case",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("crime_reference"), name="gin_trgm_ops"
                ),
                name="case_crime_ref_trgm",
            ),
        ),
    ]
