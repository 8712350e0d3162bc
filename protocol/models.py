"""The hold (always the output of the rules), its history, overrides and end confirmations."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from core.choices import choices
from core.references import new_hold_reference
from protocol.rules import values
from victims.models import Victim


class DecisionFields(models.Model):
    """The fields of a rules decision, shared by the current hold and its history."""

    status = models.CharField(max_length=20, choices=choices(values.HOLD_STATUSES, values.LABELS))
    in_force = models.BooleanField()
    grounds = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    protected_until = models.DateField(null=True, blank=True)
    flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    explanation = ArrayField(models.TextField(), default=list, blank=True)
    ruleset = models.JSONField(default=dict, help_text="Rule-set version and policy values")

    class Meta:
        abstract = True


class Hold(DecisionFields):
    """One per victim: the current decision. Written only by `protocol.services`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique by a constraint rather than `unique=True`, which would add a second index (for
    # LIKE) that nothing uses and every non-HOT update of the hold would have to maintain.
    reference = models.CharField(max_length=10, default=new_hold_reference)
    victim = models.OneToOneField(Victim, on_delete=models.PROTECT, related_name="hold")
    evaluated_version = models.PositiveBigIntegerField(default=0)
    evaluated_at = models.DateTimeField()
    evaluated_on = models.DateField(help_text="The date the rules were evaluated for")
    next_due_on = models.DateField(
        null=True, blank=True, help_text="When the decision may change with the same facts"
    )
    status_since = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    # A hold is rewritten on every evaluation, so its indexes are few and none covers a column
    # the usual evaluation changes (`evaluated_version`, `evaluated_at`, `evaluated_on`, the
    # explanation): PostgreSQL can then update the row in place (a HOT update), writing one page
    # instead of one per index. (`next_due_on` and the status are indexed, for the sweep and the
    # statistics; they change only when the decision or its next date does.) Migration 0005
    # also leaves free space in each page for that (fillfactor 70). docs/performance.md has the
    # figures.
    class Meta:
        indexes = [
            models.Index(fields=["next_due_on"], name="hold_next_due"),
            models.Index(fields=["status", "status_since"], name="hold_status_since"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="hold_reference_unique"),
            models.CheckConstraint(
                condition=Q(status__in=values.HOLD_STATUSES), name="hold_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(in_force=True, status__in=("active", "ending", "review_due"))
                | Q(
                    in_force=False, status__in=("not_covered", "overridden", "regularised", "ended")
                ),
                name="hold_in_force_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class HoldDecision(DecisionFields):
    """Append-only: every change of a hold's decision, with what it was decided on."""

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

    # No index of its own: `holddecision_recent` starts with the hold.
    hold = models.ForeignKey(
        Hold, on_delete=models.PROTECT, related_name="decisions", db_index=False
    )
    decided_at = models.DateTimeField()
    evaluated_on = models.DateField()
    facts_version = models.PositiveBigIntegerField()
    facts = models.JSONField(help_text="The facts the rules read (dates and statuses only)")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["hold", "-decided_at"], name="holddecision_recent")]

    def __str__(self) -> str:
        return f"{self.hold} {self.status} at {self.decided_at:%Y-%m-%d %H:%M}"


class Override(models.Model):
    """A public-protection override: requested by one IE senior, decided by another."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="overrides")
    category = models.CharField(
        max_length=40, choices=choices(values.OVERRIDE_CATEGORIES, values.LABELS)
    )
    justification = models.TextField()
    expires_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=choices(values.OVERRIDE_STATUSES, values.LABELS), default="requested"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_on = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=values.OVERRIDE_STATUSES), name="override_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=values.OVERRIDE_CATEGORIES), name="override_category_valid"
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="override_four_eyes",
                violation_error_message="An override cannot be decided by the person who asked.",
            ),
            models.UniqueConstraint(
                fields=["hold"],
                condition=Q(status__in=("requested", "approved")),
                name="one_live_override_per_hold",
                violation_error_message="This hold already has an override requested or approved.",
            ),
        ]

    def __str__(self) -> str:
        return f"override of {self.hold} ({self.status})"


class EndConfirmation(models.Model):
    """An IE senior's confirmation that a `review_due` hold has ended (rule H14)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="end_confirmations")
    confirmed_on = models.DateField()
    reason = models.CharField(max_length=40, choices=choices(values.END_REASONS, values.LABELS))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A merge never carries an end confirmation over (API.md): it stays on record, set aside,
    # and the rules no longer read it.
    set_aside_by_merge = models.BooleanField(default=False)

    class Meta:
        ordering = ["-confirmed_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=values.END_REASONS), name="end_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"end of {self.hold} confirmed {self.confirmed_on}"


class HoldAlias(models.Model):
    """The reference of a hold merged into another (ADR 0012): IE's checks, the review queue
    and the hold pages resolve it to the surviving hold, so a reference IE holds never reads
    as "no hold"."""

    reference = models.CharField(max_length=10, primary_key=True)
    hold = models.ForeignKey(Hold, on_delete=models.PROTECT, related_name="aliases")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.reference} is now {self.hold_id}"


class HoldCheck(models.Model):
    """One IE hold check: who asked and what they were told (never what they asked about)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    hold = models.ForeignKey(
        Hold, on_delete=models.PROTECT, null=True, blank=True, related_name="checks"
    )
    answered_in_force = models.BooleanField()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"hold check at {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A message to an organisation about one of its holds (override steps, end of a hold)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="notifications"
    )
    hold = models.ForeignKey(Hold, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.organisation_id}"
