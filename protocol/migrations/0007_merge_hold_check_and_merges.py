from django.db import migrations


class Migration(migrations.Migration):
    """Joins the hold-check trigger and the merges branches' migrations."""

    dependencies = [
        ("protocol", "0006_identity_merges"),
        ("protocol", "0006_throughput_hold_check_trigger"),
    ]

    operations = []
