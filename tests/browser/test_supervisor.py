"""A police supervisor decides a possible duplicate with the other force, in Chromium: the
supervisor of one force proposes the merge, the other force's supervisor confirms it, and the
person has one record and one hold (API.md "One person, one record")."""

import re

import pytest
from playwright.sync_api import expect

from protocol.models import Hold
from tests.factories import PASSWORD, UserFactory, make_referral
from victims.models import PossibleDuplicate, Victim

pytestmark = [pytest.mark.browser]

PERSON = {"given_names": "Mirela", "family_name": "Dumitrescu", "nationality": "ROU"}


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_two_forces_supervisors_merge_a_possible_duplicate(
    browser_for, officer, other_officer, javascript
):
    first = make_referral(officer, victim=PERSON)
    second = make_referral(other_officer, victim={**PERSON, "nationality": "MDA"})
    north = UserFactory(
        role="police_supervisor", organisation=officer.organisation, email="sup@north.example"
    )
    south = UserFactory(
        role="police_supervisor", organisation=other_officer.organisation, email="sup@south.example"
    )

    tab = browser_for(javascript=javascript)
    page = tab.page
    tab.sign_in(north.email, PASSWORD)
    page.get_by_role("link", name="Possible duplicates").first.click()
    page.wait_for_url(re.compile(r"/victims/possible-duplicates$"))
    tab.check("possible-duplicates" + ("" if javascript else "-no-javascript"))
    card = page.locator(".govuk-summary-card", has_text=first.victim.reference)
    expect(card).to_contain_text(second.victim.reference)
    expect(card).to_contain_text("Nationality: differs")
    card.get_by_role("button", name=re.compile("Propose merging")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You proposed merging")
    card = page.locator(".govuk-summary-card", has_text=first.victim.reference)
    expect(card.get_by_role("button", name=re.compile("merg"))).to_have_count(0)
    tab.check("possible-duplicates-proposed" + ("" if javascript else "-no-javascript"))
    tab.sign_out()

    tab.sign_in(south.email, PASSWORD)
    tab.go("/victims/possible-duplicates")
    card = page.locator(".govuk-summary-card", has_text=first.victim.reference)
    expect(card).to_contain_text("Proposed by a supervisor of")
    card.get_by_role("button", name=re.compile("Confirm the merge")).click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(f"The records were merged into {first.victim.reference}")
    expect(page.get_by_text("There are no possible duplicates")).to_be_visible()
    tab.check("possible-duplicates-merged" + ("" if javascript else "-no-javascript"))

    assert not Victim.objects.filter(pk=second.victim.pk).exists()
    assert Hold.objects.filter(victim=first.victim).count() == 1
    assert PossibleDuplicate.objects.get().status == "merged"
