"""The statistics page with the `nationality_group` breakdown and the tables of applications,
holds leaving force and hold checks: charts and data tables, in English and Welsh, no
JavaScript needed, and the CSV beside it."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from protocol.models import HoldCheck
from tests.factories import make_application, make_referral

pytestmark = pytest.mark.django_db


def _refer(officer, count, nationality):
    return [
        make_referral(
            officer, victim={"family_name": f"{nationality} {index}", "nationality": nationality}
        )
        for index in range(count)
    ]


def _row_headers(html: str, measure: str) -> list[str]:
    section = html.split(f'id="{measure}"', 1)[1].split('<h2 class="govuk-heading-m"', 1)[0]
    return re.findall(r'<th scope="row" class="govuk-table__header">([^<]*)</th>', section)


def test_nationality_groups_are_named_in_the_page_language(officer, analyst, client_for):
    _refer(officer, 6, "SEN")
    _refer(officer, 6, "POL")
    _refer(officer, 2, "XXA")
    client = client_for(analyst)
    html = client.get(reverse("statistics"), {"by": "nationality_group"}).content.decode()
    assert _row_headers(html, "referrals") == [
        "Eastern Europe",
        "Sub-Saharan Africa",
        "Stateless, unknown or no UN sub-region",
        "Total",
    ]
    assert "Nationality (UN sub-region)" in html
    assert "<script" not in html.split("</header>", 1)[1].split("<footer", 1)[0]
    client.get(reverse("choose_language", args=["cy"]))
    html = client.get(reverse("statistics"), {"by": "nationality_group"}).content.decode()
    headers = _row_headers(html, "referrals")
    assert headers[:2] == ["Dwyrain Ewrop", "Affrica Is-Sahara"]  # CLDR's Welsh names
    assert "Sub-Saharan Africa" not in html and "Stateless, unknown" not in html
    assert headers[2] and headers[2] != "Stateless, unknown or no UN sub-region"
    # The unknown group's two are suppressed, in Welsh too.
    assert ">suppressed<" not in html and "wedi&#x27;i atal" in html


def test_the_new_tables_have_charts_tables_notes_and_a_share_column(
    officer, caseworker, analyst, client_for
):
    referrals = _refer(officer, 6, "SEN")
    for referral in referrals:
        make_application(referral.victim, officer)
        HoldCheck.objects.create(by=caseworker, hold=referral.victim.hold, answered_in_force=True)
    client = client_for(analyst)
    html = client.get(reverse("statistics"), {"by": "force"}).content.decode()
    for measure in (
        "applications_by_route",
        "applications_by_outcome",
        "holds_by_ending",
        "holds_by_duration",
        "hold_checks",
    ):
        assert f'id="{measure}"' in html
    assert 'id="applications_by_route-chart-title"' in html
    assert 'id="hold_checks-chart-title"' in html
    assert "earliest case" in html and "broken down by month only" in html
    assert "Share answered in force" in html and "100%" in html
    assert "Median days a hold was in force" in html
    by_month = client.get(reverse("statistics"), {"by": "month"}).content.decode()
    month = timezone.localdate().strftime("%B %Y")
    assert month in _row_headers(by_month, "hold_checks")
    client.get(reverse("choose_language", args=["cy"]))
    welsh = client.get(reverse("statistics"), {"by": "force"}).content.decode()
    assert "Share answered in force" not in welsh and "earliest case" not in welsh
    csv = client.get(reverse("statistics_csv"), {"by": "force"}).content.decode()
    assert "hold_checks,force,all_checks,in_force,6" in csv.splitlines()
    assert "applications_by_route,force,northshire,mvdac,6" in csv.splitlines()
