from django.db import migrations


class Migration(migrations.Migration):
    """Joins the identity (merges) and support (referral lifecycle) branches' migrations."""

    dependencies = [
        ("victims", "0005_identity_merges"),
        ("victims", "0005_support_lifecycle"),
    ]

    operations = []
