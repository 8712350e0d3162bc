"""A support adviser's main journey in Chromium: their victims and what needs doing, recording
contact and engagement status, recording and changing an application, the victim's record."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, days_ago, make_referral
from victims.services import application_create, support_referral_create

pytestmark = pytest.mark.browser


def test_an_adviser_records_support_and_applications(
    browser_for, officer, adviser, support_org, celery_queue
):
    today = timezone.localdate()
    referral = make_referral(officer)
    support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=today,
    )
    other = make_referral(officer, victim={"given_names": "Leila", "family_name": "Karimi"})
    support_referral_create(
        victim=other.victim, by=officer, organisation_code=support_org.code, consent_given_on=today
    )
    application_create(
        victim=other.victim,
        by=adviser,
        route="asylum",
        status="refused",
        submitted_on=days_ago(40),
        decided_on=days_ago(4),
    )
    tab = browser_for()
    page = tab.page
    tab.sign_in(adviser.email, PASSWORD)
    tab.check("home-adviser")

    page.get_by_role("button", name="See what needs doing").click()
    tab.check("victim-list-needs-doing")
    assert "Challenge window closes" in tab.text("table")
    page.get_by_label("What needs doing").select_option("")
    page.get_by_role("button", name="Apply filters").click()
    tab.check("victim-list")
    page.get_by_role("link", name="Amina Diallo").click()
    tab.check("victim-page-adviser")
    assert "Assault at home" not in page.content()  # never the crime narrative

    # Nothing is written until the form is valid.
    page.get_by_label("Closed", exact=True).check()
    page.get_by_role("button", name="Save support update").click()
    assert "Give the date the engagement ended." in tab.text(".govuk-error-summary")
    tab.check("victim-page-adviser-error")
    page.locator(".govuk-error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "id_closed_on_day"

    page.get_by_label("Engaged", exact=True).check()
    tab.fill_date("contact_on", today)
    page.get_by_label("Note (optional)").fill("First meeting at the refuge")
    page.get_by_role("button", name="Save support update").click()
    assert "Support update recorded" in tab.text(".govuk-notification-banner")

    page.get_by_role("link", name="Record an application").click()
    page.get_by_label("National Referral Mechanism").check()
    page.get_by_label("Status").select_option("granted")
    tab.fill_date("submitted_on", today - dt.timedelta(days=3))
    page.get_by_role("button", name="Record application").click()
    assert "choose a status from the list" in tab.text(".govuk-error-summary")
    tab.check("application-error")
    page.get_by_label("Migrant Victims of Domestic Abuse Concession").check()
    page.get_by_label("Status").select_option("submitted")
    page.get_by_role("button", name="Record application").click()
    assert "Application recorded" in tab.text(".govuk-notification-banner")
    page.get_by_role("link", name="Change or see its history").first.click()
    tab.check("application-change")
    page.get_by_label("Granted").check()
    tab.fill_date("decided_on", today)
    tab.fill_date("leave_expires_on", today + dt.timedelta(days=90))
    page.get_by_role("button", name="Save changes").click()
    assert "Application updated" in tab.text(".govuk-notification-banner")
    assert "leave ends" in tab.text("main")

    page.get_by_role("link", name="Print the victim's record").click()
    tab.check("victim-record-adviser")
