"""Administrators' pages for user accounts and organisations: they work, they are only the
administrators', they never show victim data, and they say no as the services do."""

import re

import pytest
from django.urls import reverse

from accounts.models import AccessEvent, ApiToken, Organisation, User
from accounts.services import token_issue
from tests.factories import PASSWORD

from .conftest import error_summary, text_of

pytestmark = pytest.mark.django_db


def pages(user_id, code) -> list[str]:
    return [
        reverse("accounts:user_list"),
        reverse("accounts:user_new"),
        reverse("accounts:user_detail", args=[user_id]),
        reverse("accounts:organisation_list"),
        reverse("accounts:organisation_new"),
        reverse("accounts:organisation_detail", args=[code]),
    ]


@pytest.mark.parametrize("role", ["officer", "adviser", "caseworker", "senior", "auditor"])
def test_only_administrators_may_use_the_management_pages(request, role, client_for, force):
    user = request.getfixturevalue(role)
    client = client_for(user)
    for url in pages(user.pk, force.code):
        assert client.get(url).status_code == 403, (role, url)
    post = client.post(reverse("accounts:user_detail", args=[user.pk]), {"roles": ["auditor"]})
    assert post.status_code == 403
    assert User.objects.get(pk=user.pk).roles == user.roles


def test_anonymous_visitors_are_sent_to_sign_in(client_for, officer, force):
    for url in pages(officer.pk, force.code):
        response = client_for().get(url)
        assert response["Location"].startswith(reverse("accounts:login")), url


def test_administrators_list_accounts_and_see_no_victim_data(
    administrator, officer, referral, client_for
):
    client = client_for(administrator)
    for url in pages(officer.pk, officer.organisation.code):
        assert client.get(url).status_code == 200, url
    listing = text_of(client.get(reverse("accounts:user_list")))
    assert officer.email in listing and "Police officer" in listing
    victim = referral.victim
    for url in pages(officer.pk, officer.organisation.code):
        body = text_of(client.get(url))
        for secret in (victim.family_name, victim.given_names, referral.case.crime_reference):
            assert secret not in body, (url, secret)
    nav = client.get(reverse("home")).content.decode()
    assert reverse("accounts:user_list") in nav and "/admin/" not in nav
    filtered = text_of(client.get(reverse("accounts:user_list"), {"organisation": "oversight"}))
    assert administrator.email in filtered and officer.email not in filtered


def test_creating_an_account_emails_a_set_up_link_and_records_the_roles(
    administrator, force, client_for, mailoutbox
):
    client = client_for(administrator)
    response = client.post(
        reverse("accounts:user_new"),
        {
            "email": "New.Officer@Northshire.example",
            "full_name": "New Officer",
            "organisation": force.code,
            "roles": ["police_officer", "police_supervisor"],
        },
    )
    assert response.status_code == 302, error_summary(response)
    account = User.objects.get(email="new.officer@northshire.example")
    assert account.roles == {"police_officer", "police_supervisor"}
    assert not account.has_usable_password()
    assert mailoutbox[0].to == [account.email]
    link = re.search(r"http://testserver(/accounts/set-password/\S+)", mailoutbox[0].body)
    assert link is not None
    assert "was sent to new.officer@northshire.example" in text_of(client.get(response.url))
    assert AccessEvent.objects.filter(
        action="role_change", actor=administrator, object_id=str(account.pk)
    ).exists()


def test_the_create_page_says_what_is_wrong(administrator, force, officer, client_for):
    client = client_for(administrator)
    misfit = client.post(
        reverse("accounts:user_new"),
        {"email": "x@northshire.example", "organisation": force.code, "roles": ["auditor"]},
    )
    assert "The role 'auditor' does not fit an organisation of kind 'police_force'." in (
        error_summary(misfit)
    )
    taken = client.post(
        reverse("accounts:user_new"),
        {"email": officer.email, "organisation": force.code, "roles": ["police_officer"]},
    )
    assert "An account with this email address already exists." in error_summary(taken)
    empty = client.post(reverse("accounts:user_new"), {})
    assert error_summary(empty) == [
        "Enter the person's email address",
        "Select the person's organisation",
        "Choose at least one role",
    ]
    assert not User.objects.filter(email="x@northshire.example").exists()


def test_deactivating_on_the_page_ends_the_accounts_tokens_and_sessions(
    administrator, officer, client_for
):
    key, _ = token_issue(user=officer)
    officer_client = client_for(officer)
    assert officer_client.get(reverse("home")).status_code == 200
    response = client_for(administrator).post(
        reverse("accounts:user_detail", args=[officer.pk]),
        {"full_name": "", "organisation": officer.organisation.code, "roles": ["police_officer"]},
    )
    assert response.status_code == 302, error_summary(response)
    assert not User.objects.get(pk=officer.pk).is_active
    assert not ApiToken.objects.filter(user=officer).exists()
    assert officer_client.get(reverse("home")).status_code == 302  # signed out


def test_an_administrator_cannot_change_their_own_roles_on_the_page(administrator, client_for):
    client = client_for(administrator)
    url = reverse("accounts:user_detail", args=[administrator.pk])
    assert "This is your own account" in text_of(client.get(url))
    response = client.post(
        url,
        {
            "organisation": "oversight",
            "roles": ["administrator", "auditor"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert error_summary(response) == [
        "You cannot change your own roles, organisation or access: ask another administrator."
    ]
    assert User.objects.get(pk=administrator.pk).roles == {"administrator"}
    renamed = client.post(
        url,
        {
            "full_name": "Ada Admin",
            "organisation": "oversight",
            "roles": ["administrator"],
            "is_active": "on",
        },
    )
    assert renamed.status_code == 302
    assert User.objects.get(pk=administrator.pk).full_name == "Ada Admin"


def test_the_page_sends_a_new_set_up_link_to_the_account_only(
    administrator, officer, client_for, mailoutbox
):
    client = client_for(administrator)
    response = client.post(reverse("accounts:user_set_up_link", args=[officer.pk]), follow=True)
    assert f"A link to set their password was sent to {officer.email}" in text_of(response)
    assert [message.to for message in mailoutbox] == [[officer.email]]
    assert "set-password" not in response.content.decode()
    assert User.objects.get(pk=officer.pk).check_password(PASSWORD)
    page = client.get(reverse("accounts:user_detail", args=[officer.pk])).content.decode()
    assert 'type="password"' not in page  # nowhere to type someone else's password


def test_administrators_create_and_change_organisations(administrator, officer, client_for):
    force = officer.organisation
    client = client_for(administrator)
    created = client.post(
        reverse("accounts:organisation_new"),
        {
            "name": "Westshire Police",
            "code": "westshire",
            "kind": "police_force",
            "contact_team": "Protocol desk",
            "contact_phone": "01632 960002",
            "contact_email": "protocol@westshire.example",
        },
    )
    assert created.status_code == 302
    westshire = Organisation.objects.get(code="westshire")
    assert westshire.contact["team"] == "Protocol desk"
    duplicate = client.post(
        reverse("accounts:organisation_new"),
        {"name": "Again", "code": "westshire", "kind": "oversight"},
    )
    assert error_summary(duplicate) == ["An organisation with this code already exists."]
    changed = client.post(
        reverse("accounts:organisation_detail", args=["westshire"]),
        {"name": "Westshire Constabulary", "kind": "police_force"},
    )
    assert changed.status_code == 302
    assert Organisation.objects.get(code="westshire").name == "Westshire Constabulary"
    # An organisation's kind cannot change under its members.
    refused = client.post(
        reverse("accounts:organisation_detail", args=[force.code]),
        {"name": force.name, "kind": "oversight"},
    )
    assert error_summary(refused) == [
        "This organisation has members: its kind cannot change under them."
    ]
    assert AccessEvent.objects.filter(object_type="organisation", action="create").exists()
    assert client.get(reverse("accounts:organisation_detail", args=["nope"])).status_code == 404
