"""A police officer's main journey, end to end in Chromium, against a live server and a real
Celery worker: log a referral, find the case, record a status change and watch the hold on the
case page change without anyone running a command; refer the victim to support; print their
record."""

import datetime as dt
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from protocol.models import Hold
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_an_officer_logs_a_referral_and_the_worker_updates_the_hold(
    browser_for, officer, support_org, celery_worker_process
):
    worker = celery_worker_process()  # starts while the officer types
    today = timezone.localdate()
    tab = browser_for()
    page = tab.page

    tab.go("/accounts/login")
    tab.check("sign-in")
    # CSS and fonts are served locally: the header has GOV.UK's blue background.
    header = page.locator(".govuk-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(29, 112, 184)", header
    tab.sign_in(officer.email, PASSWORD)
    tab.check("home-police")

    page.get_by_role("link", name="Log a referral").first.click()
    tab.check("referral-start")
    page.get_by_role("button", name="Start now").click()

    # One question per page; a mistake is explained in an error summary.
    page.get_by_role("button", name="Continue").click()
    assert "Enter the victim's given names" in tab.text(".govuk-error-summary")
    tab.check("referral-error")
    page.get_by_label("Given names").fill("Grace")
    page.get_by_label("Family name").fill("Okafor")
    page.get_by_role("button", name="Continue").click()
    tab.check("referral-date-of-birth")
    tab.fill_date("date_of_birth", dt.date(1988, 3, 27))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What is the victim's nationality?").fill("NGA")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no Home Office reference
    tab.check("referral-language")
    page.get_by_label("Which language does the victim prefer?").select_option("en")
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Safe contact details (optional)").fill("Call the refuge first")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Given names").fill("Joy")
    page.get_by_label("Family name").fill("Okafor")
    tab.fill_date("date_of_birth", dt.date(2016, 1, 9))
    page.get_by_role("button", name="Add dependant").click()
    tab.check("referral-dependants")
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What is the crime reference?").fill("NS/2026/0042")
    page.get_by_role("button", name="Continue").click()
    tab.check("referral-crime-type")
    page.get_by_label("Domestic abuse").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Victim", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    tab.fill_date("reported_on", today - dt.timedelta(days=400))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Under investigation", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What happened? (optional)").fill("Assaulted by partner at home.")
    page.get_by_role("button", name="Continue").click()
    tab.check("referral-notice")
    page.get_by_label("Version of the notice").fill("2026-01")
    page.get_by_label("Language the notice was given in").select_option("en")
    tab.fill_date("given_on", today)
    page.get_by_role("button", name="Continue").click()

    tab.check("referral-check-answers")
    assert "Joy Okafor, born 9 January 2016" in tab.text("main")
    page.get_by_role("button", name="Log referral").click()
    tab.check("referral-logged")
    case_reference = tab.text(".govuk-panel__body strong")
    assert re.fullmatch(r"C-[0-9A-Z]{6}", case_reference)

    # The force's cases: search for it.
    page.get_by_role("link", name="Cases", exact=True).click()
    page.get_by_label("Search").fill("okafor")
    page.get_by_label("Hold").select_option("active")
    page.get_by_role("button", name="Apply filters").click()
    tab.check("case-list")
    page.get_by_role("link", name=case_reference).click()
    tab.check("case-page")
    assert tab.text("#hold-status") == "Active"

    # A status change: closed with no further action long ago. Only the worker re-evaluates.
    page.get_by_label("No further action", exact=True).check()
    tab.fill_date("closed_on", today - dt.timedelta(days=398))
    page.get_by_label("Home Office outcome type").select_option("14")
    page.get_by_label("Note (optional)").fill("No suspect identified")
    page.get_by_role("button", name="Save status change").click()
    assert "Status change recorded" in tab.text(".govuk-notification-banner")
    deadline = time.monotonic() + 60
    while tab.text("#hold-status") != "Review due":
        assert time.monotonic() < deadline, "the worker did not update the hold:\n" + worker.log()
        time.sleep(0.5)
        page.reload()
    tab.check("case-page-after-worker")
    # Decided by the task the change enqueued (not by a sweep or a command).
    hold = Hold.objects.get(victim__cases__reference=case_reference)
    assert hold.decisions.filter(status="review_due", trigger="case_status").exists()
    assert "Until an IE senior caseworker confirms its end" in tab.text("#hold-protected-until")

    # A status change that the service refuses is explained, and nothing changes.
    page.get_by_label("Prosecution status").select_option("sentenced")
    page.get_by_role("button", name="Save status change").click()
    summary = tab.text(".govuk-error-summary")
    assert "Give the date the prosecution was concluded" in summary
    tab.check("case-page-error")

    # Refer the victim to a support organisation, with consent.
    page.get_by_role("link", name="Refer to a support organisation").first.click()
    tab.check("support-referral")
    page.get_by_label("Haven Migrant Support").check()
    tab.fill_date("consent_given_on", today)
    page.get_by_role("button", name="Refer the victim").click()
    assert "was referred to Haven Migrant Support" in tab.text(".govuk-notification-banner")
    tab.check("victim-page-police")

    page.get_by_role("link", name="Print the victim's record").click()
    # The button is shown by the page's script once it has run: wait for it.
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    assert "Haven Migrant Support" in tab.text("main")
    tab.check("victim-record")
    tab.sign_out()
    assert "You have signed out." in tab.text(".govuk-notification-banner")
