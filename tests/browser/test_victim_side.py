"""The victim's side in Chromium: the printable record and the public page in every victim
language, axe clean (lang and dir on the root element included), right to left for Arabic and
Urdu; the public page sets no cookie; the signposting page. Screenshots in /tmp/screens/."""

import pytest

from core.languages import VICTIM_LANGUAGES
from tests.factories import PASSWORD, make_referral

pytestmark = pytest.mark.browser


def root_of(tab) -> tuple[str, str]:
    return tab.page.evaluate("[document.documentElement.lang, document.documentElement.dir]")


def expected_dir(code: str) -> str:
    return "rtl" if code in ("ar", "ur") else "ltr"


def test_the_public_page_in_every_language(browser_for):
    tab = browser_for()
    for code in VICTIM_LANGUAGES:
        response = tab.go(f"/protocol?language={code}")
        assert response.status == 200
        assert root_of(tab) == [code, expected_dir(code)]
        tab.check(f"public-protocol-{code}")
        assert tab.page.locator(".govuk-exit-this-page").count() == 1
    assert tab.context.cookies() == []  # nothing kept on the device
    tab.go("/protocol?language=xx")
    assert root_of(tab) == ["en", "ltr"]
    tab.check("public-protocol-unknown-language")


def test_the_exit_button_leaves_the_page(browser_for):
    tab = browser_for()
    tab.go("/protocol?language=ur")
    tab.page.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(body="Weather"))
    tab.page.locator(".govuk-exit-this-page__button").click()
    tab.page.wait_for_url("https://www.bbc.co.uk/**")


def test_the_record_in_every_language(browser_for, officer):
    referral = make_referral(officer)
    tab = browser_for()
    tab.sign_in(officer.email, PASSWORD)
    for code in VICTIM_LANGUAGES:
        tab.go(f"/victims/{referral.victim.pk}/record?language={code}")
        assert root_of(tab) == [code, expected_dir(code)]
        tab.check(f"victim-record-{code}")


def test_the_signposting_page_and_the_welsh_service(browser_for, officer):
    referral = make_referral(officer, victim={"nationality": "POL"})
    tab = browser_for()
    tab.sign_in(officer.email, PASSWORD)
    tab.page.get_by_role("link", name="Cymraeg").click()
    assert root_of(tab) == ["cy", "ltr"]
    tab.check("home-welsh")
    tab.go(f"/victims/{referral.victim.pk}/signposting")
    assert root_of(tab) == ["cy", "ltr"]  # kept for the session
    tab.check("signposting-cy")
    assert "Cais hwyr i Gynllun Preswylio'r UE" in tab.text("main")
    tab.go(f"/victims/{referral.victim.pk}/signposting?language=ar")
    assert root_of(tab) == ["ar", "rtl"]
    tab.check("signposting-ar")
