"""Sign in (with lockout), sign out, the home page for each role, and the error pages."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccessEvent
from tests.factories import PASSWORD

from .conftest import error_summary, text_of

pytestmark = pytest.mark.django_db


def sign_in(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_sign_in_takes_you_home_and_is_recorded(officer):
    client = Client()
    response = sign_in(client, officer.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert AccessEvent.objects.filter(actor=officer, action="sign_in").exists()
    assert "Log a referral" in text_of(client.get(reverse("home")))


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("", "", "Enter your email address"),
        (
            "not-an-email",
            "x",
            "Enter an email address in the correct format, like name@example.com",
        ),
        ("officer@northshire.example", "", "Enter your password"),
        (
            "officer@northshire.example",
            "wrong",
            "Enter a correct email address and password. Both are case sensitive.",
        ),
    ],
)
def test_sign_in_says_what_is_wrong(officer, email, password, message):
    response = sign_in(Client(), email, password)
    assert response.status_code == 200
    assert message in error_summary(response)
    assert "<title>Error: Sign in" in response.content.decode()


def test_repeated_failures_lock_the_account(officer, settings):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(client, officer.email, "wrong")
    response = sign_in(client, officer.email, PASSWORD)  # even the right password
    assert error_summary(response)[0].startswith("Too many failed attempts.")
    assert "_auth_user_id" not in client.session


def test_sign_out_says_you_have_signed_out(officer):
    client = Client()
    sign_in(client, officer.email, PASSWORD)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You have signed out." in text_of(response)
    assert client.get(reverse("home")).status_code == 302


def test_each_role_sees_its_own_work_on_the_home_page(
    officer, adviser, caseworker, senior, auditor, client_for
):
    def home(user):
        return text_of(client_for(user).get(reverse("home")))

    assert "Log a referral" in home(officer)
    assert "Check a hold" not in home(officer)
    assert "Victims referred to your organisation" in home(adviser)
    assert "Check a hold" in home(caseworker) and "Review queue" not in home(caseworker)
    assert "Review queue" in home(senior) and "Overrides" in home(senior)
    assert "API" in home(auditor)


def test_the_navigation_shows_each_role_its_own_pages(officer, adviser, senior, client_for):
    def nav(user):
        html = client_for(user).get(reverse("home")).content.decode()
        return html[html.index('id="navigation"') : html.index("</nav>")]

    assert "Log a referral" in nav(officer) and "Check a hold" not in nav(officer)
    assert "My organisation" in nav(adviser) and "Cases" not in nav(adviser)
    assert "Review queue" in nav(senior) and "Log a referral" not in nav(senior)


def test_error_pages_are_in_the_service_design_and_say_what_to_do(officer, client_for, rf):
    from core import views

    client = client_for(officer)
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404
    assert "Page not found" in text_of(not_found)
    assert "govuk-header" in not_found.content.decode()
    forbidden = client.get(reverse("hold_check"))
    assert forbidden.status_code == 403
    assert "ask your organisation's administrator" in text_of(forbidden)

    request = rf.get("/")
    server = views.server_error(request)
    assert server.status_code == 500
    assert "Try again later" in server.content.decode()
    assert "govuk-header" in server.content.decode()
    request.user = officer
    bad = views.bad_request(request)
    assert bad.status_code == 400 and "Go back, check what you entered" in bad.content.decode()
    api = views.page_not_found(rf.get("/api/v1/nothing"))
    assert api["Content-Type"] == "application/json"


def test_a_stale_form_gets_the_timed_out_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "a@b.example"})
    assert response.status_code == 403
    assert "Your page timed out" in text_of(response)


def test_pages_have_no_inline_scripts_or_styles(referral, officer, client_for):
    html = (
        client_for(officer).get(reverse("cases:detail", args=[referral.case.pk])).content.decode()
    )
    assert " style=" not in html and "onclick" not in html
    import re

    for script in re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S):
        assert script.strip() == ""
