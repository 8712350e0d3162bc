"""Writes for organisations, users, tokens and sign-in failures. One transaction each.

Administrators manage accounts through `user_create`, `user_update` and `set_up_link_send`
(the pages and the API both call them): they never set a password (the user sets their own
through a one-time link sent to their email address), nobody changes their own roles,
organisation or active state, and role changes are access events. A user's API tokens end
when their password changes (`password_set`) or the account is deactivated.

Signing in (the sign-in page and the token endpoint) goes through `sign_in_check` and
`sign_in_complete`, which record every sign-in, failure and lockout in the access log and lock
an account out only for the address that failed, and an address that fails too often
whatever the accounts (docs/adr/0006-accounts-and-sign-in.md).
"""

import ipaddress
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.settings import api_settings

from core.errors import ConflictError
from core.roles import OrganisationKind

from .audit import record_access
from .models import AccessEvent, ApiToken, LoginFailure, Organisation, User, validate_roles_fit


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
    if organisation is None:
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
    """Create or update a user; a role that does not fit the organisation's kind is refused.

    For operators (`create_user`, the demo data and the tests), who may give a password;
    administrators use `user_create` and `user_update`."""
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
    if user is None:
        user = User(email=email)
    user.organisation = organisation
    if full_name:
        user.full_name = full_name
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    user.groups.set([organisation.group, *(role_group(role) for role in roles)])
    if password and not created:
        tokens_revoke(user=user)
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


def tokens_revoke(*, user: User) -> int:
    """End every API token of `user` (their password changed, or they were deactivated)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


# --- Administrators' account management ----------------------------------------------------


def _roles_text(roles) -> str:
    return ",".join(sorted(roles)) or "(none)"


def _valid_roles(organisation: Organisation | None, roles: list[str]) -> list[str]:
    if not roles:
        raise ValidationError({"roles": "Choose at least one role."})
    try:
        validate_roles_fit(organisation, roles)
    except ValidationError as error:
        raise ValidationError({"roles": error.messages}) from None
    return sorted(set(roles))


def set_up_link(user: User, base_url: str) -> str:
    """The one-time link with which `user` sets their own password (Django's password-reset
    token: it stops working once the password changes, or after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_set", kwargs={"uidb64": uid, "token": token})
    return f"{base_url.rstrip('/')}{path}"


def site_url(request) -> str:
    """Where links in e-mails point: SITE_URL (always set in production, see
    config/settings/production.py), or on a developer's machine the address being used."""
    return settings.SITE_URL or request.build_absolute_uri("/")


def _email_set_up_link(account: User, base_url: str) -> None:
    """Send the set-up link, or `ConflictError` when the mail server refuses. Called before
    any access event of the same change is written, so that no mail server's delay is spent
    holding the access log's chain lock."""
    if not account.is_active:
        raise ConflictError("This account is deactivated: reactivate it before sending a link.")
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    body = (
        f"An account has been set up for you on {settings.SERVICE_NAME}.\n\n"
        f"Set your password with this link (it works once, for {days} day"
        f"{'s' if days != 1 else ''}):\n\n{set_up_link(account, base_url)}\n\n"
        "If you did not expect this email, tell your organisation's administrator."
    )
    try:
        send_mail(f"Set your password for {settings.SERVICE_NAME}", body, None, [account.email])
    except (OSError, smtplib.SMTPException):
        raise ConflictError(
            "The email could not be sent: nothing was changed. Try again later."
        ) from None


def set_up_link_send(*, account: User, base_url: str) -> None:
    """Email `account` a one-time link to set their own password (an administrator never sets
    or sees it). Refused for a deactivated account; a mail server's refusal is a
    `ConflictError`. The caller records it, inside `core.permissions.audited` (detail
    `SET_UP_LINK_SENT`), so that a refusal or a hidden account is recorded as such."""
    _email_set_up_link(account, base_url)


SET_UP_LINK_SENT = "set-up link sent"


@transaction.atomic
def user_create(
    *,
    by: User,
    email: str,
    organisation: Organisation,
    roles: list[str],
    full_name: str = "",
    base_url: str,
    request=None,
) -> User:
    """Create an account without a password and email its user a set-up link. An email
    address already in use, or a role that does not fit the organisation, is refused."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not a valid email address."}) from None
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "An account with this email address already exists."})
    roles = _valid_roles(organisation, roles)
    account = User.objects.create_user(
        email, password=None, organisation=organisation, full_name=full_name.strip()
    )
    account.groups.set([organisation.group, *(role_group(role) for role in roles)])
    _email_set_up_link(account, base_url)
    record_access(
        user=by,
        action=AccessEvent.Action.ROLE_CHANGE,
        object_type="user",
        object_id=account.pk,
        request=request,
        detail=f"new account: roles {_roles_text(roles)} at {organisation.code}; "
        f"{SET_UP_LINK_SENT}",
    )
    return account


@transaction.atomic
def user_update(
    *,
    by: User,
    account: User,
    organisation: Organisation | None = None,
    roles: list[str] | None = None,
    full_name: str | None = None,
    is_active: bool | None = None,
    request=None,
) -> User:
    """Change an account's organisation, roles, name or active state (what is None stays).

    Nobody changes their own roles, organisation or active state (`PermissionDenied`): an
    administrator cannot make themself an auditor or a case worker. A change of roles or
    organisation is a `role_change` access event; deactivation ends the account's API tokens
    (and its sessions, which Django refuses for inactive users)."""
    account = (
        User.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=account.pk)
    )
    old_roles = sorted(account.roles)
    old_organisation = account.organisation
    new_organisation = organisation or old_organisation
    new_roles = sorted(set(roles)) if roles is not None else old_roles
    access_changes = new_roles != old_roles or new_organisation != old_organisation
    activity_changes = is_active is not None and is_active != account.is_active
    if account.pk == by.pk and (access_changes or activity_changes):
        raise PermissionDenied(
            "You cannot change your own roles, organisation or access: ask another administrator."
        )
    if access_changes:
        if new_organisation is None:
            raise ValidationError({"organisation": "Choose the account's organisation."})
        new_roles = _valid_roles(new_organisation, new_roles)
    account.organisation = new_organisation
    if full_name is not None:
        account.full_name = full_name.strip()
    if is_active is not None:
        account.is_active = is_active
    account.save()
    if access_changes:
        assert new_organisation is not None  # refused above
        account.groups.set([new_organisation.group, *(role_group(role) for role in new_roles)])
        moved = (
            f"; organisation {old_organisation.code if old_organisation else '(none)'}"
            f" -> {new_organisation.code}"
            if new_organisation != old_organisation
            else ""
        )
        record_access(
            user=by,
            action=AccessEvent.Action.ROLE_CHANGE,
            object_type="user",
            object_id=account.pk,
            request=request,
            detail=f"roles {_roles_text(old_roles)} -> {_roles_text(new_roles)}{moved}",
        )
    if activity_changes:
        if not account.is_active:
            tokens_revoke(user=account)
        record_access(
            user=by,
            action=AccessEvent.Action.CHANGE,
            object_type="user",
            object_id=account.pk,
            request=request,
            detail="activated" if account.is_active else "deactivated; API tokens ended",
        )
    if hasattr(account, "_roles"):
        del account._roles
    return account


@transaction.atomic
def password_set(*, user: User, password: str, request=None) -> User:
    """Set `user`'s own password (through their one-time link): every API token they hold
    ends, and the change is an access event. Validate the password before calling."""
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = tokens_revoke(user=user)
    record_access(
        user=user,
        action=AccessEvent.Action.PASSWORD_CHANGE,
        object_type="user",
        object_id=user.pk,
        request=request,
        detail=f"password set; {ended} API token{'s' if ended != 1 else ''} ended",
    )
    return user


# --- Two-factor authentication (TOTP, django-otp) ------------------------------------------


TWO_FACTOR_NAME = "authenticator app"


def two_factor_device(user: User):
    """The user's confirmed authenticator-app device, or None if the account has no second
    factor."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def two_factor_enable(*, user: User):
    """Give the account a new authenticator-app secret (replacing any earlier one). Its
    `config_url` (an otpauth:// address) is what the user's app takes, once."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TWO_FACTOR_NAME, confirmed=True)


@transaction.atomic
def two_factor_disable(*, user: User) -> bool:
    """Remove the account's second factor; True if it had one."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    return bool(deleted)


# --- Signing in (the sign-in page and the token endpoint) ----------------------------------


# Said the same way on the sign-in page and by the token endpoint.
LOCKED_MESSAGE = (
    "Too many failed attempts. Signing in to this account from here is locked for "
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


def client_address(request) -> str | None:
    """The caller's address, as the API's throttles see it: the connection's own, or with
    NUM_PROXIES proxies in front the address the nearest of them saw (a header the caller
    wrote itself is never believed). None when there is no request or no valid address."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = api_settings.NUM_PROXIES or 0
    address = remote
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        address = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


def lockout_address(address: str | None) -> str | None:
    """The address a failure counts against: an IPv4 address itself (an IPv4-mapped IPv6
    address as its IPv4 address), an IPv6 address as its /64 network, written as the network's
    first address, since one subscriber is usually given a whole /64 and could otherwise
    rotate through it to escape the address lockout."""
    if address is None:
        return None
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def _failure_counts(email: str, address: str | None) -> tuple[int, int, int]:
    """Recent failures (within LOGIN_LOCKOUT_MINUTES): from `address` whatever the accounts,
    of `email` from `address` since its last success there, and of `email` from anywhere
    (each address's failures counting since the account's last success from it)."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    recent = LoginFailure.objects.filter(at__gte=since)
    address = lockout_address(address)
    from_address = recent.filter(ip_address=address)
    counts = from_address.aggregate(
        every=models.Count("pk"),
        account=models.Count("pk", filter=models.Q(email=email, cleared=False)),
    )
    everywhere = recent.filter(email=email, cleared=False).count()
    return (counts["every"] if address is not None else 0), counts["account"], everywhere


def login_lock(email: str, address: str | None) -> str | None:
    """Why signing in to `email` from `address` is locked, or None, within
    LOGIN_LOCKOUT_MINUTES: `"address"` after LOGIN_ADDRESS_FAILURE_LIMIT failures from the
    address (whatever the accounts); `"account"` after LOGIN_FAILURE_LIMIT failures for this
    account from this address since its last success there; `"account everywhere"` after
    LOGIN_ACCOUNT_FAILURE_LIMIT failures for this account from all addresses together, so
    that guesses spread over many addresses are capped too. A few failures from elsewhere
    never lock an account for its own user's address; only that many, which is an attack on
    the account, does, for the lockout's minutes, and it is an access event."""
    from_address, for_account, everywhere = _failure_counts(email, address)
    if from_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        return "address"
    if for_account >= settings.LOGIN_FAILURE_LIMIT:
        return "account"
    if everywhere >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
        return "account everywhere"
    return None


def _sign_in_refused(*, request, email: str, address, via: str, why: str) -> None:
    """Record a refused sign-in, in its own transaction (a refusal is never rolled back), and
    when it is the failure that locks, the lockout."""
    account_id = User.objects.filter(email=email).values_list("pk", flat=True).first()
    where = f"email {email}; address {address or 'unknown'}; via {via}"

    def record(action: str, detail: str) -> None:
        record_access(
            user=None,
            action=action,
            object_type="user",
            object_id=account_id or "",
            outcome=AccessEvent.Outcome.DENIED,
            request=request,
            detail=detail,
        )

    with transaction.atomic():
        record(AccessEvent.Action.SIGN_IN, f"{why}; {where}")
        if why == "locked":
            return
        LoginFailure.objects.create(email=email[:254], ip_address=lockout_address(address))
        # Failures older than a day count for nothing (the access log keeps them).
        LoginFailure.objects.filter(at__lt=timezone.now() - timedelta(days=1)).delete()
        from_address, for_account, everywhere = _failure_counts(email, address)
        locked = None
        if from_address == settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            locked = "address"
        elif for_account == settings.LOGIN_FAILURE_LIMIT:
            locked = "account for this address"
        elif everywhere == settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
            locked = "account from every address"
        if locked:
            minutes = settings.LOGIN_LOCKOUT_MINUTES
            record(AccessEvent.Action.LOCKOUT, f"{locked} locked for {minutes} minutes; {where}")


# One attempt at a time for an account, so that attempts sent at the same instant (from one
# address or many) cannot all pass the lockout check before any of their failures is written.
_ONE_ATTEMPT_AT_A_TIME = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"


def sign_in_check(*, request, email: str, password: str, otp: str | None, via: str) -> User:
    """The user these credentials sign in, or `SignInRefused`. Every refusal is an access
    event; a wrong password or second-factor code counts towards the lockout (`login_lock`).
    `via` says where: `"page"` or `"api_token"`. Call `sign_in_complete` once signed in."""
    email = email.strip().lower()
    address = client_address(request)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_ONE_ATTEMPT_AT_A_TIME, [f"sign-in:{email}"])
        user, refusal = _sign_in_attempt(
            request=request, email=email, address=address, password=password, otp=otp, via=via
        )
    # Raised after the transaction commits: the refusal's events and failure are kept.
    if refusal is not None:
        raise refusal
    return user


def _sign_in_attempt(*, request, email, address, password, otp, via):
    def refuse(why: str, code: str, field: str | None = None):
        if why:
            _sign_in_refused(request=request, email=email, address=address, via=via, why=why)
        return None, SignInRefused(code, field=field)

    if login_lock(email, address):
        return refuse("locked", "locked")
    user = authenticate(request, email=email, password=password)
    if user is None:
        return refuse("wrong email or password", "invalid_login")
    device = two_factor_device(user)
    if device is not None:
        code = (otp or "").replace(" ", "")
        if not code:
            return refuse("", "otp_needed", field="otp")
        # A device refuses codes for a growing delay after each wrong one (django-otp).
        if not device.verify_token(code):
            return refuse("wrong security code", "otp_wrong", field="otp")
    return user, None


def sign_in_complete(*, user: User, request, via: str, object_id="") -> None:
    """Record a sign-in (inside the caller's transaction, with the session or token it
    started) and clear this account's failures from this address: they stop counting
    against the account there, but still count against the address and stay in the log."""
    address = client_address(request)
    LoginFailure.objects.filter(
        email=user.email, ip_address=lockout_address(address), cleared=False
    ).update(cleared=True)
    record_access(
        user=user,
        action=AccessEvent.Action.SIGN_IN,
        object_type="api_token" if via == "api_token" else "session",
        object_id=object_id,
        request=request,
        detail=f"address {address or 'unknown'}; via {via}",
    )


def sign_out_record(*, user: User, request) -> None:
    """Record a sign-out from the pages."""
    record_access(
        user=user,
        action=AccessEvent.Action.SIGN_OUT,
        object_type="session",
        request=request,
        detail=f"address {client_address(request) or 'unknown'}",
    )
