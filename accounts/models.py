"""Users, organisations and the access log."""

import hashlib
import uuid

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, Group, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.roles import OrganisationKind, Role, role_fits


class Organisation(models.Model):
    """A police force, support organisation, IE unit or oversight body."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    code = models.SlugField(max_length=32, unique=True, help_text="Short code, e.g. 'met'.")
    name = models.CharField(max_length=200)
    contact_team = models.CharField("protocol contact team", max_length=200, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    group = models.OneToOneField(
        Group,
        on_delete=models.PROTECT,
        related_name="organisation",
        help_text="Members' group: per-object grants are made to it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def contact(self) -> dict[str, str]:
        return {"team": self.contact_team, "phone": self.contact_phone, "email": self.contact_email}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address. Roles are groups named after the role."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles (cached on the instance)."""
        if not hasattr(self, "_roles"):
            names = set(self.groups.values_list("name", flat=True))
            self._roles = frozenset(names & set(Role.values))
        return self._roles

    def set_roles(self, group_names) -> None:
        """Prime the roles cache from group names read alongside the user (one query less)."""
        self._roles = frozenset(set(group_names) & set(Role.values))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def clean(self) -> None:
        super().clean()
        self.email = self.email.lower()


def validate_roles_fit(organisation: Organisation | None, roles: list[str]) -> None:
    """Refuse any role that does not fit the organisation's kind."""
    for role in roles:
        if role not in Role.values:
            raise ValidationError(f"Unknown role {role!r}. Roles: {', '.join(Role.values)}.")
        if organisation is None or not role_fits(role, organisation.kind):
            kind = organisation.kind if organisation else "no organisation"
            raise ValidationError(
                f"The role {role!r} does not fit an organisation of kind {kind!r}."
            )


class ApiToken(models.Model):
    """An expiring API token. Only a hash of the key is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token for {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class LoginFailure(models.Model):
    """A failed sign-in, counted to lock out an account for the address that failed, and an
    address that fails too often whatever the accounts (see `accounts.services`).

    A successful sign-in marks the failures of its own account and address `cleared` (they no
    longer count against that pair) but never deletes them: they still count against the
    address, and the access log keeps every failure anyway."""

    email = models.CharField(max_length=254, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    cleared = models.BooleanField(
        default=False, help_text="A later sign-in from the same address succeeded"
    )

    class Meta:
        indexes = [models.Index(fields=["ip_address", "at"], name="loginfailure_address_at")]

    def __str__(self) -> str:
        return f"failed sign-in for {self.email} at {self.at:%Y-%m-%d %H:%M}"


class AccessEvent(models.Model):
    """Append-only record of every access: the database refuses UPDATE, DELETE and TRUNCATE.

    Each row carries an HMAC over its content and the HMAC of the previous row of the same
    chain. Events are spread over a few interleaved chains so that concurrent writers do not all
    queue on one lock; a change to any row breaks its chain, detectable with `verify_audit`.
    """

    class Action(models.TextChoices):
        VIEW = "view"
        LIST = "list"
        CREATE = "create"
        CHANGE = "change"
        HOLD_CHECK = "hold_check"
        EXPORT = "export"
        DISCLOSE = "disclose"
        SIGN_IN = "sign_in"
        SIGN_OUT = "sign_out"
        LOCKOUT = "lockout"
        PASSWORD_CHANGE = "password_change"
        ROLE_CHANGE = "role_change"

    class Outcome(models.TextChoices):
        ALLOWED = "allowed"
        DENIED = "denied"

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    actor_roles = models.CharField(max_length=200, blank=True)
    actor_organisation = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    chain = models.PositiveSmallIntegerField(
        default=0, help_text="Which of the interleaved HMAC chains this event extends"
    )
    prev_hmac = models.CharField(max_length=64)
    # Unique (a replayed event is refused); the LIKE index `unique=True` adds is dropped by
    # migration 0008, as nothing searches HMACs by prefix.
    hmac = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["chain", "-id"], name="accessevent_chain_tail"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.object_type}"


class AuditChainHead(models.Model):
    """The newest HMAC of one access-log chain, how many events the chain has, and a signature.

    Writers lock their chain's row (`SELECT ... FOR UPDATE`, held to the end of the transaction)
    to read the HMAC they extend, and move it forward in the statement that appends their event,
    so each chain stays a single line under concurrency without reading back through the log.
    `verify_audit` checks it against the last event of its chain, so cutting events off the end
    of a chain shows too; `head_hmac` signs the head with the audit key, so whoever cuts events
    cannot move the head back to match without the key. The database refuses TRUNCATE.
    """

    chain = models.PositiveSmallIntegerField(primary_key=True)
    hmac = models.CharField(max_length=64)
    event_count = models.PositiveBigIntegerField(
        default=0, help_text="How many events the chain has"
    )
    head_hmac = models.CharField(
        max_length=64, blank=True, help_text="HMAC(key, chain, hmac, event_count)"
    )

    def __str__(self) -> str:
        return f"audit chain {self.chain} at {self.hmac[:12]}"
