"""Which language a page speaks: the link on every page (kept for the session),
`Accept-Language`, `?language=` on the victim-facing pages; right to left for Arabic and Urdu;
the unreviewed note; an unknown language; dates and country names localised."""

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from core.languages import VICTIM_LANGUAGES, country_name
from tests.factories import make_referral

from ..pages.conftest import text_of


@pytest.fixture
def victim(officer):
    return make_referral(officer).victim


def test_accept_language_chooses_welsh_when_none_was_chosen(client, officer):
    client.force_login(officer)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="cy-GB,cy;q=0.9,en;q=0.8")
    html = response.content.decode()
    assert '<html lang="cy" dir="ltr"' in html
    assert "Neidio i&#x27;r prif gynnwys" in html or "Neidio i'r prif gynnwys" in html
    assert "Allgofnodi" in html  # "Sign out"


def test_a_language_the_page_does_not_speak_falls_back_to_english(client, officer):
    """Polish is a victim language, not a language of every page."""
    client.force_login(officer)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="pl")
    assert '<html lang="en" dir="ltr"' in response.content.decode()


def test_the_language_link_is_kept_for_the_session(client, officer):
    client.force_login(officer)
    home = client.get(reverse("home")).content.decode()
    assert 'href="/language/cy?next=/"' in home
    response = client.get(reverse("choose_language", args=["cy"]), {"next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    for page in (reverse("home"), reverse("cases:list")):
        html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<html lang="cy"' in html, page
    client.get(reverse("choose_language", args=["en"]), {"next": "/"})
    assert '<html lang="en"' in client.get(reverse("home")).content.decode()


def test_the_language_link_goes_back_only_to_this_site(client, officer):
    client.force_login(officer)
    response = client.get(
        reverse("choose_language", args=["cy"]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("code", VICTIM_LANGUAGES)
def test_the_record_speaks_every_victim_language(client, officer, victim, code):
    client.force_login(officer)
    response = client.get(reverse("victims:record", args=[victim.pk]), {"language": code})
    html = response.content.decode()
    direction = "rtl" if code in ("ar", "ur") else "ltr"
    assert f'<html lang="{code}" dir="{direction}"' in html
    with translation.override(code):
        today = formats.date_format(timezone.localdate(), "j F Y")
        title = translation.gettext("Your protection from immigration enforcement")
    assert today in text_of(response)
    assert title in text_of(response)
    if code != "en":
        assert title != "Your protection from immigration enforcement"
        # Not reviewed yet: said so, with the English page a link away.
        assert 'id="language-unreviewed"' in html
        assert f"{reverse('victims:record', args=[victim.pk])}?language=en" in html
    else:
        assert 'id="language-unreviewed"' not in html


def test_an_unknown_language_falls_back_to_english_and_says_so(client, officer, victim):
    client.force_login(officer)
    response = client.get(reverse("victims:record", args=[victim.pk]), {"language": "xx"})
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    assert "not available in the language you asked for" in text_of(response)


def test_a_message_without_a_translation_is_english_whole(client, officer, victim):
    """The staff chrome is not translated into Polish: it is English, whole, beside Polish."""
    client.force_login(officer)
    text = text_of(client.get(reverse("victims:record", args=[victim.pk]), {"language": "pl"}))
    assert "Official – sensitive. Everything you view here is recorded." in text
    assert "Twoja ochrona przed działaniami służb imigracyjnych" in text


def test_nationality_is_a_country_name_in_the_pages_language(client, officer, victim):
    client.force_login(officer)
    html = client.get(reverse("victims:detail", args=[victim.pk])).content.decode()
    assert '<dd class="govuk-summary-list__value">Senegal</dd>' in html
    assert country_name("ALB", "sq") == "Shqipëri"
    assert country_name("SEN", "ar") == "السنغال"
    assert country_name("XYZ", "en") == "XYZ"
