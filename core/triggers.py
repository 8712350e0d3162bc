"""What caused a hold's re-evaluation, as recorded on each decision (`HoldDecision.trigger`).

Here, in the lowest layer, so every app that changes a fact names its trigger from one list:
`victims` may not import `protocol` (the layers in pyproject.toml), yet records support and
application changes that re-evaluate holds."""

from django.db import models


class Trigger(models.TextChoices):
    REFERRAL = "referral"
    CASE_STATUS = "case_status"
    SUPPORT = "support"
    APPLICATION = "application"
    OVERRIDE = "override"
    END_CONFIRMATION = "end_confirmation"
    SWEEP = "sweep"
    COMMAND = "command"
    HOLD_CHECK = "hold_check"  # a hold check found the decision lagging its facts
    MERGE = "merge"
