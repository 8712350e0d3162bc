"""The support referral's life in Chromium, with axe on every new page: the adviser's work
list shows a new referral first, accepts one and declines another (a reason required); the
officer sees the outcomes, records a withdrawal of consent, and uses the shorter status form,
whose closing date appears only for no further action."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, make_referral
from victims.services import application_create, support_referral_create

pytestmark = pytest.mark.browser


def test_an_adviser_accepts_and_declines_referrals(
    browser_for, officer, adviser, support_org, celery_queue
):
    today = timezone.localdate()
    first = make_referral(officer)
    second = make_referral(officer, victim={"given_names": "Leila", "family_name": "Karimi"})
    for referral in (first, second):
        support_referral_create(
            victim=referral.victim,
            by=officer,
            organisation_code=support_org.code,
            consent_given_on=today,
        )
    tab = browser_for()
    page = tab.page
    tab.sign_in(adviser.email, PASSWORD)
    page.get_by_role("link", name="My organisation's victims").first.click()
    assert "2 new referrals to accept or decline" in tab.text(".govuk-notification-banner")
    tab.check("victim-list-new-referrals")

    page.get_by_role("link", name=f"Accept {first.victim.reference}").click()
    tab.check("referral-accept")
    page.get_by_role("button", name="Accept the referral").click()
    assert "accepted" in tab.text(".govuk-notification-banner")

    page.get_by_role("link", name="Support referrals").first.click()
    tab.check("referrals-adviser")
    page.get_by_role("link", name=f"Decline {second.victim.reference}").click()
    page.get_by_role("button", name="Decline the referral").click()
    assert "Enter why your organisation is declining" in tab.text(".govuk-error-summary")
    tab.check("referral-decline-error")
    page.get_by_label("Why is your organisation declining this referral?").fill("No capacity")
    page.get_by_role("button", name="Decline the referral").click()
    assert "declined" in tab.text(".govuk-notification-banner")
    tab.check("referrals-adviser-after-decline")
    tab.close()


def test_an_officer_sees_outcomes_withdraws_consent_and_uses_the_status_form(
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
    application_create(
        victim=referral.victim,
        by=adviser,
        route="asylum",
        status="submitted",
        submitted_on=today - dt.timedelta(days=1),
    )
    tab = browser_for()
    page = tab.page
    tab.sign_in(officer.email, PASSWORD)
    page.get_by_role("link", name="Support referrals").first.click()
    tab.check("referrals-police")
    assert "New" in tab.text("table")

    tab.go(f"/victims/{referral.victim.pk}")
    page.get_by_role("link", name="Record that the victim withdrew consent").click()
    page.get_by_label("Haven Migrant Support").check()
    tab.fill_date("withdrawn_on", today + dt.timedelta(days=1))
    page.get_by_role("button", name="Record the withdrawal").click()
    assert "today or in the past" in tab.text(".govuk-error-summary")
    tab.check("consent-withdrawal-error")
    tab.fill_date("withdrawn_on", today)
    page.get_by_role("button", name="Record the withdrawal").click()
    assert "no longer has access" in tab.text(".govuk-notification-banner")
    assert "Consent withdrawn" in tab.text("main")
    tab.check("victim-page-consent-withdrawn")

    # The status form: the closing date shows only for no further action.
    tab.go(f"/cases/{referral.case.pk}")
    closed_on = page.locator("#id_closed_on_day")
    assert not closed_on.is_visible()
    page.get_by_label("No further action", exact=True).check()
    assert closed_on.is_visible()
    tab.check("case-page-status-form")
    height = page.evaluate("document.documentElement.scrollHeight")
    # About 3,800 px before the reveal and the side column; the withdrawal reason (asked when a
    # victim withdraws support) added about 250.
    assert height < 3500, height
    tab.close()


def test_without_javascript_the_closing_date_is_on_the_status_form(
    browser_for, officer, celery_queue
):
    referral = make_referral(officer)
    tab = browser_for(javascript=False)
    tab.sign_in(officer.email, PASSWORD)
    tab.go(f"/cases/{referral.case.pk}")
    assert tab.page.locator("#id_closed_on_day").is_visible()
    tab.check("case-page-no-javascript")
    tab.close()
