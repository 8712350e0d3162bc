import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AccessEvent, ApiToken, LoginFailure, Organisation, User
from accounts.services import (
    password_set,
    token_issue,
    user_create,
    user_create_or_update,
    user_update,
)
from core.errors import ConflictError
from tests.factories import PASSWORD, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_create_organisation_is_idempotent_on_code(capsys):
    args = ["--kind", "police_force", "--code", "eastshire", "--name", "Eastshire Police"]
    call_command(
        "create_organisation", *args, "--contact", "Protocol desk; 01632 960001; p@e.example"
    )
    call_command("create_organisation", *args[:-1], "Eastshire Constabulary")
    organisation = Organisation.objects.get(code="eastshire")
    assert Organisation.objects.filter(code="eastshire").count() == 1
    assert organisation.name == "Eastshire Constabulary"
    assert organisation.contact == {
        "team": "Protocol desk",
        "phone": "01632 960001",
        "email": "p@e.example",
    }
    assert "Updated" in capsys.readouterr().out


def test_create_organisation_refuses_a_malformed_contact():
    with pytest.raises(CommandError, match="TEAM; PHONE; EMAIL"):
        call_command(
            "create_organisation",
            "--kind",
            "oversight",
            "--code",
            "x",
            "--name",
            "X",
            "--contact",
            "just a team",
        )
    assert not Organisation.objects.filter(code="x").exists()


def test_create_user_refuses_a_role_that_does_not_fit_the_organisation(force):
    with pytest.raises(CommandError, match="does not fit"):
        call_command(
            "create_user",
            "--email",
            "x@y.example",
            "--organisation",
            force.code,
            "--role",
            "ie_caseworker",
        )
    assert not User.objects.filter(email="x@y.example").exists()


def test_create_user_without_password_prints_a_one_time_setup_link(force, client, capsys):
    call_command(
        "create_user",
        "--email",
        "New.Officer@Northshire.example",
        "--organisation",
        force.code,
        "--role",
        "police_officer",
        "--role",
        "police_supervisor",
    )
    user = User.objects.get(email="new.officer@northshire.example")
    assert user.roles == {"police_officer", "police_supervisor"}
    assert not user.has_usable_password()
    link = capsys.readouterr().out.split("One-time set-up link: ")[1].strip()
    path = link.removeprefix("http://127.0.0.1:8000")
    page = client.get(path, follow=True)
    assert page.status_code == 200
    assert "Set your password" in page.content.decode()


def test_create_user_with_password_can_sign_in(force, client):
    call_command(
        "create_user",
        "--email",
        "pw@northshire.example",
        "--organisation",
        force.code,
        "--role",
        "police_officer",
        "--password",
        PASSWORD,
    )
    response = client.post(
        "/accounts/login", {"username": "pw@northshire.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_user_roles_must_fit_on_update_too(force, ie_unit):
    user, _ = user_create_or_update(
        email="a@northshire.example", organisation=force, roles=["police_officer"]
    )
    with pytest.raises(ValidationError):
        user_create_or_update(email=user.email, organisation=ie_unit, roles=["police_officer"])
    user.refresh_from_db()
    assert user.organisation == force


def test_sign_in_locks_out_after_repeated_failures(officer, client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        page = client.post("/accounts/login", {"username": officer.email, "password": "wrong"})
        assert "Enter a correct email address and password" in page.content.decode()
    page = client.post("/accounts/login", {"username": officer.email, "password": PASSWORD})
    assert page.status_code == 200
    assert "Too many failed attempts" in page.content.decode()


def test_sign_in_page_names_the_missing_fields(client, db):
    page = client.post("/accounts/login", {"username": "", "password": ""})
    body = page.content.decode()
    assert page.status_code == 200
    assert "There is a problem" in body
    assert "Enter your email address" in body
    assert "Enter your password" in body


def test_organisation_kind_must_be_known():
    with pytest.raises(ValidationError):
        OrganisationFactory(kind="church")


# --- Lockout by account and address, and sign-in events ----------------------------------------

HOME = "198.51.100.10"  # the account's own user
ATTACKER = "203.0.113.66"


def page_sign_in(address: str, email: str, password: str):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login", {"username": email, "password": password})
    return response, client


def token_sign_in(address: str, email: str, password: str):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token", {"email": email, "password": password}, format="json"
    )


def test_failures_from_one_address_lock_the_account_there_but_not_for_its_user(officer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        page_sign_in(ATTACKER, officer.email, "wrong")
    locked, client = page_sign_in(ATTACKER, officer.email, PASSWORD)
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    response, client = page_sign_in(HOME, officer.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_the_token_endpoint_locks_by_account_and_address_too(officer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "1000/min", "hold_check": "1000/min"},
    }
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert token_sign_in(ATTACKER, officer.email, "wrong").status_code == 400
    locked = token_sign_in(ATTACKER, officer.email, PASSWORD)
    assert locked.status_code == 400 and "locked" in locked.json()["non_field_errors"][0]
    assert token_sign_in(HOME, officer.email, PASSWORD).status_code == 200
    # Failures on the token endpoint and the sign-in page count together.
    page, _ = page_sign_in(ATTACKER, officer.email, PASSWORD)
    assert "Too many failed attempts" in page.content.decode()


def test_an_address_failing_across_many_accounts_is_locked_for_every_account(
    officer, adviser, caseworker, settings
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for number in range(6):  # never more than two failures for any one account
        page_sign_in(ATTACKER, f"guess{number % 3}@northshire.example", "wrong")
    for user in (officer, adviser, caseworker):  # even with the right password
        response, client = page_sign_in(ATTACKER, user.email, PASSWORD)
        assert "Too many failed attempts" in response.content.decode(), user.email
        assert "_auth_user_id" not in client.session
    assert token_sign_in(ATTACKER, adviser.email, PASSWORD).status_code == 400
    assert page_sign_in(HOME, officer.email, PASSWORD)[0].status_code == 302
    lockouts = AccessEvent.objects.filter(action="lockout")
    assert [event.detail.split(";")[0] for event in lockouts] == ["address locked for 15 minutes"]


def test_failures_spread_over_many_addresses_lock_the_account_from_every_address(officer, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 8
    for number in range(8):  # one failure from each address: no address lock, no pair lock
        page_sign_in(f"198.51.100.{number + 1}", officer.email, "wrong")
    for address in (ATTACKER, HOME):  # even for its own user, with the right password
        response, client = page_sign_in(address, officer.email, PASSWORD)
        assert "Too many failed attempts" in response.content.decode(), address
        assert "_auth_user_id" not in client.session
    lockouts = AccessEvent.objects.filter(action="lockout")
    assert [event.detail.split(";")[0] for event in lockouts] == [
        "account from every address locked for 15 minutes"
    ]


def test_ipv6_addresses_of_one_64_network_count_as_one_address(officer, settings):
    for number in range(settings.LOGIN_FAILURE_LIMIT):  # a new address in the /64 each time
        page_sign_in(f"2001:db8:5:7::{number + 1:x}", officer.email, "wrong")
    locked, client = page_sign_in("2001:db8:5:7:ffff::9", officer.email, PASSWORD)
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The next /64 along is another subscriber.
    response, client = page_sign_in("2001:db8:5:8::1", officer.email, PASSWORD)
    assert response.status_code == 302
    assert set(LoginFailure.objects.values_list("ip_address", flat=True)) == {"2001:db8:5:7::"}


def test_a_success_clears_the_accounts_failures_at_its_address_but_keeps_them_on_record(
    officer, settings
):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        page_sign_in(HOME, officer.email, "wrong")
    assert page_sign_in(HOME, officer.email, PASSWORD)[0].status_code == 302
    page_sign_in(HOME, officer.email, "wrong")
    # One failure since the last success: not locked.
    assert page_sign_in(HOME, officer.email, PASSWORD)[0].status_code == 302
    failures = LoginFailure.objects.filter(email=officer.email)
    assert failures.count() == settings.LOGIN_FAILURE_LIMIT
    assert not failures.filter(cleared=False).exists()
    refused = AccessEvent.objects.filter(action="sign_in", outcome="denied")
    assert refused.count() == settings.LOGIN_FAILURE_LIMIT
    assert {event.object_id for event in refused} == {str(officer.pk)}
    assert all(f"address {HOME}" in event.detail for event in refused)
    allowed = AccessEvent.objects.filter(action="sign_in", outcome="allowed", actor=officer)
    assert allowed.count() == 2


def test_sign_ins_failures_lockouts_and_sign_outs_are_access_events(officer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        page_sign_in(ATTACKER, officer.email, "wrong")
    page_sign_in(ATTACKER, officer.email, PASSWORD)
    page_sign_in(ATTACKER, "nobody@nowhere.example", "wrong")
    _, client = page_sign_in(HOME, officer.email, PASSWORD)
    client.post("/accounts/logout")
    events = [
        (event.action, event.outcome, event.detail.split(";")[0])
        for event in AccessEvent.objects.order_by("id")
    ]
    limit = settings.LOGIN_FAILURE_LIMIT
    assert events == [
        *[("sign_in", "denied", "wrong email or password")] * limit,
        ("lockout", "denied", "account for this address locked for 15 minutes"),
        ("sign_in", "denied", "locked"),
        ("sign_in", "denied", "wrong email or password"),
        ("sign_in", "allowed", f"address {HOME}"),
        ("sign_out", "allowed", f"address {HOME}"),
    ]
    unknown = AccessEvent.objects.filter(detail__contains="nobody@nowhere.example").get()
    assert unknown.object_id == "" and unknown.actor is None


def test_a_forwarded_for_header_is_not_believed_without_proxies(officer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=HOME).post(
            "/accounts/login", {"username": officer.email, "password": "wrong"}
        )
    assert LoginFailure.objects.filter(ip_address=ATTACKER).count() == settings.LOGIN_FAILURE_LIMIT
    assert page_sign_in(HOME, officer.email, PASSWORD)[0].status_code == 302


# --- Tokens end with the password or the account ----------------------------------------------


def token_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/cases").status_code


def test_every_token_ends_when_the_password_changes(officer, administrator):
    keys = [token_issue(user=officer)[0] for _ in range(2)]
    other_key = token_issue(user=administrator)[0]
    assert [token_status(key) for key in keys] == [200, 200]
    password_set(user=officer, password="another long passphrase")
    assert [token_status(key) for key in keys] == [401, 401]
    assert token_status(other_key) == 403  # someone else's token is untouched
    event = AccessEvent.objects.get(action="password_change")
    assert (event.actor, event.object_id) == (officer, str(officer.pk))


def test_every_token_ends_when_the_account_is_deactivated(officer, administrator):
    key = token_issue(user=officer)[0]
    user_update(by=administrator, account=officer, is_active=False)
    assert token_status(key) == 401
    assert not ApiToken.objects.filter(user=officer).exists()
    user_update(by=administrator, account=officer, is_active=True)
    assert token_status(key) == 401  # reactivation does not bring the old token back


def test_the_operators_command_ends_tokens_when_it_sets_a_new_password(officer):
    key = token_issue(user=officer)[0]
    user_create_or_update(
        email=officer.email,
        organisation=officer.organisation,
        roles=["police_officer"],
        password="an operator's new passphrase",
    )
    assert token_status(key) == 401


# --- Account management rules ------------------------------------------------------------------


def test_nobody_changes_their_own_roles_organisation_or_access(administrator):
    for change in ({"roles": ["administrator", "auditor"]}, {"is_active": False}):
        with pytest.raises(PermissionDenied):
            user_update(by=administrator, account=administrator, **change)
    administrator = User.objects.get(pk=administrator.pk)
    assert administrator.roles == {"administrator"} and administrator.is_active
    assert not AccessEvent.objects.filter(action="role_change").exists()


def test_roles_given_by_an_administrator_must_fit_the_organisation(officer, administrator):
    with pytest.raises(ValidationError) as refused:
        user_update(by=administrator, account=officer, roles=["auditor"])
    assert "roles" in refused.value.message_dict
    assert User.objects.get(pk=officer.pk).roles == {"police_officer"}


def test_a_new_account_is_emailed_its_link_and_nothing_is_kept_if_mail_fails(
    administrator, force, mailoutbox, settings
):
    account = user_create(
        by=administrator,
        email="Fresh@Northshire.example",
        organisation=force,
        roles=["police_officer"],
        base_url="https://casework.example",
    )
    assert not account.has_usable_password()
    assert mailoutbox[0].to == ["fresh@northshire.example"]
    assert "https://casework.example/accounts/set-password/" in mailoutbox[0].body
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(ConflictError):
        user_create(
            by=administrator,
            email="unsent@northshire.example",
            organisation=force,
            roles=["police_officer"],
            base_url="https://casework.example",
        )
    assert not User.objects.filter(email="unsent@northshire.example").exists()


# --- The admin site ----------------------------------------------------------------------------


def test_the_admin_site_answers_403_to_signed_in_users_who_are_not_operators(
    officer, administrator
):
    for user in (officer, administrator):
        client = Client()
        client.force_login(user)
        response = client.get("/admin/", follow=True)
        assert response.status_code == 403, user.email
        assert len(response.redirect_chain) <= 1
        assert "You cannot use this page" in response.content.decode()


def test_operators_see_accounts_read_only_in_the_admin_site(officer):
    operator = User.objects.create_superuser("ops@casework.example", PASSWORD)
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/accounts/user/{officer.pk}/change/").status_code == 200
    assert client.get(f"/admin/accounts/user/{officer.pk}/password/").status_code == 403
    assert client.get("/admin/accounts/user/add/").status_code == 403


def test_failures_older_than_a_day_are_tidied_away_but_stay_in_the_access_log(officer):
    import datetime as dt

    from django.utils import timezone

    LoginFailure.objects.create(
        email=officer.email, ip_address=HOME, at=timezone.now() - dt.timedelta(days=2)
    )
    page_sign_in(HOME, officer.email, "wrong")
    assert list(LoginFailure.objects.values_list("ip_address", flat=True)) == [HOME]
    assert AccessEvent.objects.filter(action="sign_in", outcome="denied").count() == 1


@pytest.mark.django_db(transaction=True)
def test_attempts_sent_at_once_cannot_all_pass_the_lockout_check(settings):
    """Without one attempt at a time per account and address, each of these would read the
    count before any failure was written, and every one would get to try a password."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.factories import UserFactory

    settings.LOGIN_FAILURE_LIMIT = 3
    officer = UserFactory(email="busy@northshire.example")

    def attempt(_):
        try:
            return page_sign_in(ATTACKER, officer.email, "wrong")[0].status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(attempt, range(8))) == {200}
    assert LoginFailure.objects.count() == 3
    refusals = AccessEvent.objects.filter(action="sign_in", outcome="denied")
    assert sorted(event.detail.split(";")[0] for event in refusals) == [
        *["locked"] * 5,
        *["wrong email or password"] * 3,
    ]
