"""A support organisation's access to a victim ends with its engagement: remove the grants an
organisation still holds for victims it no longer supports (engagements closed or disengaged
before this rule). Reversing it restores nothing: access that ended stays ended."""

from django.db import migrations
from django.db.models import Exists, OuterRef

OPEN_SUPPORT_STATUSES = ("referred", "engaged", "application_in_preparation")


def remove_ended_access(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    SupportEngagement = apps.get_model("victims", "SupportEngagement")
    Grant = apps.get_model("victims", "VictimGroupObjectPermission")
    support_groups = Organisation.objects.filter(kind="support_organisation").values("group_id")
    still_open = SupportEngagement.objects.filter(
        victim_id=OuterRef("content_object_id"),
        organisation__group_id=OuterRef("group_id"),
        status__in=OPEN_SUPPORT_STATUSES,
    )
    Grant.objects.filter(group_id__in=support_groups).exclude(Exists(still_open)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_audit_chain_heads"),
        ("victims", "0002_victim_recent"),
    ]

    operations = [migrations.RunPython(remove_ended_access, migrations.RunPython.noop)]
