"""The hold (always the output of the rules), its history, overrides and end confirmations."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.choices import choices
from core.references import new_hold_reference
from core.triggers import Trigger
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

    Trigger = Trigger  # core.triggers: one list for every app that changes a fact

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
    """Something that happened to a hold that an organisation is told about: listed in the
    service (read or unread, per user) and e-mailed to the organisation's contact address.

    It names references only (`references`: the hold's, and for police and support
    organisations the victim's), never a person. `occasion` makes the sweep's notices ("review
    due", "no contact") once per hold per occasion. `email_to` is the address it is owed to
    ("" for none) and `emailed_at` when it was sent: the sweep re-sends what is owed."""

    class Kind(models.TextChoices):
        SUPPORT_REFERRAL_MADE = "support_referral_made", _("Support referral made")
        SUPPORT_REFERRAL_ACCEPTED = "support_referral_accepted", _("Support referral accepted")
        SUPPORT_REFERRAL_DECLINED = "support_referral_declined", _("Support referral declined")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
        OVERRIDE_REQUESTED = "override_requested", _("Override requested")
        OVERRIDE_APPROVED = "override_approved", _("Override approved")
        OVERRIDE_REJECTED = "override_rejected", _("Override rejected")
        OVERRIDE_REVOKED = "override_revoked", _("Override revoked")
        REVIEW_DUE = "review_due", _("Hold due for review")
        SUPPORT_CONTACT_OVERDUE = "support_contact_overdue", _("No contact recorded")
        HOLD_ENDED = "hold_ended", _("Hold ended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="notifications"
    )
    hold = models.ForeignKey(Hold, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    references = models.JSONField(default=dict, help_text="References only, never a person")
    message = models.TextField()
    occasion = models.DateTimeField(
        null=True, blank=True, help_text="What the sweep notices once (a status since, a contact)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    email_to = models.EmailField(blank=True, help_text="The contact address it is owed to")
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    read_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="NotificationRead", related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="notification_org_recent"),
            models.Index(fields=["hold", "kind", "occasion"], name="notification_occasion"),
            models.Index(
                fields=["created_at"],
                name="notification_email_owed",
                condition=Q(emailed_at__isnull=True) & ~Q(email_to=""),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "hold", "kind", "occasion"],
                condition=Q(occasion__isnull=False),
                name="notification_once_per_occasion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.organisation_id}"


class NotificationRead(models.Model):
    """Who has read a notification, and when."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="notification_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} read by {self.user_id}"


class PolicySimulation(models.Model):
    """A policy simulation asked for by an analyst or auditor, and its anonymised result (counts
    only, suppressed as the statistics are: no identity). Kept for the one who asked."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    policy = models.JSONField(help_text="The proposed settings (PROTOCOL.md's names)")
    on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Policy simulation {self.pk} ({self.status})"
