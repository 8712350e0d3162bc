from django.db import migrations


class Migration(migrations.Migration):
    """Joins the victim's side branch's notice texts and signposting to the merged migrations."""

    dependencies = [
        ("victims", "0006_victimside_signposting"),
        ("victims", "0009_merge_evaluation"),
    ]

    operations = []
