from django.db import migrations


class Migration(migrations.Migration):
    """Joins the lifecycle branch's notifications migration to the merged trigger choices."""

    dependencies = [
        ("protocol", "0006_lifecycle_notifications"),
        ("protocol", "0008_trigger_choices_hold_check_and_merge"),
    ]

    operations = []
