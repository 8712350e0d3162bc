from django.db import migrations


class Migration(migrations.Migration):
    """Joins the lifecycle branch's erasure migration to the merged identity and support ones."""

    dependencies = [
        ("victims", "0005_lifecycle_erasure"),
        ("victims", "0007_merged_into_partial_index"),
    ]

    operations = []
