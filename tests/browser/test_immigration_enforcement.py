"""Immigration Enforcement in Chromium: a caseworker checks holds (with and without JavaScript);
IE seniors work the review queue and request, approve and revoke an override."""

import datetime as dt

import pytest

from cases.services import case_status_change
from protocol import services as hold_services
from tests.factories import PASSWORD, days_ago, make_referral

pytestmark = pytest.mark.browser

PERSONAL = ["Amina", "Diallo", "17 May 1990", "1990-05-17", "Refuge", "07700", "Assault", "CR/"]


def _no_personal_data(tab):
    text = tab.text("body")
    for secret in PERSONAL:
        assert secret not in text, secret


def test_a_caseworker_checks_holds(browser_for, officer, caseworker):
    referral = make_referral(officer, victim={"home_office_reference": "B1234567"})
    tab = browser_for()
    page = tab.page
    tab.sign_in(caseworker.email, PASSWORD)
    tab.check("home-ie-caseworker")
    page.get_by_role("link", name="Check a hold").first.click()
    tab.check("check-a-hold")

    page.get_by_role("button", name="Check").click()
    assert "Enter a Home Office reference, or a name and date of birth" in tab.text(
        ".govuk-error-summary"
    )
    tab.check("check-a-hold-error")
    page.locator(".govuk-error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "id_home_office_reference"

    page.get_by_label("Home Office reference").fill("b123 4567")
    page.get_by_role("button", name="Check").click()
    assert (
        tab.text("#hold-check-result") == f"Hold in force Hold reference {referral.hold.reference}"
    )
    assert "Northshire Police" in tab.text("main")
    _no_personal_data(tab)
    tab.check("check-a-hold-in-force")

    page.get_by_label("Family name").fill("Nobody")
    page.get_by_label("Given names").fill("Known")
    tab.fill_date("date_of_birth", dt.date(1990, 5, 17))
    page.get_by_role("button", name="Check").click()
    assert tab.text("#hold-check-result") == "No hold in force"
    tab.check("check-a-hold-no-hold")

    # Without JavaScript the same page works.
    plain = browser_for(javascript=False)
    plain.sign_in(caseworker.email, PASSWORD)
    plain.go("/check-a-hold")
    plain.page.get_by_label("Family name").fill("diallo")
    plain.page.get_by_label("Given names").fill("AMINA")
    plain.fill_date("date_of_birth", dt.date(1990, 5, 17))
    plain.page.get_by_role("button", name="Check").click()
    assert "Hold in force" in plain.text("#hold-check-result")
    plain.check("check-a-hold-no-javascript")


def _review_due(officer):
    referral = make_referral(
        officer,
        victim={"given_names": "Oksana", "family_name": "Kovalenko"},
        case={"reported_on": days_ago(400), "referred_on": days_ago(399)},
    )
    case_status_change(
        case=referral.case,
        by=officer,
        changes={"investigation_status": "no_further_action", "closed_on": days_ago(398)},
    )
    hold_services.hold_reevaluate(victim_id=referral.victim.pk)
    return referral


def test_ie_seniors_review_holds_and_decide_overrides(
    browser_for, officer, senior, senior2, celery_queue
):
    due = _review_due(officer)
    active = make_referral(officer, victim={"home_office_reference": "B1234567"})
    tab = browser_for()
    page = tab.page
    tab.sign_in(senior.email, PASSWORD)
    tab.check("home-ie-senior")

    page.get_by_role("link", name="Review queue").first.click()
    tab.check("review-queue")
    _no_personal_data(tab)
    page.get_by_role("link", name=due.hold.reference, exact=True).click()
    tab.check("hold-review-due")
    page.get_by_role("button", name="Confirm the end of this hold").click()
    page.get_by_role("button", name="Confirm the end of the hold").click()
    assert "Select why the hold has ended" in tab.text(".govuk-error-summary")
    tab.check("confirm-end-error")
    page.get_by_label("Left the UK").check()
    page.get_by_role("button", name="Confirm the end of the hold").click()
    assert "was confirmed" in tab.text(".govuk-notification-banner")
    tab.check("review-queue-after-end")

    # Request an override of a hold in force, found with a check.
    page.get_by_role("link", name="Check a hold").first.click()
    page.get_by_label("Home Office reference").fill("B1234567")
    page.get_by_role("button", name="Check").click()
    page.get_by_role("link", name="Open this hold").click()
    tab.check("hold-active")
    page.get_by_role("button", name="Request a public-protection override").click()
    page.get_by_label("Risk of serious harm to the public").check()
    page.get_by_label("Justification").fill("Recent conviction for a violent offence")
    tab.fill_date("expires_on", dt.date.today() + dt.timedelta(days=200))
    page.get_by_role("button", name="Request override").click()
    assert "at most 90 days" in tab.text(".govuk-error-summary")
    tab.check("override-request-error")
    tab.fill_date("expires_on", dt.date.today() + dt.timedelta(days=30))
    page.get_by_role("button", name="Request override").click()
    assert "Override requested" in tab.text(".govuk-notification-banner")
    tab.check("hold-override-requested")
    tab.sign_out()

    # Another senior decides it.
    tab.sign_in(senior2.email, PASSWORD)
    page.get_by_role("link", name="Overrides").first.click()
    tab.check("override-list")
    page.get_by_role("link", name="Decide").click()
    tab.check("override-decide")
    page.get_by_label("Approve the override").check()
    page.get_by_role("button", name="Save decision").click()
    assert "You approved the override" in tab.text(".govuk-notification-banner")
    page.get_by_role("link", name=active.hold.reference, exact=True).click()
    assert tab.text("#hold-status") == "Overridden (public protection)"
    page.get_by_role("link", name="Revoke").click()
    tab.check("override-revoke")
    page.get_by_label("Why are you revoking the override?").fill("Conviction quashed on appeal")
    page.get_by_role("button", name="Revoke override").click()
    assert tab.text("#hold-status") == "Active"
    tab.check("hold-after-revoke")
    _no_personal_data(tab)


def test_error_pages_say_what_to_do_next(browser_for, caseworker):
    tab = browser_for()
    tab.sign_in(caseworker.email, PASSWORD)
    assert tab.go("/cases/").status == 403
    tab.check("error-403")
    assert tab.go("/no-such-page").status == 404
    tab.check("error-404")
    tab.go("/accounts/login")
    tab.sign_out()
    tab.page.get_by_label("Email address").fill(caseworker.email)
    tab.page.get_by_label("Password").fill("wrong password")
    tab.page.get_by_role("button", name="Sign in").click()
    assert "Enter a correct email address and password" in tab.text(".govuk-error-summary")
    tab.check("sign-in-error")

    # The 500 page is rendered without the request's context; served here through a route so
    # that it is seen with the service's own styles.
    from django.test import RequestFactory

    from core.views import server_error

    body = server_error(RequestFactory().get("/")).content.decode()
    tab.page.route(
        "**/server-error",
        lambda route: route.fulfill(status=500, body=body, content_type="text/html"),
    )
    assert tab.go("/server-error").status == 500
    tab.check("error-500")
