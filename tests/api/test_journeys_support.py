"""Support advisers: only victims referred to their organisation; no crime narrative, no police
notes; engagement updates and applications; the hold."""

from protocol import services as hold_services
from tests.factories import days_ago
from victims.models import Application, SupportUpdate


def test_advisers_list_only_cases_of_victims_referred_to_them_without_narrative(w):
    client = w.client("support_adviser")
    w.client("police_officer").post(
        f"/api/v1/cases/{w.own['case'].pk}/status",
        {"investigation_status": "suspect_bailed", "note": "Police-only note."},
        format="json",
    )
    cases = client.get("/api/v1/cases").json()["results"]
    assert [case["id"] for case in cases] == [str(w.own["case"].pk)]
    assert "narrative" not in cases[0]
    case = client.get(f"/api/v1/cases/{w.own['case'].pk}").json()
    assert "narrative" not in case
    assert case["status_changes"] == [
        {
            "at": case["status_changes"][0]["at"],
            "changes": {"investigation_status": ["under_investigation", "suspect_bailed"]},
        }
    ]
    assert "Police-only note." not in str(case)
    assert client.get(f"/api/v1/cases/{w.other['case'].pk}").status_code == 404


def test_advisers_see_the_victim_and_hold_but_not_another_organisations_victim(w):
    client = w.client("support_adviser")
    body = client.get(f"/api/v1/victims/{w.own['victim'].pk}").json()
    assert body["family_name"] == "Diallo"
    assert body["support_engagements"][0]["organisation"]["code"] == "haven"
    assert "narrative" not in str(body)
    assert client.get(f"/api/v1/victims/{w.own['victim'].pk}/hold").status_code == 200
    for path in ("", "/hold", "/disclosures"):
        assert client.get(f"/api/v1/victims/{w.other['victim'].pk}{path}").status_code == 404
    # A victim of the adviser's own area but never referred to them: 404 too.
    assert client.get(f"/api/v1/victims/{w.review['victim'].pk}").status_code == 404


def test_advisers_record_engagement_updates(w):
    client = w.client("support_adviser")
    url = f"/api/v1/victims/{w.own['victim'].pk}/support"
    # The engagement started today, when the police referred the victim.
    engaged = client.post(
        url,
        {"status": "engaged", "contact_on": days_ago(0).isoformat(), "note": "Met."},
        format="json",
    )
    assert engaged.status_code == 200, engaged.json()
    assert engaged.json()["status"] == "engaged"
    assert engaged.json()["last_contact_on"] == days_ago(0).isoformat()
    no_end = client.post(url, {"status": "closed"}, format="json")
    assert no_end.status_code == 400 and "closed_on" in no_end.json()
    before_start = client.post(
        url, {"status": "closed", "closed_on": days_ago(100).isoformat()}, format="json"
    )
    assert before_start.status_code == 400 and "closed_on" in before_start.json()
    closed = client.post(
        url, {"status": "closed", "closed_on": days_ago(0).isoformat()}, format="json"
    )
    assert closed.status_code == 200
    assert SupportUpdate.objects.filter(engagement__victim=w.own["victim"]).count() == 2
    # The organisation's access ended with its engagement: the victim is gone for it.
    reopen = client.post(url, {"status": "engaged"}, format="json")
    assert reopen.status_code == 404


def test_an_adviser_of_another_organisation_cannot_update_or_see(w):
    client = w.client("other_adviser")
    response = client.post(
        f"/api/v1/victims/{w.own['victim'].pk}/support", {"status": "engaged"}, format="json"
    )
    assert response.status_code == 404
    patch = client.patch(
        f"/api/v1/applications/{w.own['application'].pk}", {"status": "granted"}, format="json"
    )
    assert patch.status_code == 404


def test_advisers_record_and_update_applications_and_the_hold_follows(w):
    client = w.client("support_adviser")
    victim = w.own["victim"]
    created = client.post(
        f"/api/v1/victims/{victim.pk}/applications",
        {"route": "nrm", "status": "referred", "submitted_on": days_ago(3).isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    application_id = created.json()["id"]
    wrong_status = client.patch(
        f"/api/v1/applications/{application_id}", {"status": "granted"}, format="json"
    )
    assert wrong_status.status_code == 400 and "status" in wrong_status.json()
    route = client.patch(
        f"/api/v1/applications/{application_id}", {"route": "asylum"}, format="json"
    )
    assert route.status_code == 400 and "route" in route.json()
    decided = client.patch(
        f"/api/v1/applications/{application_id}",
        {"status": "cg_positive", "decided_on": days_ago(1).isoformat()},
        format="json",
    )
    assert decided.status_code == 200, decided.json()
    assert Application.objects.get(pk=application_id).status == "cg_positive"

    granted = client.patch(
        f"/api/v1/applications/{w.own['application'].pk}",
        {"status": "granted", "decided_on": days_ago(0).isoformat()},
        format="json",
    )
    assert granted.status_code == 200, granted.json()
    hold_services.hold_reevaluate(victim_id=victim.pk)
    hold = client.get(f"/api/v1/victims/{victim.pk}/hold").json()
    assert hold["status"] == "regularised" and hold["in_force"] is False
    assert any(line.startswith("H10") for line in hold["explanation"])


def test_advisers_may_not_refer_or_change_case_status(w):
    client = w.client("support_adviser")
    referral = client.post(
        f"/api/v1/victims/{w.own['victim'].pk}/support-referrals",
        {"organisation": "anchor", "consent_given_on": days_ago(1).isoformat()},
        format="json",
    )
    assert referral.status_code == 403
    status = client.post(
        f"/api/v1/cases/{w.own['case'].pk}/status",
        {"investigation_status": "reopened"},
        format="json",
    )
    assert status.status_code == 403
