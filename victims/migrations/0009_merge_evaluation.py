from django.db import migrations


class Migration(migrations.Migration):
    """Joins the evaluation branch's unreported crimes to the merged victims migrations."""

    dependencies = [
        ("victims", "0005_evaluation_unreported_crime"),
        ("victims", "0008_merge_lifecycle"),
    ]

    operations = []
