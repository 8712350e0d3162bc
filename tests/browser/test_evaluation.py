"""Issue 14's pages in Chromium, each checked with axe: an analyst's barrier statistics and
policy simulation (with JavaScript off: the charts are SVG and the progress page has a
reload link), an auditor's access log, an adviser's unreported-crime form, an officer's forecast."""

import datetime as dt

import pytest
from django.utils import timezone

from protocol.models import PolicySimulation
from tests.factories import PASSWORD, make_referral

pytestmark = pytest.mark.browser


def test_an_analyst_reads_statistics_and_simulates_without_javascript(
    browser_for, officer, analyst
):
    for index in range(7):
        make_referral(officer, victim={"family_name": f"Chart {index}"})
    tab = browser_for(javascript=False)
    page = tab.page
    tab.sign_in(analyst.email, PASSWORD)
    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Barriers to reporting"
    ).click()
    page.wait_for_url("**/statistics")
    assert page.locator("svg.casework-chart").count() == 2  # the tables that have rows
    tab.check("analyst-statistics")
    page.get_by_label("Break down by").select_option("crime_type")
    page.get_by_role("button", name="Show statistics").click()
    assert "by Crime type" in tab.text("main")
    tab.check("analyst-statistics-by-crime-type")
    tab.go("/policy-simulations")
    tab.check("analyst-simulation-form")
    page.get_by_label("Grace days").fill("7")
    page.get_by_role("button", name="Run the simulation").click()
    page.wait_for_url("**/policy-simulations/*")
    assert "would change status" in tab.text("main")
    tab.check("analyst-simulation-result")
    running = PolicySimulation.objects.create(
        requested_by=analyst,
        policy={"grace_days": 3},
        on=timezone.localdate(),
        status="running",
        total=10_000,
        done=2_500,
    )
    tab.go(f"/policy-simulations/{running.pk}")
    assert "2500 of 10000 holds" in tab.text("main")
    tab.check("analyst-simulation-progress")


def test_an_auditor_reads_the_log_and_an_adviser_records_an_unreported_crime(
    browser_for, auditor, adviser
):
    tab = browser_for()
    tab.sign_in(auditor.email, PASSWORD)
    tab.go("/accounts/audit-log")
    assert "The log is intact" in tab.text("main")
    tab.check("auditor-access-log")
    tab.sign_out()
    tab.sign_in(adviser.email, PASSWORD)
    page = tab.page
    page.get_by_role("link", name="Record a crime that someone chose not to report").click()
    tab.check("adviser-unreported-crime")
    page.get_by_role("button", name="Record it").click()
    tab.check("adviser-unreported-crime-errors")
    page.get_by_label("What kind of crime was it?").select_option("domestic_abuse")
    page.get_by_label("Nationality").fill("ALB")
    tab.fill_date("recorded_on", timezone.localdate())
    page.get_by_label("Fear of immigration consequences").check()
    page.get_by_role("button", name="Record it").click()
    assert "Recorded" in tab.text("main")


def test_an_officer_forecasts_the_hold(browser_for, officer):
    referral = make_referral(officer)
    tab = browser_for()
    tab.sign_in(officer.email, PASSWORD)
    page = tab.page
    tab.go(f"/victims/{referral.victim.pk}")
    page.get_by_role(
        "link", name="What if? See what the hold would be if something changed"
    ).click()
    tab.fill_date("on", timezone.localdate() + dt.timedelta(days=60))
    page.get_by_label("Which record").select_option(f"case:{referral.case.pk}")
    page.get_by_label("What if").select_option("sentenced_crown")
    tab.fill_date("happens_on", timezone.localdate() + dt.timedelta(days=10))
    page.get_by_role("button", name="Show the forecast").click()
    assert "the hold would be" in tab.text("main")
    tab.check("officer-hold-forecast")


def test_an_analyst_reads_statistics_by_nationality_group_in_english_and_welsh(
    browser_for, officer, caseworker, analyst
):
    from protocol.models import HoldCheck
    from tests.factories import make_application

    for index, nationality in enumerate(["SEN"] * 6 + ["POL"] * 6 + ["XXA"] * 2):
        referral = make_referral(
            officer, victim={"family_name": f"Group {index}", "nationality": nationality}
        )
        make_application(referral.victim, officer)
        HoldCheck.objects.create(by=caseworker, hold=referral.victim.hold, answered_in_force=True)
    tab = browser_for(javascript=False)
    page = tab.page
    tab.sign_in(analyst.email, PASSWORD)
    tab.go("/statistics")
    page.get_by_label("Break down by").select_option("nationality_group")
    page.get_by_role("button", name="Show statistics").click()
    main = tab.text("main")
    assert "by Nationality (UN sub-region)" in main
    assert "Sub-Saharan Africa" in main and "Eastern Europe" in main
    assert "Stateless, unknown or no UN sub-region" in main
    assert "Share answered in force" in main and "broken down by month only" in main
    assert page.locator("#applications_by_route-chart-title").count() == 1
    tab.check("analyst-statistics-by-nationality-group")
    page.get_by_role("link", name="Cymraeg").click()
    main = tab.text("main")
    assert "Affrica Is-Sahara" in main and "Dwyrain Ewrop" in main
    assert "Sub-Saharan Africa" not in main and "Share answered in force" not in main
    tab.check("analyst-statistics-by-nationality-group-cy")
