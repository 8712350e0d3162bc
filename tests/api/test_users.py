"""Administrators' user management through the API: no passwords set by anyone but the user,
set-up links by email, real deactivation, no changes to one's own roles, and tokens that end
when a password changes or an account is deactivated."""

import re

from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import AccessEvent, ApiToken, User
from tests.factories import PASSWORD

NEW_PASSWORD = "a fresh and long passphrase"


def link_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/set-password/\S+)", message.body).group(1)


def token_works(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/organisations").status_code


def test_a_new_account_gets_a_set_up_link_by_email_and_no_password(w, mailoutbox, client):
    response = w.client("administrator").post(
        "/api/v1/users",
        {
            "email": "new.adviser@haven.example",
            "organisation": "haven",
            "roles": ["support_adviser"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    account = User.objects.get(email="new.adviser@haven.example")
    assert not account.has_usable_password()
    assert [message.to for message in mailoutbox] == [["new.adviser@haven.example"]]
    page = client.get(link_path(mailoutbox[0]), follow=True)
    assert "Set your password" in page.content.decode()
    form = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    done = client.post(page.redirect_chain[-1][0], form)
    assert done.status_code == 302
    signed_in = APIClient().post(
        "/api/v1/auth/token",
        {"email": "new.adviser@haven.example", "password": NEW_PASSWORD},
        format="json",
    )
    assert signed_in.status_code == 200
    granted = AccessEvent.objects.get(action="role_change", object_id=str(account.pk))
    assert granted.actor == w.users["administrator"]
    assert "support_adviser" in granted.detail


def test_administrators_cannot_set_a_password(w):
    client = w.client("administrator")
    officer = w.users["police_officer"]
    created = client.post(
        "/api/v1/users",
        {
            "email": "x@northshire.example",
            "organisation": "northshire",
            "roles": ["police_officer"],
            "password": "a long enough passphrase",
        },
        format="json",
    )
    assert created.status_code == 400 and "password" in created.json()
    assert not User.objects.filter(email="x@northshire.example").exists()
    changed = client.patch(
        f"/api/v1/users/{officer.pk}", {"password": "a long enough passphrase"}, format="json"
    )
    assert changed.status_code == 400 and "password" in changed.json()
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_a_set_up_link_goes_to_the_account_never_to_the_administrator(w, mailoutbox):
    officer = w.users["police_officer"]
    response = w.client("administrator").post(f"/api/v1/users/{officer.pk}/set-up-link")
    assert response.status_code == 202, response.json()
    assert [message.to for message in mailoutbox] == [[officer.email]]
    assert "set-password" not in response.content.decode()
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)  # the old password works until the link is used


class ChainLockSpy(EmailBackend):
    """Delivers as the test backend does, noting whether the sending transaction then holds
    the access log's chain lock (a row lock on a chain head)."""

    held: list[bool] = []

    def send_messages(self, messages):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
                "AND relation = 'accounts_auditchainhead'::regclass"
            )
            ChainLockSpy.held.append(cursor.fetchone()[0] > 0)
        return super().send_messages(messages)


# Each test makes one request: the test's own transaction keeps any lock to its end.
def test_a_new_set_up_link_is_mailed_before_the_access_log_is_locked_and_recorded_once(
    w, mailoutbox, settings
):
    settings.EMAIL_BACKEND = "tests.api.test_users.ChainLockSpy"
    ChainLockSpy.held = []
    officer = w.users["police_officer"]
    before = AccessEvent.objects.filter(object_id=str(officer.pk)).count()
    response = w.client("administrator").post(f"/api/v1/users/{officer.pk}/set-up-link")
    assert response.status_code == 202
    assert ChainLockSpy.held == [False]
    sent = AccessEvent.objects.filter(object_id=str(officer.pk)).order_by("at")[before:]
    assert [(event.action, event.detail) for event in sent] == [("change", "set-up link sent")]


def test_a_new_accounts_link_is_mailed_before_the_access_log_is_locked(w, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.api.test_users.ChainLockSpy"
    ChainLockSpy.held = []
    created = w.client("administrator").post(
        "/api/v1/users",
        {
            "email": "new.officer@northshire.example",
            "organisation": w.users["police_officer"].organisation.code,
            "roles": ["police_officer"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert ChainLockSpy.held == [False]


def test_deactivation_really_deactivates_and_ends_the_accounts_tokens(w):
    analyst = w.users["analyst"]
    key = w.tokens["analyst"]
    assert token_works(key) == 403  # signed in; analysts may not list organisations
    response = w.client("administrator").patch(
        f"/api/v1/users/{analyst.pk}", {"is_active": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["is_active"] is False
    analyst.refresh_from_db()
    assert analyst.is_active is False
    assert token_works(key) == 401
    assert not ApiToken.objects.filter(user=analyst).exists()
    assert AccessEvent.objects.filter(
        action="change", object_id=str(analyst.pk), detail__startswith="deactivated"
    ).exists()
    refused = APIClient().post(
        "/api/v1/auth/token", {"email": analyst.email, "password": PASSWORD}, format="json"
    )
    assert refused.status_code == 400
    back = w.client("administrator").patch(
        f"/api/v1/users/{analyst.pk}", {"is_active": True}, format="json"
    )
    assert back.json()["is_active"] is True


def test_is_active_must_be_a_boolean(w):
    response = w.client("administrator").patch(
        f"/api/v1/users/{w.users['analyst'].pk}", {"is_active": "no"}, format="json"
    )
    assert response.status_code == 400 and "is_active" in response.json()


def test_nobody_changes_their_own_roles_or_access(w):
    admin = w.users["administrator"]
    client = w.client("administrator")
    for change in (
        {"roles": ["administrator", "auditor"]},
        {"roles": ["auditor"]},
        {"is_active": False},
        {"organisation": "oversight", "roles": ["administrator", "analyst"]},
    ):
        response = client.patch(f"/api/v1/users/{admin.pk}", change, format="json")
        assert response.status_code == 403, (change, response.json())
    admin = User.objects.get(pk=admin.pk)
    assert admin.roles == {"administrator"} and admin.is_active
    assert client.get("/api/v1/audit-events").status_code == 403
    # Nor through the create endpoint's update of an existing email.
    again = client.post(
        "/api/v1/users",
        {"email": admin.email, "organisation": "oversight", "roles": ["auditor"]},
        format="json",
    )
    assert again.status_code == 403
    assert User.objects.get(pk=admin.pk).roles == {"administrator"}
    assert AccessEvent.objects.filter(
        actor=admin, outcome="denied", object_id=str(admin.pk)
    ).exists()
    # Their own name they may change.
    renamed = client.patch(f"/api/v1/users/{admin.pk}", {"full_name": "A Admin"}, format="json")
    assert renamed.status_code == 200


def test_a_role_change_is_an_access_event(w):
    officer = w.users["police_officer"]
    response = w.client("administrator").patch(
        f"/api/v1/users/{officer.pk}",
        {"roles": ["police_officer", "police_supervisor"]},
        format="json",
    )
    assert response.status_code == 200
    event = AccessEvent.objects.get(action="role_change", object_id=str(officer.pk))
    assert event.actor == w.users["administrator"]
    assert event.detail == "roles police_officer -> police_officer,police_supervisor"


def test_a_password_change_ends_every_token_of_the_user(w, client):
    from accounts.services import set_up_link

    officer = w.users["police_officer"]
    key = w.tokens["police_officer"]
    assert token_works(key) == 200
    page = client.get(set_up_link(officer, "http://testserver"), follow=True)
    form = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post(page.redirect_chain[-1][0], form).status_code == 302
    assert token_works(key) == 401
    event = AccessEvent.objects.get(action="password_change", object_id=str(officer.pk))
    assert event.actor == officer
