"""Writes for organisations, users, tokens and sign-in failures. One transaction each."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, LoginFailure, Organisation, User, validate_roles_fit
from .roles import OrganisationKind, Role


def parse_contact(text: str) -> dict[str, str]:
    """`"Protocol team; 020 7946 0000; protocol@force.example"` -> team, phone, email."""
    parts = [part.strip() for part in text.split(";")]
    if len(parts) != 3 or not all(parts):
        raise ValidationError(
            {"contact": 'Give the contact as "TEAM; PHONE; EMAIL", separated by semicolons.'}
        )
    team, phone, email = parts
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"contact": f"{email!r} is not a valid email address."}) from None
    return {"contact_team": team, "contact_phone": phone, "contact_email": email}


@transaction.atomic
def organisation_create_or_update(
    *, kind: str, code: str, name: str, contact: dict[str, str] | None = None
) -> tuple[Organisation, bool]:
    """Create or update the organisation with this `code` (idempotent)."""
    if kind not in OrganisationKind.values:
        raise ValidationError(
            {"kind": f"Unknown kind {kind!r}. Kinds: {', '.join(OrganisationKind.values)}."}
        )
    organisation = Organisation.objects.select_for_update().filter(code=code).first()
    created = organisation is None
    if created:
        group, _ = Group.objects.get_or_create(name=f"org:{code}")
        organisation = Organisation(code=code, group=group)
    elif organisation.kind != kind and organisation.members.exists():
        raise ValidationError(
            {"kind": "This organisation has members: its kind cannot change under them."}
        )
    organisation.kind = kind
    organisation.name = name
    for field, value in (contact or {}).items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save()
    return organisation, created


def role_group(role: str) -> Group:
    group, _ = Group.objects.get_or_create(name=role)
    return group


@transaction.atomic
def user_create_or_update(
    *,
    email: str,
    organisation: Organisation,
    roles: list[str],
    password: str | None = None,
    full_name: str = "",
) -> tuple[User, bool]:
    """Create or update a user; a role that does not fit the organisation's kind is refused."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not a valid email address."}) from None
    if not roles:
        raise ValidationError({"role": "Give at least one role."})
    try:
        validate_roles_fit(organisation, roles)
    except ValidationError as error:
        raise ValidationError({"role": error.messages}) from None
    user = User.objects.select_for_update().filter(email=email).first()
    created = user is None
    if created:
        user = User(email=email)
    user.organisation = organisation
    if full_name:
        user.full_name = full_name
    user.is_staff = Role.ADMINISTRATOR in roles
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    user.groups.set([organisation.group, *(role_group(role) for role in roles)])
    return user, created


def token_issue(*, user: User) -> tuple[str, ApiToken]:
    """A new API token for `user`; the key is returned once and only its hash is kept."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    return key, token


def login_is_locked(email: str) -> bool:
    """True after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    failures = LoginFailure.objects.filter(email=email.strip().lower(), at__gte=since).count()
    return failures >= settings.LOGIN_FAILURE_LIMIT


def login_failure_record(email: str, ip_address: str | None) -> None:
    LoginFailure.objects.create(email=email.strip().lower()[:254], ip_address=ip_address)


def login_failures_clear(email: str) -> None:
    LoginFailure.objects.filter(email=email.strip().lower()).delete()


# --- Two-factor authentication (TOTP, django-otp) ------------------------------------------


TWO_FACTOR_NAME = "authenticator app"


def two_factor_device(user: User):
    """The user's confirmed authenticator-app device, or None if the account has no second
    factor."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def two_factor_enable(*, user: User):
    """Give the account a new authenticator-app secret (replacing any earlier one). Its
    `config_url` (an otpauth:// address) is what the user's app takes, once."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TWO_FACTOR_NAME, confirmed=True)


@transaction.atomic
def two_factor_disable(*, user: User) -> bool:
    """Remove the account's second factor; True if it had one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return bool(deleted)


# --- Signing in (the sign-in page and the token endpoint) ----------------------------------


# Said the same way on the sign-in page and by the token endpoint.
LOCKED_MESSAGE = (
    "Too many failed attempts. This account is locked for "
    f"{settings.LOGIN_LOCKOUT_MINUTES} minutes: try again later or ask your administrator."
)


class SignInRefused(Exception):
    """Why a sign-in was refused. `code`: `locked`, `invalid_login`, `otp_needed` or
    `otp_wrong`; `field`: the input it concerns (`otp`), or None for the credentials as a
    whole (which one was wrong is never said)."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


def sign_in_check(*, request, email: str, password: str, otp: str | None) -> User:
    """The user these credentials sign in, or `SignInRefused`. An account is locked after
    LOGIN_FAILURE_LIMIT failures (a wrong password or a wrong second-factor code) within
    LOGIN_LOCKOUT_MINUTES; a success clears its failures."""
    email = email.strip().lower()
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    if login_is_locked(email):
        raise SignInRefused("locked")
    user = authenticate(request, email=email, password=password)
    if user is None:
        login_failure_record(email, address)
        raise SignInRefused("invalid_login")
    device = two_factor_device(user)
    if device is not None:
        code = (otp or "").replace(" ", "")
        if not code:
            raise SignInRefused("otp_needed", field="otp")
        # A device refuses codes for a growing delay after each wrong one (django-otp).
        if not device.verify_token(code):
            login_failure_record(email, address)
            raise SignInRefused("otp_wrong", field="otp")
    login_failures_clear(email)
    return user
