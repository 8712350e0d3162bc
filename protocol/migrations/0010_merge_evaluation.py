from django.db import migrations


class Migration(migrations.Migration):
    """Joins the evaluation branch's policy simulations to the merged protocol migrations."""

    dependencies = [
        ("protocol", "0006_evaluation_policy_simulation"),
        ("protocol", "0009_merge_lifecycle"),
    ]

    operations = []
