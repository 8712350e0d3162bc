import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.models import Organisation, User
from accounts.services import user_create_or_update
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
