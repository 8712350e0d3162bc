"""The notifications page (with the header's unread count) and the subject access page in
Chromium, each checked by axe; marking a notification read works without JavaScript."""

import pytest

from protocol import services
from tests.factories import PASSWORD, UserFactory, make_referred

pytestmark = pytest.mark.browser


def test_an_officer_reads_notifications_and_a_supervisor_prints_a_subject_access_export(
    browser_for, officer, senior, senior2, support_org, celery_queue
):
    referral = make_referred(officer, support_org)
    override = services.override_request(
        hold_reference=referral.hold.reference,
        by=senior,
        category="serious_harm_risk",
        justification="Risk to others",
        expires_on=None,
    )
    services.override_approve(override_id=override.pk, by=senior2)

    tab = browser_for(javascript=False)
    tab.sign_in(officer.email, PASSWORD)
    assert "1 unread" in tab.text(".govuk-service-navigation")
    tab.go("/notifications")
    tab.check("notifications")
    assert "Override approved" in tab.text("main")
    tab.page.get_by_role("button", name="Mark as read").click()
    tab.check("notifications-read")
    assert "Unread" not in tab.text("main")
    assert "unread" not in tab.text(".govuk-service-navigation")
    tab.close()

    supervisor = UserFactory(role="police_supervisor", organisation=officer.organisation)
    tab = browser_for()
    tab.sign_in(supervisor.email, PASSWORD)
    tab.go(f"/victims/{referral.victim.pk}/export")
    tab.check("subject-access")
    assert "Everything held about" in tab.text("h1")
    assert "Assault at home by partner." in tab.text("main")
    tab.close()
