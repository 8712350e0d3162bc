"""A support referral's whole life (issue 11): accept or decline, the referring force told;
consent withdrawn, the organisation's access gone at once; applications owned by their
organisation, with a history and a take-over."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AccessEvent
from protocol.models import Notification
from tests.factories import UserFactory, days_ago, make_referral
from victims.models import (
    Application,
    ApplicationChange,
    Disclosure,
    SupportEngagement,
    VictimGroupObjectPermission,
)
from victims.services import application_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def referred(api, officer, support_org):
    """A victim referred through the API to the support organisation: a new referral."""
    victim = make_referral(officer).victim
    response = api(officer).post(
        f"/api/v1/victims/{victim.pk}/support-referrals",
        {"organisation": support_org.code, "consent_given_on": str(days_ago(3))},
        format="json",
    )
    assert response.status_code == 201, response.content
    return victim


def _referral(victim, organisation) -> SupportEngagement:
    return SupportEngagement.objects.get(victim=victim, organisation=organisation)


def _kinds(organisation) -> list[str]:
    return sorted(
        Notification.objects.filter(organisation=organisation).values_list("kind", flat=True)
    )


def test_a_referral_made_tells_the_organisation_and_is_new_in_both_lists(
    api, officer, adviser, support_org, force, referred
):
    assert _kinds(support_org) == ["support_referral_made"]
    message = Notification.objects.get(organisation=support_org).message
    assert referred.reference in message and referred.family_name not in message
    for user in (adviser, officer):
        body = api(user).get("/api/v1/support-referrals").json()
        assert [row["victim"]["id"] for row in body["results"]] == [str(referred.pk)]
        assert body["results"][0]["status"] == "new"
        assert body["results"][0]["referring_force"]["code"] == force.code
    assert api(adviser).get("/api/v1/support-referrals?status=accepted").json()["results"] == []
    assert api(adviser).get("/api/v1/support-referrals?status=bogus").status_code == 400


def test_accept_tells_the_force_and_cannot_be_repeated(api, adviser, force, support_org, referred):
    referral = _referral(referred, support_org)
    response = api(adviser).post(f"/api/v1/support-referrals/{referral.pk}/accept")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert _kinds(force) == ["support_referral_accepted"]
    again = api(adviser).post(f"/api/v1/support-referrals/{referral.pk}/accept")
    assert again.status_code == 409
    declined = api(adviser).post(
        f"/api/v1/support-referrals/{referral.pk}/decline", {"reason": "x"}, format="json"
    )
    assert declined.status_code == 409
    assert _referral(referred, support_org).status == "referred"


def test_decline_needs_a_reason_closes_the_engagement_and_ends_access(
    api, adviser, officer, force, support_org, referred
):
    referral = _referral(referred, support_org)
    path = f"/api/v1/support-referrals/{referral.pk}/decline"
    missing = api(adviser).post(path, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    blank = api(adviser).post(path, {"reason": "  "}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()
    assert _referral(referred, support_org).referral_status == "new"
    response = api(adviser).post(path, {"reason": "No capacity this month"}, format="json")
    assert response.status_code == 200, response.content
    referral.refresh_from_db()
    assert (referral.status, referral.closed_on) == ("closed", timezone.localdate())
    assert referral.decline_reason == "No capacity this month"
    assert _kinds(force) == ["support_referral_declined"]
    assert api(adviser).get(f"/api/v1/victims/{referred.pk}").status_code == 404
    # Accepting a declined referral: 409, nothing changed.
    accept = api(adviser).post(f"/api/v1/support-referrals/{referral.pk}/accept")
    assert accept.status_code == 409
    referral.refresh_from_db()
    assert referral.referral_status == "declined" and referral.status == "closed"
    police_view = api(officer).get("/api/v1/support-referrals").json()["results"][0]
    assert police_view["status"] == "declined"
    assert police_view["decline_reason"] == "No capacity this month"


def test_police_cannot_decide_and_another_organisation_gets_404(
    api, officer, other_support_org, support_org, referred
):
    referral = _referral(referred, support_org)
    assert api(officer).post(f"/api/v1/support-referrals/{referral.pk}/accept").status_code == 403
    stranger = UserFactory(role="support_adviser", organisation=other_support_org)
    assert api(stranger).post(f"/api/v1/support-referrals/{referral.pk}/accept").status_code == 404
    assert api(stranger).get("/api/v1/support-referrals").json()["results"] == []
    assert AccessEvent.objects.filter(
        object_type="support_referral", object_id=str(referral.pk), outcome="denied"
    ).exists()


# --- Consent withdrawal ------------------------------------------------------------------------


def _withdraw(client, victim, **body):
    return client.post(f"/api/v1/victims/{victim.pk}/consent-withdrawals", body, format="json")


@pytest.mark.parametrize("who", ["officer", "adviser"])
def test_consent_withdrawal_ends_access_at_once(
    request, api, adviser, force, support_org, referred, who
):
    withdrawer = request.getfixturevalue(who)
    today = timezone.localdate()
    response = _withdraw(
        api(withdrawer), referred, organisation=support_org.code, withdrawn_on=str(today)
    )
    assert response.status_code == 201, response.content
    assert response.json()["withdrawn_on"] == str(today)
    engagement = _referral(referred, support_org)
    assert (engagement.status, engagement.closed_on) == ("closed", today)
    assert not VictimGroupObjectPermission.objects.filter(
        content_object=referred, group=support_org.group
    ).exists()
    for path in ("", "/hold", "/disclosures"):
        assert api(adviser).get(f"/api/v1/victims/{referred.pk}{path}").status_code == 404
    assert api(adviser).get("/api/v1/support-referrals").json()["results"] == []
    assert "consent_withdrawn" in _kinds(support_org)
    assert "consent_withdrawn" in _kinds(force)
    entry = Disclosure.objects.get(victim=referred, consent_withdrawn_on__isnull=False)
    assert entry.organisation == support_org and entry.consent_withdrawn_on == today
    listed = (
        api(request.getfixturevalue("officer"))
        .get(f"/api/v1/victims/{referred.pk}/disclosures")
        .json()["results"]
    )
    assert listed[0]["consent_withdrawn_on"] == str(today)
    assert listed[0]["organisation"]["code"] == support_org.code
    again = _withdraw(
        api(request.getfixturevalue("officer")),
        referred,
        organisation=support_org.code,
        withdrawn_on=str(today),
    )
    assert again.status_code == 409
    assert (
        Disclosure.objects.filter(victim=referred, consent_withdrawn_on__isnull=False).count() == 1
    )


def test_consent_withdrawal_is_one_transaction_a_failure_midway_leaves_nothing(
    api, officer, adviser, force, support_org, referred, monkeypatch
):
    """The withdrawal's last step fails (telling the referring force, after the consent, the
    engagement, the grants, the disclosure record, the version bump and the organisation's own
    notification were written): every one of those writes is undone."""
    from protocol.services import support as support_services
    from victims.models import SupportConsent, SupportUpdate, Victim

    real_notify = support_services.notify_organisation
    told: list[str] = []

    def notify_then_fail(*, organisation, **kwargs):
        if told:
            raise RuntimeError("the second notification failed")
        told.append(organisation.code)
        return real_notify(organisation=organisation, **kwargs)

    monkeypatch.setattr(support_services, "notify_organisation", notify_then_fail)
    engagement = _referral(referred, support_org)
    version = Victim.objects.get(pk=referred.pk).facts_version
    # The service itself, outside any transaction of a request's, so that only its own
    # transaction can undo what it wrote.
    with pytest.raises(RuntimeError):
        support_services.consent_withdraw(
            victim=referred,
            by=officer,
            organisation_code=support_org.code,
            withdrawn_on=timezone.localdate(),
        )
    assert len(told) == 1, "the failure came after the other writes"
    assert SupportConsent.objects.get(pk=engagement.consent_id).withdrawn_on is None
    engagement.refresh_from_db()
    assert (engagement.status, engagement.closed_on) != ("closed", timezone.localdate())
    assert not SupportUpdate.objects.filter(engagement=engagement, note="Consent withdrawn")
    assert VictimGroupObjectPermission.objects.filter(
        content_object=referred, group=support_org.group
    ).exists()
    assert not Disclosure.objects.filter(victim=referred, consent_withdrawn_on__isnull=False)
    assert Victim.objects.get(pk=referred.pk).facts_version == version
    assert "consent_withdrawn" not in _kinds(support_org) + _kinds(force)
    assert api(adviser).get(f"/api/v1/victims/{referred.pk}").status_code == 200


def test_consent_withdrawal_refuses_bad_input_and_changes_nothing(
    api, officer, adviser, other_support_org, support_org, referred
):
    client = api(officer)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    cases = [
        ({"organisation": support_org.code, "withdrawn_on": str(tomorrow)}, "withdrawn_on"),
        ({"organisation": support_org.code, "withdrawn_on": str(days_ago(1))}, "withdrawn_on"),
        (
            {"organisation": other_support_org.code, "withdrawn_on": str(days_ago(0))},
            "organisation",
        ),
        ({"organisation": "nobody", "withdrawn_on": str(days_ago(0))}, "organisation"),
        ({"withdrawn_on": str(days_ago(0))}, "organisation"),
        ({"organisation": support_org.code}, "withdrawn_on"),
    ]
    for body, field in cases:
        response = _withdraw(client, referred, **body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    # An adviser may withdraw only for their own organisation.
    mine = _withdraw(
        api(adviser), referred, organisation=other_support_org.code, withdrawn_on=str(days_ago(0))
    )
    assert mine.status_code == 400 and "organisation" in mine.json()
    assert _referral(referred, support_org).status == "referred"
    assert api(adviser).get(f"/api/v1/victims/{referred.pk}").status_code == 200


def test_withdrawal_date_may_not_precede_the_last_contact(
    api, officer, adviser, support_org, referred
):
    api(adviser).post(
        f"/api/v1/victims/{referred.pk}/support",
        {"status": "engaged", "contact_on": str(timezone.localdate())},
        format="json",
    )
    response = _withdraw(
        api(officer), referred, organisation=support_org.code, withdrawn_on=str(days_ago(1))
    )
    assert response.status_code == 400
    assert "last recorded contact" in response.json()["withdrawn_on"][0]


def test_another_force_gets_404(api, other_officer, support_org, referred):
    response = _withdraw(
        api(other_officer), referred, organisation=support_org.code, withdrawn_on=str(days_ago(0))
    )
    assert response.status_code == 404


# --- Applications --------------------------------------------------------------------------


@pytest.fixture
def two_organisations(api, officer, adviser, other_support_org, referred):
    """The victim supported by two organisations; an application of the first."""
    api(officer).post(
        f"/api/v1/victims/{referred.pk}/support-referrals",
        {"organisation": other_support_org.code, "consent_given_on": str(days_ago(1))},
        format="json",
    )
    other_adviser = UserFactory(role="support_adviser", organisation=other_support_org)
    application = application_create(
        victim=referred, by=adviser, route="asylum", status="submitted", submitted_on=days_ago(2)
    )
    return application, other_adviser


def test_only_the_owning_organisation_changes_an_application(api, adviser, two_organisations):
    application, other_adviser = two_organisations
    path = f"/api/v1/applications/{application.pk}"
    assert (
        api(other_adviser)
        .patch(path, {"status": "withdrawn", "decided_on": str(days_ago(0))}, format="json")
        .status_code
        == 404
    )
    assert api(other_adviser).get(path).status_code == 404
    application.refresh_from_db()
    assert application.status == "submitted"
    response = api(adviser).patch(
        path, {"status": "refused", "decided_on": str(days_ago(0))}, format="json"
    )
    assert response.status_code == 200, response.content
    history = response.json()["history"]
    changed = {(row["field"], row["from_value"], row["to_value"]) for row in history}
    assert ("status", "submitted", "refused") in changed
    assert ("decided_on", "", str(days_ago(0))) in changed
    assert ("route", "", "asylum") in changed  # the recording itself
    assert {row["by"] for row in history} == {adviser.email}
    assert api(adviser).get(path).json()["history"] == history


def test_take_over_after_the_owner_loses_access(
    api, officer, adviser, support_org, two_organisations, referred
):
    application, other_adviser = two_organisations
    take = f"/api/v1/applications/{application.pk}/take-over"
    assert api(other_adviser).post(take).status_code == 409  # the owner still supports them
    assert api(adviser).post(take).status_code == 409  # already theirs
    _withdraw(api(officer), referred, organisation=support_org.code, withdrawn_on=str(days_ago(0)))
    application.refresh_from_db()
    assert application.status == "submitted"  # keeps counting as it stands
    assert api(adviser).get(f"/api/v1/applications/{application.pk}").status_code == 404
    response = api(other_adviser).post(take)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["organisation"]["code"] == other_adviser.organisation.code
    assert body["history"][0]["field"] == "organisation"
    assert body["history"][0]["from_value"] == support_org.code
    assert api(other_adviser).patch(
        f"/api/v1/applications/{application.pk}", {"status": "challenge_lodged"}, format="json"
    ).status_code in (200, 400)
    stranger = UserFactory(role="support_adviser", organisation=support_org)
    assert api(stranger).post(take).status_code == 404
    assert (
        ApplicationChange.objects.filter(application=application, field="organisation").count() == 1
    )
    assert Application.objects.get(pk=application.pk).organisation == other_adviser.organisation
