"""Who may open which page: sign-in first, 403 for a role that may not use a page at all, 404 for
a record that is not the caller's (another force's case, a victim not referred to the adviser)."""

import pytest
from django.urls import reverse

from accounts.models import AccessEvent
from tests.factories import UserFactory, make_referral

pytestmark = pytest.mark.django_db

ROLES = ["officer", "adviser", "caseworker", "senior", "auditor", "administrator"]


def _pages(referral):
    victim, case = referral.victim, referral.case
    return {
        "home": (reverse("home"), set(ROLES)),
        "case list": (reverse("cases:list"), {"officer"}),
        "referral start": (reverse("cases:referral_start"), {"officer"}),
        "case": (reverse("cases:detail", args=[case.pk]), {"officer"}),
        "victim list": (reverse("victims:list"), {"adviser"}),
        "victim": (reverse("victims:detail", args=[victim.pk]), {"officer", "adviser"}),
        "victim record": (reverse("victims:record", args=[victim.pk]), {"officer", "adviser"}),
        "support referral": (
            reverse("victims:support_referral", args=[victim.pk]),
            {"officer"},
        ),
        "new application": (reverse("victims:application_new", args=[victim.pk]), {"adviser"}),
        "check a hold": (reverse("hold_check"), {"caseworker", "senior"}),
        "review queue": (reverse("review_queue"), {"senior"}),
        "overrides": (reverse("override_list"), {"senior"}),
        "hold": (reverse("hold_detail", args=[referral.hold.reference]), {"senior"}),
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_its_pages_and_gets_403_on_the_others(
    request, role, referred_to_haven, client_for
):
    user = request.getfixturevalue(role)
    client = client_for(user)
    for name, (url, allowed) in _pages(referred_to_haven).items():
        response = client.get(url)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} on {name} ({url})"
        if expected == 403:
            assert "You cannot use this page" in response.content.decode()


def test_a_refused_page_is_recorded_as_denied(caseworker, client_for):
    client_for(caseworker).get(reverse("cases:list"))
    event = AccessEvent.objects.order_by("-id").first()
    assert (event.outcome, event.object_type, event.detail) == ("denied", "page", "/cases/")


def test_anonymous_visitors_are_sent_to_sign_in(referral, client_for):
    client = client_for()
    for url, _ in _pages(referral).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), url


def test_another_forces_case_and_victim_do_not_exist_for_an_officer(
    referral, other_officer, client_for
):
    client = client_for(other_officer)
    for url in (
        reverse("cases:detail", args=[referral.case.pk]),
        reverse("victims:detail", args=[referral.victim.pk]),
        reverse("victims:record", args=[referral.victim.pk]),
        reverse("victims:support_referral", args=[referral.victim.pk]),
        reverse("cases:referral_done", args=[referral.case.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.content.decode()
    # Nor can they start a referral naming that victim.
    response = client.post(reverse("cases:referral_start"), {"victim": str(referral.victim.pk)})
    assert response.status_code == 404


def test_an_adviser_sees_only_victims_referred_to_their_organisation(
    referral, referred_to_haven, officer, other_support_org, client_for
):
    other_adviser = UserFactory(role="support_adviser", organisation=other_support_org)
    unreferred = make_referral(officer, victim={"given_names": "Mei", "family_name": "Chen"})
    client = client_for(other_adviser)
    assert client.get(reverse("victims:detail", args=[referral.victim.pk])).status_code == 404
    listing = client.get(reverse("victims:list")).content.decode()
    assert "Diallo" not in listing and "Chen" not in listing
    assert unreferred.victim.pk  # still exists: just not theirs


def test_page_reads_are_recorded_in_the_access_log(referral, officer, client_for):
    client = client_for(officer)
    client.get(reverse("cases:detail", args=[referral.case.pk]))
    event = AccessEvent.objects.order_by("-id").first()
    assert (event.action, event.object_type, event.object_id) == (
        "view",
        "case",
        str(referral.case.pk),
    )
    client.get(reverse("cases:list"))
    event = AccessEvent.objects.order_by("-id").first()
    assert (event.action, event.object_type) == ("list", "case")
