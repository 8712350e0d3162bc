"""The pages of issue 14: barrier statistics, policy simulation, the access log and the
adviser's unreported-crime form. Counts only; nothing leads to a person."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent
from core.validation import long_date
from protocol.models import Hold, HoldDecision, PolicySimulation
from protocol.policy import current_policy
from tests.factories import make_referral
from victims.models import UnreportedCrime

from .conftest import date_data, error_summary

pytestmark = pytest.mark.django_db


def test_statistics_page_draws_charts_beside_tables_and_shows_no_person(
    referral, officer, analyst, client_for
):
    for index in range(6):
        make_referral(officer, victim={"family_name": f"Stat {index}"})
    response = client_for(analyst).get(reverse("statistics"), {"by": "force"})
    html = response.content.decode()
    assert response.status_code == 200
    # Charts for the tables that have rows (referrals, engagement); the others are empty.
    assert html.count('<svg class="casework-chart"') == 2
    assert 'role="img"' in html and "<table" in html
    assert referral.victim.family_name not in html and referral.case.reference not in html
    assert "northshire" in html


def test_statistics_page_speaks_the_page_language(referral, officer, analyst, client_for):
    for index in range(6):
        make_referral(officer, victim={"family_name": f"Stat {index}"})
    client = client_for(analyst)
    client.get(reverse("choose_language", args=["cy"]))
    html = client.get(reverse("statistics")).content.decode()
    assert "Atgyfeiriadau, yn ôl rôl y dioddefwr" in html
    assert "Referrals, by the victim" not in html
    month = timezone.localdate().strftime("%B %Y")
    assert month not in html  # months are named in Welsh
    client.get(reverse("choose_language", args=["en"]))
    html = client.get(reverse("statistics")).content.decode()
    assert "Referrals, by the victim" in html and month in html


def test_statistics_filters_refuse_a_from_after_to(analyst, client_for):
    today = timezone.localdate()
    response = client_for(analyst).get(
        reverse("statistics"),
        {**date_data("date_from", today), **date_data("date_to", today - dt.timedelta(days=3))},
    )
    assert error_summary(response) == ["From date must be on or before the to date"]


def test_an_analyst_runs_a_simulation_from_the_page(referral, analyst, auditor, client_for):
    client = client_for(analyst)
    response = client.post(
        reverse("simulation_new"), {"grace_days": "7", "cover_witnesses": "false"}
    )
    kept = PolicySimulation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "simulation_detail", args=[kept.pk]
    )
    assert kept.policy == {"grace_days": 7, "cover_witnesses": False}
    page = client.get(response["Location"]).content.decode()
    assert "would change status" in page and referral.hold.reference not in page
    assert "Reload to see its progress" not in page
    # The page says its figures are suppressed and perturbed (ADR 0015).
    assert 'id="perturbation-note"' in page and "These figures are not exact." in page
    # Another's simulation is a 404, recorded as denied.
    assert client_for(auditor).get(response["Location"]).status_code == 404
    assert AccessEvent.objects.filter(
        object_type="policy_simulation", outcome="denied", object_id=str(kept.pk)
    ).exists()


def test_a_running_simulation_shows_progress_and_a_reload_link(analyst, client_for):
    kept = PolicySimulation.objects.create(
        requested_by=analyst,
        policy={"grace_days": 3},
        on=timezone.localdate(),
        total=10,
        done=4,
        status="running",
    )
    page = client_for(analyst).get(reverse("simulation_detail", args=[kept.pk])).content.decode()
    # A reload link, not a timed refresh (WCAG 2.2.1: axe refuses <meta http-equiv="refresh">).
    assert 'value="40"' in page and "Reload to see its progress" in page
    assert 'http-equiv="refresh"' not in page


def test_bad_proposed_values_name_the_field_and_run_nothing(analyst, client_for):
    client = client_for(analyst)
    response = client.post(
        reverse("simulation_new"),
        date_data("on", timezone.localdate() + dt.timedelta(days=400)) | {"grace_days": "3"},
    )
    assert response.status_code == 200
    assert error_summary(response)
    assert not PolicySimulation.objects.exists()
    response = client.post(reverse("simulation_new"), {"grace_days": "999999"})
    assert error_summary(response) and not PolicySimulation.objects.exists()


def test_the_access_log_filters_pages_by_cursor_and_says_the_chain_is_intact(
    referral, officer, auditor, client_for
):
    officer_client = client_for(officer)
    for _ in range(60):
        officer_client.get(reverse("cases:detail", args=[referral.case.pk]))
    client = client_for(auditor)
    response = client.get(reverse("accounts:audit_log"), {"actor": officer.email})
    html = response.content.decode()
    assert "The log is intact" in html
    assert html.count(">officer@northshire.example<") == 50
    assert "Older events" in html
    older = AccessEvent.objects.filter(actor=officer).order_by("-id")[49].id
    second = client.get(reverse("accounts:audit_log"), {"actor": officer.email, "before": older})
    assert second.content.decode().count(">officer@northshire.example<") == 10


def test_an_adviser_records_an_unreported_crime_with_nothing_identifying(adviser, client_for):
    client = client_for(adviser)
    form = client.get(reverse("victims:unreported_crime_new")).content.decode()
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', form))
    assert names == {
        "csrfmiddlewaretoken",
        "crime_type",
        "nationality",
        "reasons",
        "recorded_on_day",
        "recorded_on_month",
        "recorded_on_year",
    } | {name for name in names if name in ("language", "next")}
    assert "<textarea" not in form
    response = client.post(
        reverse("victims:unreported_crime_new"),
        {
            "crime_type": "labour_exploitation",
            "nationality": "vnm",
            "reasons": ["fear_of_immigration_consequences", "practical_barriers"],
            **date_data("recorded_on", timezone.localdate()),
        },
    )
    assert response.status_code == 302
    crime = UnreportedCrime.objects.get()
    assert crime.nationality == "VNM" and crime.organisation == adviser.organisation
    assert Hold.objects.count() == 0


def test_an_officer_forecasts_a_sentence_and_nothing_is_stored(referral, officer, client_for):
    hold = referral.hold
    before = (hold.status, hold.protected_until, HoldDecision.objects.count())
    on = timezone.localdate() + dt.timedelta(days=40)
    sentenced = timezone.localdate() + dt.timedelta(days=5)
    response = client_for(officer).get(
        reverse("hold_forecast", args=[referral.victim.pk]),
        {
            **date_data("on", on),
            "record": f"case:{referral.case.pk}",
            "what_if": "sentenced_crown",
            **date_data("happens_on", sentenced),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and not error_summary(response)
    assert "the hold would be" in html
    # Sentenced at the Crown Court: protection runs to a date (the appeal window), not open-ended.
    until = re.search(r'id="forecast-protected-until">([^<]*)<', html)[1]
    assert re.fullmatch(r"\d{1,2} \w+ \d{4}", until.strip()), until
    # ...the last day of the grace period after the Crown Court's appeal window that follows
    # that sentence (PROTOCOL.md H4 and "protected_until": D + appeal_window_days.crown +
    # grace_days), so the forecast read the change.
    policy = current_policy()
    lapse = sentenced + dt.timedelta(days=policy.appeal_window_days.crown)
    assert until.strip() == long_date(lapse + dt.timedelta(days=policy.grace_days))
    hold.refresh_from_db()
    assert (hold.status, hold.protected_until, HoldDecision.objects.count()) == before


def test_another_forces_officer_cannot_forecast(referral, other_officer, client_for):
    url = reverse("hold_forecast", args=[referral.victim.pk])
    assert client_for(other_officer).get(url).status_code == 404
