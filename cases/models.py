"""A case: one police referral naming a victim, with its investigation and prosecution."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from guardian.models import GroupObjectPermissionBase

from accounts.models import Organisation
from core.choices import choices
from core.references import new_case_reference
from protocol.rules import values
from victims.models import Victim


class Case(models.Model):
    """One police referral. Its statuses are facts the hold rules read (H1–H4)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=10, unique=True, default=new_case_reference)
    victim = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="cases")
    force = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    crime_reference = models.CharField(max_length=60)
    crime_type = models.CharField(max_length=40, choices=choices(values.CRIME_TYPES, values.LABELS))
    role = models.CharField(max_length=10, choices=choices(values.CASE_ROLES, values.LABELS))
    reported_on = models.DateField()
    referred_on = models.DateField()
    investigation_status = models.CharField(
        max_length=40, choices=choices(values.INVESTIGATION_STATUSES, values.LABELS)
    )
    closed_on = models.DateField(null=True, blank=True)
    outcome_code = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(22)]
    )
    prosecution_status = models.CharField(
        max_length=40,
        choices=choices(values.PROSECUTION_STATUSES, values.LABELS),
        default="none",
    )
    court = models.CharField(
        max_length=20, choices=choices(values.COURTS, values.LABELS), blank=True
    )
    concluded_on = models.DateField(null=True, blank=True)
    # Why the victim withdrew support for the case, when they did (statistics only).
    withdrawal_reason = models.CharField(
        max_length=40,
        choices=choices(values.WITHDRAWAL_REASONS, values.WITHDRAWAL_REASON_LABELS),
        blank=True,
        # A default in the database too: bulk loads (COPY) that name no such column still work.
        db_default="",
    )
    narrative = models.TextField(blank=True, help_text="Crime narrative: police only.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-referred_on", "-created_at"]
        indexes = [
            # The list's whole order, so a page is read straight off the index.
            models.Index(
                fields=["force", "-referred_on", "-created_at"], name="case_force_referred"
            ),
            models.Index(fields=["force", "-created_at"], name="case_force_created"),
            models.Index(fields=["force", "investigation_status"], name="case_force_status"),
            # Searching the list for part of a crime reference (`icontains`) without a scan.
            GinIndex(
                OpClass(Upper("crime_reference"), name="gin_trgm_ops"), name="case_crime_ref_trgm"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "crime_reference", "victim"],
                name="one_case_per_crime_and_victim",
                violation_error_message="This force already referred this victim for this crime.",
            ),
            models.CheckConstraint(
                condition=Q(crime_type__in=values.CRIME_TYPES), name="case_crime_type_valid"
            ),
            models.CheckConstraint(condition=Q(role__in=values.CASE_ROLES), name="case_role_valid"),
            models.CheckConstraint(
                condition=Q(investigation_status__in=values.INVESTIGATION_STATUSES),
                name="case_investigation_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(prosecution_status__in=values.PROSECUTION_STATUSES),
                name="case_prosecution_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(court="") | Q(court__in=values.COURTS), name="case_court_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome_code__isnull=True) | Q(outcome_code__range=(1, 22)),
                name="case_outcome_code_range",
            ),
            models.CheckConstraint(
                condition=Q(referred_on__gte=F("reported_on")), name="case_referred_after_reported"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("reported_on")),
                name="case_closed_after_reported",
            ),
            models.CheckConstraint(
                condition=Q(concluded_on__isnull=True) | Q(concluded_on__gte=F("reported_on")),
                name="case_concluded_after_reported",
            ),
            models.CheckConstraint(
                condition=Q(withdrawal_reason="")
                | Q(withdrawal_reason__in=values.WITHDRAWAL_REASONS),
                name="case_withdrawal_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseStatusChange(models.Model):
    """Append-only history of a case's status changes: who, when, from, to."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changes = models.JSONField(help_text='{"field": ["from", "to"], ...}')
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case} changed at {self.at:%Y-%m-%d %H:%M}"


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """Per-case grants to a force's group (direct foreign key, not generic)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
