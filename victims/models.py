"""The victim and the facts about their support and applications to regularise stay."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from accounts.models import Organisation
from core.choices import choices
from core.normalise import home_office_reference_key, name_key
from core.references import new_victim_reference
from protocol.rules import values


def full_name_key() -> Concat:
    """Given names then family name, normalised (`jose maria o brien`): what a search by name
    matches part of, through the trigram index `victim_name_trgm`."""
    return Concat("given_names_key", Value(" "), "family_name_key", output_field=models.CharField())


class CurrentVictims(models.Manager):
    """Victims that are still their own record: one merged into another (ADR 0012) is no
    longer a victim of its own, and every lookup through `Victim.objects` misses it (a 404)."""

    def get_queryset(self):
        return super().get_queryset().filter(merged_into__isnull=True)


class Victim(models.Model):
    """A person referred under the protocol. `facts_version` bumps on every rule-read change.

    `merged_into` is set when a possible duplicate is merged: the record then only says which
    record it became (every fact, grant and the hold moved there)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=10, unique=True, default=new_victim_reference)
    given_names = models.CharField(max_length=200)
    family_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()
    nationality = models.CharField(max_length=3, help_text="ISO 3166-1 alpha-3")
    home_office_reference = models.CharField(max_length=40, blank=True)
    preferred_language = models.CharField(max_length=2, help_text="ISO 639-1")
    interpreter_needed = models.BooleanField(default=False)
    contact = models.TextField("safe contact details", blank=True)
    address = models.TextField(blank=True)
    # Normalised keys for the IE hold check (exact identifiers only).
    family_name_key = models.CharField(max_length=200, editable=False)
    given_names_key = models.CharField(max_length=200, editable=False)
    home_office_reference_key = models.CharField(max_length=40, editable=False, blank=True)
    facts_version = models.PositiveBigIntegerField(default=1)
    # Indexed for merged records only (a partial index below): an index of every row's NULL
    # would tempt the planner away from the name search's trigram index on small tables.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CurrentVictims()
    records = models.Manager()  # noqa: DJ012 (a manager): merged records too, for the merge

    class Meta:
        ordering = ["-created_at"]
        base_manager_name = "records"
        indexes = [
            models.Index(fields=["-created_at"], name="victim_recent"),
            models.Index(
                fields=["merged_into"],
                name="victim_merged_into",
                condition=models.Q(merged_into__isnull=False),
            ),
            models.Index(
                fields=["family_name_key", "date_of_birth", "given_names_key"],
                name="victim_identity_key",
            ),
            models.Index(
                fields=["home_office_reference_key"],
                name="victim_horef_key",
                condition=~Q(home_office_reference_key=""),
            ),
            # A search by any part of a name (pg_trgm): no scan of every victim.
            GinIndex(OpClass(full_name_key(), name="gin_trgm_ops"), name="victim_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nationality__regex=r"^[A-Z]{3}$"), name="victim_nationality_alpha3"
            ),
            models.CheckConstraint(
                condition=Q(preferred_language__regex=r"^[a-z]{2}$"),
                name="victim_language_iso639_1",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs):
        self.family_name_key = name_key(self.family_name)
        self.given_names_key = name_key(self.given_names)
        self.home_office_reference_key = home_office_reference_key(self.home_office_reference)
        super().save(*args, **kwargs)


class Dependant(models.Model):
    """A dependant of the victim: covered by the victim's hold, not a fact of the rules."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="dependants")
    given_names = models.CharField(max_length=200)
    family_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()
    family_name_key = models.CharField(max_length=200, editable=False)
    given_names_key = models.CharField(max_length=200, editable=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["family_name_key", "date_of_birth", "given_names_key"],
                name="dependant_identity_key",
            )
        ]

    def __str__(self) -> str:
        return f"dependant of {self.victim}"

    def save(self, *args, **kwargs):
        self.family_name_key = name_key(self.family_name)
        self.given_names_key = name_key(self.given_names)
        super().save(*args, **kwargs)


class DataSharingNotice(models.Model):
    """The notice given to the victim explaining how their data is shared."""

    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="notices")
    version = models.CharField(max_length=20)
    language = models.CharField(max_length=2, help_text="ISO 639-1")
    given_on = models.DateField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on"]

    def __str__(self) -> str:
        return f"notice {self.version} ({self.language}) given {self.given_on}"


class SupportConsent(models.Model):
    """The victim's consent to referral to a named support organisation."""

    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="consents")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    given_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The victim's withdrawal of this consent: the organisation's access ends with it.
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"consent to refer to {self.organisation.code} given {self.given_on}"


OPEN_SUPPORT_STATUSES = ("referred", "engaged", "application_in_preparation")
# A support referral's lifecycle: made (new), then accepted or declined by the organisation.
REFERRAL_NEW, REFERRAL_ACCEPTED, REFERRAL_DECLINED = "new", "accepted", "declined"
REFERRAL_STATUSES = (REFERRAL_NEW, REFERRAL_ACCEPTED, REFERRAL_DECLINED)


class SupportEngagement(models.Model):
    """A support organisation's engagement with the victim (rule H5)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="support_engagements")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="support_engagements"
    )
    status = models.CharField(
        max_length=32, choices=choices(values.SUPPORT_STATUSES, values.LABELS)
    )
    started_on = models.DateField()
    last_contact_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    consent = models.ForeignKey(SupportConsent, on_delete=models.PROTECT, related_name="+")
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The force that made the referral (its officer's force when it was made).
    referring_force = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="+"
    )
    referral_status = models.CharField(
        max_length=16,
        default=REFERRAL_NEW,
        choices=[(code, code) for code in REFERRAL_STATUSES],
    )
    referral_decided_at = models.DateTimeField(null=True, blank=True)
    referral_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decline_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_on"]
        indexes = [
            models.Index(
                fields=["organisation", "referral_status", "-created_at"],
                name="support_referral_inbox",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=values.SUPPORT_STATUSES), name="support_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(referral_status__in=REFERRAL_STATUSES),
                name="support_referral_status_valid",
            ),
            models.UniqueConstraint(
                fields=["victim", "organisation"],
                condition=Q(status__in=OPEN_SUPPORT_STATUSES),
                name="one_open_engagement_per_organisation",
                violation_error_message="This organisation already has an open engagement.",
            ),
            models.CheckConstraint(
                condition=Q(last_contact_on__isnull=True) | Q(last_contact_on__gte=F("started_on")),
                name="support_contact_after_start",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("started_on")),
                name="support_closed_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code} engagement with {self.victim} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_SUPPORT_STATUSES


class SupportUpdate(models.Model):
    """Append-only log of an adviser's updates to an engagement (status, contact, note)."""

    engagement = models.ForeignKey(
        SupportEngagement, on_delete=models.CASCADE, related_name="updates"
    )
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=32)
    contact_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.status} update at {self.at:%Y-%m-%d %H:%M}"


_NRM = Q(route="nrm")


class Application(models.Model):
    """An application or referral that could regularise stay (rules H6, H7, H10)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="applications")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", help_text="Recorded by"
    )
    route = models.CharField(
        max_length=32, choices=choices(values.APPLICATION_ROUTES, values.LABELS)
    )
    status = models.CharField(
        max_length=32,
        choices=choices(
            tuple(dict.fromkeys(values.APPLICATION_STATUSES + values.NRM_STATUSES)), values.LABELS
        ),
    )
    submitted_on = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    leave_expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(route__in=values.APPLICATION_ROUTES), name="application_route_valid"
            ),
            models.CheckConstraint(
                condition=(_NRM & Q(status__in=values.NRM_STATUSES))
                | (~_NRM & Q(status__in=values.APPLICATION_STATUSES)),
                name="application_status_fits_route",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("submitted_on")),
                name="application_decided_after_submitted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_route_display()} ({self.status})"


class ApplicationChange(models.Model):
    """Append-only history of an application: one row per field changed (its recording, each
    change, a take-over), written in the change's transaction."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=32)
    from_value = models.CharField(max_length=64, blank=True)
    to_value = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.from_value} -> {self.to_value}"


class Disclosure(models.Model):
    """A disclosure of the victim's data to another organisation, told to the victim."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="disclosures")
    at = models.DateTimeField(auto_now_add=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    categories = ArrayField(models.CharField(max_length=40))
    purpose = models.CharField(max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Set on the entry that records the victim's withdrawal of consent from `organisation`.
    consent_withdrawn_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"disclosure to {self.organisation.code} at {self.at:%Y-%m-%d}"


class PossibleDuplicate(models.Model):
    """Two victims with the same normalised names and date of birth and no Home Office
    reference joining them: perhaps one person, until a supervisor of each force decides.

    `first` is the record referred first: it survives a merge (ADR 0012)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Dismissed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="+")
    names_match = models.BooleanField(default=True)
    date_of_birth_match = models.BooleanField(default=True)
    nationality_match = models.BooleanField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["first"], name="duplicate_first"),
            models.Index(fields=["second"], name="duplicate_second"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(first=F("second")), name="duplicate_two_records"),
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(
                condition=Q(status__in=("open", "merged", "dismissed")),
                name="duplicate_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"possible duplicate {self.first_id} / {self.second_id} ({self.status})"

    @property
    def victims(self) -> tuple[Victim, Victim]:
        return (self.first, self.second)


class VictimGroupObjectPermission(GroupObjectPermissionBase):
    """Per-victim grants to an organisation's group (direct foreign key, not generic)."""

    content_object = models.ForeignKey(Victim, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
