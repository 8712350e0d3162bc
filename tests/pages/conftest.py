"""Fixtures for the page tests: signed-in clients, and holds in the states the pages show."""

import html as html_lib
import re

import pytest
from django.test import Client
from django.utils import timezone

from cases.services import case_status_change
from protocol import services as hold_services
from protocol.models import Hold
from tests.factories import days_ago, make_referral
from victims.services import support_referral_create


@pytest.fixture
def client_for():
    """`client_for(user)`: a browser-like client signed in as `user`."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def referral(officer):
    """A referral by Northshire's officer: victim Amina Diallo, hold active."""
    return make_referral(officer, victim={"home_office_reference": "B1234567"})


@pytest.fixture
def referred_to_haven(referral, officer, support_org):
    """The referral's victim, referred to Haven (the adviser's organisation)."""
    support_referral_create(
        victim=referral.victim,
        by=officer,
        organisation_code=support_org.code,
        consent_given_on=timezone.localdate(),
    )
    return referral


def make_review_due(officer, **victim) -> Hold:
    """A hold past its grace period with nothing left to protect: due for IE's review."""
    referral = make_referral(
        officer,
        victim=victim,
        case={"reported_on": days_ago(400), "referred_on": days_ago(399)},
    )
    case_status_change(
        case=referral.case,
        by=officer,
        changes={"investigation_status": "no_further_action", "closed_on": days_ago(398)},
    )
    hold_services.hold_reevaluate(victim_id=referral.victim.pk)
    hold = Hold.objects.get(victim=referral.victim)
    assert hold.status == "review_due", hold.explanation
    return hold


@pytest.fixture
def review_due_hold(officer):
    return make_review_due(
        officer, given_names="Oksana", family_name="Kovalenko", home_office_reference="K7654321"
    )


def text_of(response) -> str:
    """The page's visible text, tags removed, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def error_summary(response) -> list[str]:
    """The messages in the page's GOV.UK error summary."""
    html = response.content.decode()
    match = re.search(r'class="govuk-error-summary".*?<ul[^>]*>(.*?)</ul>', html, flags=re.S)
    if not match:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(1), flags=re.S)
    return [
        html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip())
        for item in items
    ]


def date_data(name: str, value) -> dict:
    return {f"{name}_day": value.day, f"{name}_month": value.month, f"{name}_year": value.year}
