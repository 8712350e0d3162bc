"""Two-factor authentication (API.md: `"otp"` for accounts with two-factor authentication): the
token endpoint and the sign-in page ask accounts with an authenticator app for its code."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from rest_framework.test import APIClient

from accounts.models import AccessEvent, ApiToken, LoginFailure
from accounts.services import two_factor_device, two_factor_enable
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"


def current_code(device) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


@pytest.fixture
def user():
    return UserFactory(email="two.factor@northshire.example")


@pytest.fixture
def device(user):
    return two_factor_enable(user=user)


def ask_token(**body):
    body = {"email": "two.factor@northshire.example", **body}
    return APIClient().post(TOKEN, body, format="json")


def test_an_account_with_an_authenticator_app_gets_a_token_only_with_its_code(device):
    missing = ask_token(password=PASSWORD)
    assert missing.status_code == 400
    assert "two-factor" in missing.json()["otp"][0]
    wrong = ask_token(password=PASSWORD, otp="000000" if current_code(device) != "000000" else "1")
    assert wrong.status_code == 400
    assert "wrong" in wrong.json()["otp"][0]
    assert ApiToken.objects.count() == 0
    assert LoginFailure.objects.filter(email="two.factor@northshire.example").count() == 1
    device.refresh_from_db()
    device.throttle_reset()  # django-otp refuses codes for a moment after a wrong one
    right = ask_token(password=PASSWORD, otp=current_code(device))
    assert right.status_code == 200, right.json()
    assert ApiToken.objects.count() == 1
    assert AccessEvent.objects.filter(action="sign_in", outcome="allowed").count() == 1
    refused = AccessEvent.objects.get(action="sign_in", outcome="denied")
    assert refused.detail.startswith("wrong security code;")
    assert refused.object_id == str(device.user_id)


def test_a_code_is_never_asked_before_the_password_is_right(device):
    response = ask_token(password="wrong")
    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}


def test_an_account_without_a_second_factor_needs_no_code(user):
    assert ask_token(password=PASSWORD).status_code == 200
    assert two_factor_device(user) is None


def test_the_sign_in_page_asks_for_the_code_of_an_account_that_has_one(device, client):
    page = reverse("accounts:login")
    form = {"username": "two.factor@northshire.example", "password": PASSWORD}
    missing = client.post(page, form)
    assert missing.status_code == 200
    assert "Enter the 6-digit security code" in missing.content.decode()
    assert "_auth_user_id" not in client.session
    signed_in = client.post(page, {**form, "otp": current_code(device)})
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(device.user_id)


def test_the_command_turns_two_factor_on_and_off(user):
    out = io.StringIO()
    call_command("two_factor", "--email", user.email, stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    assert two_factor_device(user) is not None
    call_command("two_factor", "--email", user.email, "--off", stdout=io.StringIO())
    assert two_factor_device(user) is None


def test_the_admin_site_signs_in_only_through_the_sites_sign_in(device, client):
    """The admin's own sign-in form would skip the second factor and the lockout."""
    user = device.user
    user.is_staff = True
    user.save()
    posted = client.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert posted.status_code == 302
    assert posted["Location"] == "/accounts/login?next=%2Fadmin%2F"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    away = client.get("/admin/login/?next=https://elsewhere.example/")
    assert away["Location"] == "/accounts/login?next=%2Fadmin%2F"
