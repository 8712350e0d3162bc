"""A support organisation's access to a victim ends with its engagement (closed or disengaged),
on the API and the pages alike; a new referral opens it again."""

import html
import importlib

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, days_ago, make_referral
from victims.models import SupportEngagement, VictimGroupObjectPermission
from victims.services import application_create, support_referral_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def supported(officer, support_org):
    referral = make_referral(officer)
    support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=days_ago(5),
    )
    return referral.victim


def _case_victims(client) -> set[str]:
    """The victims of the cases the caller's case list shows."""
    return {row["victim"]["id"] for row in client.get("/api/v1/cases").json()["results"]}


def _page(user, victim):
    client = Client()
    client.force_login(user)
    return client.get(reverse("victims:detail", args=[victim.pk]))


@pytest.mark.parametrize("status", ["closed", "disengaged"])
def test_an_advisers_access_ends_when_their_engagement_ends(
    api, adviser, officer, supported, status
):
    client = api(adviser)
    listing = Client()
    listing.force_login(adviser)
    assert client.get(f"/api/v1/victims/{supported.pk}").status_code == 200
    assert _page(adviser, supported).status_code == 200
    assert _case_victims(client) == {str(supported.pk)}
    assert supported.reference in listing.get(reverse("victims:list")).content.decode()
    response = client.post(
        f"/api/v1/victims/{supported.pk}/support",
        {"status": status, "closed_on": str(timezone.localdate())},
        format="json",
    )
    assert response.status_code in (200, 201), response.content
    for path in ("", "/hold", "/disclosures"):
        assert client.get(f"/api/v1/victims/{supported.pk}{path}").status_code == 404, path
    assert _case_victims(client) == set()
    assert _page(adviser, supported).status_code == 404
    assert supported.reference not in listing.get(reverse("victims:list")).content.decode()
    # The police keep theirs.
    assert api(officer).get(f"/api/v1/victims/{supported.pk}").status_code == 200


def test_a_new_referral_gives_access_again(api, adviser, officer, support_org, supported):
    api(adviser).post(
        f"/api/v1/victims/{supported.pk}/support",
        {"status": "closed", "closed_on": str(timezone.localdate())},
        format="json",
    )
    assert api(adviser).get(f"/api/v1/victims/{supported.pk}").status_code == 404
    support_referral_create(
        victim=supported,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=timezone.localdate(),
    )
    assert api(adviser).get(f"/api/v1/victims/{supported.pk}").status_code == 200


def test_an_engagement_update_that_stays_open_keeps_access(api, adviser, supported):
    response = api(adviser).post(
        f"/api/v1/victims/{supported.pk}/support",
        {"status": "engaged", "contact_on": str(timezone.localdate())},
        format="json",
    )
    assert response.status_code in (200, 201), response.content
    assert api(adviser).get(f"/api/v1/victims/{supported.pk}").status_code == 200
    kept = VictimGroupObjectPermission.objects.filter(
        content_object=supported, group=adviser.organisation.group
    ).values_list("permission__codename", flat=True)
    assert sorted(kept) == ["change_victim", "view_victim"]


def test_the_migration_ends_access_already_ended_before_the_rule(api, adviser, supported):
    """Engagements closed before this rule kept their grants: migration victims 0003 removes
    them, and leaves an open engagement's grants alone."""
    from django.apps import apps

    migration = importlib.import_module("victims.migrations.0003_access_ends_with_engagement")
    migration.remove_ended_access(apps, None)
    assert api(adviser).get(f"/api/v1/victims/{supported.pk}").status_code == 200
    SupportEngagement.objects.filter(victim=supported).update(
        status="closed", closed_on=timezone.localdate()
    )
    assert api(adviser).get(f"/api/v1/victims/{supported.pk}").status_code == 200
    migration.remove_ended_access(apps, None)
    assert api(adviser).get(f"/api/v1/victims/{supported.pk}").status_code == 404


def test_closing_on_the_page_says_access_has_ended_and_leaves_the_record(adviser, supported):
    client = Client()
    client.force_login(adviser)
    today = timezone.localdate()
    response = client.post(
        reverse("victims:detail", args=[supported.pk]),
        {
            "status": "closed",
            "closed_on_day": today.day,
            "closed_on_month": today.month,
            "closed_on_year": today.year,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("victims:list")
    assert "access to this victim's record has ended" in html.unescape(response.content.decode())
    assert _page(adviser, supported).status_code == 404


def test_an_application_belongs_to_the_organisation_that_recorded_it(
    api, adviser, officer, supported, other_support_org
):
    """Two organisations supporting one person: the other's advisers may not read or change
    (withdraw, say) an application they did not record: a 404, on the API and the page."""
    other_adviser = UserFactory(role="support_adviser", organisation=other_support_org)
    support_referral_create(
        victim=supported,
        by=officer,
        organisation_code=other_support_org.code,
        consent_given_on=days_ago(1),
    )
    application = application_create(
        victim=supported, by=adviser, route="asylum", status="submitted", submitted_on=days_ago(2)
    )
    assert api(other_adviser).get(f"/api/v1/victims/{supported.pk}").status_code == 200
    response = api(other_adviser).patch(
        f"/api/v1/applications/{application.pk}", {"status": "withdrawn"}, format="json"
    )
    assert response.status_code == 404
    client = Client()
    client.force_login(other_adviser)
    page = reverse("victims:application_change", args=[application.pk])
    assert client.get(page).status_code == 404
    application.refresh_from_db()
    assert application.status == "submitted"
    own = api(adviser).patch(
        f"/api/v1/applications/{application.pk}",
        {"status": "refused", "decided_on": str(days_ago(0))},
        format="json",
    )
    assert own.status_code == 200, own.content
