"""The public page `/protocol`: no sign-in, every victim language by `?language=` only, no
session and no cookie, no referrer, "Exit this page", cacheable, and the live policy values."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.languages import VICTIM_LANGUAGES
from protocol.policy import current_policy

from ..pages.conftest import text_of

URL = "/protocol"


@pytest.fixture
def fresh_policy():
    current_policy.cache_clear()
    yield
    current_policy.cache_clear()


def test_it_is_at_protocol_and_named():
    assert reverse("public_protocol") == URL


@pytest.mark.django_db
def test_anyone_can_read_it_and_it_leaves_no_trace():
    response = Client().get(URL)
    assert response.status_code == 200
    assert response.cookies == {}  # no session, no CSRF cookie, nothing
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")  # one page for everyone
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "public, max-age=300"
    html = response.content.decode()
    assert 'data-module="govuk-exit-this-page"' in html
    assert "csrfmiddlewaretoken" not in html


@pytest.mark.django_db
def test_a_signed_in_visitor_gets_the_same_page(officer):
    client = Client()
    client.force_login(officer)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="cy")
    html = response.content.decode()
    assert '<html lang="en"' in html  # ?language= only: never the session or the header
    assert officer.email not in html  # no personal data
    assert response.cookies == {}


@pytest.mark.django_db
@pytest.mark.parametrize("code", VICTIM_LANGUAGES)
def test_it_speaks_every_victim_language(code):
    response = Client().get(URL, {"language": code})
    html = response.content.decode()
    direction = "rtl" if code in ("ar", "ur") else "ltr"
    assert f'<html lang="{code}" dir="{direction}"' in html
    with translation.override(code):
        for words in (
            "What happens to your information if you report a crime",
            "What Immigration Enforcement can find out",
            "Exit this page",
        ):
            assert translation.gettext(words) in text_of(response)
            if code != "en":
                assert translation.gettext(words) != words


@pytest.mark.django_db
def test_it_says_what_the_protocol_promises_and_how_to_complain():
    text = text_of(Client().get(URL))
    for says in (
        "What the protocol promises",
        "What the police share, and with whom",
        "They cannot see your address",
        "How long your information is kept",
        "right 12",
        "Information Commissioner's Office",
    ):
        assert says in text


@pytest.mark.django_db
def test_the_policy_values_are_the_running_ones(settings, fresh_policy):
    text = text_of(Client().get(URL))
    assert "it lasts for a further 28 days" in text
    assert "90 days to ask for a review" in text
    assert "28 days from the Crown Court, 21 days from a magistrates' court" in text
    settings.HOLD_POLICY = {
        **settings.HOLD_POLICY,
        "grace_days": 42,
        "vrr_window_days": 120,
    }
    current_policy.cache_clear()
    text = text_of(Client().get(URL))
    assert "it lasts for a further 42 days" in text
    assert "120 days to ask for a review" in text


@pytest.mark.django_db
def test_an_unknown_language_is_english_with_a_notice():
    response = Client().get(URL, {"language": "tlh"})
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    assert "not available in the language you asked for" in text_of(response)


@pytest.mark.django_db
def test_it_answers_only_reads():
    assert Client().post(URL).status_code == 405
