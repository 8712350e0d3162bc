"""Police: log a referral, list and read their cases, record status changes, refer to support,
read the hold and the disclosures."""

from django.utils import timezone

from accounts.models import AccessEvent
from cases.models import Case, CaseStatusChange
from protocol import services as hold_services
from protocol.models import Hold
from tests.factories import days_ago
from victims.models import DataSharingNotice, Dependant, Disclosure, SupportEngagement, Victim


def referral_body(**overrides):
    body = {
        "victim": {
            "given_names": "Nadia",
            "family_name": "Haddad",
            "date_of_birth": "1992-02-29",
            "nationality": "syr",
            "home_office_reference": "H 123 456",
            "preferred_language": "AR",
            "interpreter_needed": True,
            "contact": "Call via refuge staff",
            "address": "Refuge, address withheld",
        },
        "case": {
            "crime_reference": "NS/2026/0001",
            "crime_type": "domestic_abuse",
            "role": "victim",
            "reported_on": days_ago(10).isoformat(),
            "investigation_status": "under_investigation",
            "narrative": "Assault at home.",
        },
        "dependants": [
            {"given_names": "Sami", "family_name": "Haddad", "date_of_birth": "2019-06-01"}
        ],
        "notice": {"version": "2026-01", "language": "ar", "given_on": days_ago(9).isoformat()},
    }
    body.update(overrides)
    return body


def test_a_referral_creates_victim_case_and_a_hold_in_force_at_once(w):
    response = w.client("police_officer").post("/api/v1/referrals", referral_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"victim", "case", "hold", "joined"}
    assert body["joined"] is False
    assert body["hold"] == {
        "reference": body["hold"]["reference"],
        "status": "active",
        "in_force": True,
    }
    assert body["victim"]["reference"].startswith("V-")
    assert body["case"]["reference"].startswith("C-")
    assert body["hold"]["reference"].startswith("H-")
    victim = Victim.objects.get(pk=body["victim"]["id"])
    assert victim.nationality == "SYR" and victim.preferred_language == "ar"
    assert Hold.objects.get(victim=victim).reference == body["hold"]["reference"]
    assert Dependant.objects.filter(victim=victim).count() == 1
    assert DataSharingNotice.objects.filter(victim=victim).count() == 1
    case = Case.objects.get(pk=body["case"]["id"])
    assert case.referred_on == timezone.localdate()  # defaults to today
    events = AccessEvent.objects.filter(action="create", actor=w.users["police_officer"])
    assert {(e.object_type, e.object_id) for e in events} >= {
        ("case", body["case"]["id"]),
        ("victim", body["victim"]["id"]),
    }


def test_a_second_referral_of_a_known_victim_adds_a_case(w):
    body = referral_body(victim_id=str(w.own["victim"].pk))
    del body["victim"]
    response = w.client("police_supervisor").post("/api/v1/referrals", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["victim"]["id"] == str(w.own["victim"].pk)
    assert w.own["victim"].cases.count() == 2


def test_a_referral_of_another_forces_victim_is_refused_without_saying_whether_it_exists(w):
    body = referral_body(victim_id=str(w.other["victim"].pk))
    del body["victim"]
    before = Case.objects.count()
    response = w.client("police_officer").post("/api/v1/referrals", body, format="json")
    assert response.status_code == 400
    assert "victim_id" in response.json()
    body["victim_id"] = "5f0c6d1e-0000-4000-8000-000000000000"
    unknown = w.client("police_officer").post("/api/v1/referrals", body, format="json")
    assert unknown.status_code == 400 and unknown.json() == response.json()
    assert Case.objects.count() == before


def test_police_list_only_their_forces_cases_filtered_and_paginated(
    w, django_assert_max_num_queries
):
    client = w.client("police_officer")
    response = client.get("/api/v1/cases")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    ids = {case["id"] for case in body["results"]}
    assert str(w.own["case"].pk) in ids
    assert str(w.other["case"].pk) not in ids
    assert all(case["force"]["code"] == "northshire" for case in body["results"])
    assert all("narrative" not in case for case in body["results"])

    closed = client.get("/api/v1/cases", {"status": "no_further_action"}).json()["results"]
    assert [case["id"] for case in closed] == [str(w.review["victim"].cases.get().pk)]
    due = client.get("/api/v1/cases", {"hold_status": "review_due"}).json()["results"]
    assert len(due) == 1 and due[0]["hold"]["status"] == "review_due"

    first = client.get("/api/v1/cases", {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert second["results"][0]["id"] != first["results"][0]["id"]


def test_police_read_their_case_with_narrative_and_notes(w):
    client = w.client("police_officer")
    case = w.own["case"]
    changed = client.post(
        f"/api/v1/cases/{case.pk}/status",
        {"investigation_status": "suspect_bailed", "note": "Bail to 1 March."},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    body = client.get(f"/api/v1/cases/{case.pk}").json()
    assert body["narrative"] == "Assault at home by partner."
    assert body["investigation_status"] == "suspect_bailed"
    assert body["status_changes"][0]["note"] == "Bail to 1 March."
    assert body["status_changes"][0]["changes"] == {
        "investigation_status": ["under_investigation", "suspect_bailed"]
    }
    assert body["status_changes"][0]["by"] == "officer@northshire.example"


def test_another_forces_case_is_a_404_and_the_attempt_is_recorded(w):
    case = w.other["case"]
    response = w.client("police_officer").get(f"/api/v1/cases/{case.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    event = AccessEvent.objects.filter(object_type="case", object_id=str(case.pk)).first()
    assert event.outcome == "denied" and event.actor_email == "officer@northshire.example"
    missing = w.client("police_officer").get("/api/v1/cases/5f0c6d1e-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and missing.json() == response.json()


def test_a_status_change_is_checked_and_the_hold_follows_after_the_worker(w):
    client = w.client("police_officer")
    case = w.own["case"]
    url = f"/api/v1/cases/{case.pk}/status"
    missing_date = client.post(url, {"investigation_status": "no_further_action"}, format="json")
    assert missing_date.status_code == 400
    assert "closed_on" in missing_date.json()
    too_early = client.post(
        url,
        {"investigation_status": "no_further_action", "closed_on": days_ago(365).isoformat()},
        format="json",
    )
    assert too_early.status_code == 400 and "closed_on" in too_early.json()
    assert not CaseStatusChange.objects.filter(case=case).exists()

    together = client.post(
        url,
        {
            "investigation_status": "charged",
            "outcome_code": 1,
            "prosecution_status": "awaiting_trial",
        },
        format="json",
    )
    assert together.status_code == 200, together.json()
    victim = w.own["victim"]
    victim.refresh_from_db()
    hold = Hold.objects.get(victim=victim)
    assert hold.evaluated_version < victim.facts_version  # the worker has not run yet
    assert client.get(f"/api/v1/victims/{victim.pk}/hold").json()["reevaluation_pending"] is True
    hold_services.hold_reevaluate(victim_id=victim.pk)  # what the worker does
    body = client.get(f"/api/v1/victims/{victim.pk}/hold").json()
    assert body["reevaluation_pending"] is False
    assert "prosecution_ongoing" in body["grounds"]


def test_police_refer_to_support_with_consent_and_the_disclosure_is_listed(w):
    client = w.client("police_officer")
    victim = w.own["victim"]
    url = f"/api/v1/victims/{victim.pk}/support-referrals"
    without = client.post(url, {"organisation": "anchor"}, format="json")
    assert without.status_code == 400
    assert "consent" in without.json()["consent_given_on"][0]
    unknown = client.post(
        url, {"organisation": "nobody", "consent_given_on": days_ago(1).isoformat()}, format="json"
    )
    assert unknown.status_code == 400 and "organisation" in unknown.json()
    again = client.post(
        url, {"organisation": "haven", "consent_given_on": days_ago(1).isoformat()}, format="json"
    )
    assert again.status_code == 409
    response = client.post(
        url, {"organisation": "anchor", "consent_given_on": days_ago(1).isoformat()}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["organisation"] == {"code": "anchor", "name": "Anchor Advice"}
    assert response.json()["status"] == "referred"
    assert SupportEngagement.objects.filter(victim=victim, organisation__code="anchor").exists()

    disclosures = client.get(f"/api/v1/victims/{victim.pk}/disclosures").json()
    latest = disclosures["results"][0]
    assert set(latest) == {"at", "organisation", "categories", "purpose", "consent_withdrawn_on"}
    assert latest["consent_withdrawn_on"] is None
    assert latest["organisation"] == {"code": "anchor", "name": "Anchor Advice"}
    assert {"code": "identity", "label": "Name and date of birth"} in latest["categories"]
    assert {"code": "nationality", "label": "Nationality"} in latest["categories"]
    assert "consent" in latest["purpose"]
    assert Disclosure.objects.filter(victim=victim).count() == len(disclosures["results"])


def test_police_read_the_victim_and_the_hold_with_explanation_and_history(w):
    client = w.client("police_officer")
    victim = w.own["victim"]
    body = client.get(f"/api/v1/victims/{victim.pk}").json()
    assert body["given_names"] == "Amina" and body["address"]
    assert body["dependants"] == [
        {"given_names": "Moussa", "family_name": "Diallo", "date_of_birth": "2018-03-02"}
    ]
    assert [case["id"] for case in body["cases"]] == [str(w.own["case"].pk)]
    assert body["hold"]["in_force"] is True

    hold = client.get(f"/api/v1/victims/{victim.pk}/hold").json()
    assert {
        "reference",
        "status",
        "in_force",
        "grounds",
        "protected_until",
        "flags",
        "explanation",
        "ruleset",
        "evaluated_at",
        "history",
    } <= set(hold)
    assert hold["status"] == "active"
    assert any(line.startswith("H11") for line in hold["explanation"])
    assert hold["ruleset"]["version"]
    # The referral's decision, then the support referral and application re-evaluated later.
    hold_services.hold_reevaluate(victim_id=victim.pk)
    client.post(
        f"/api/v1/cases/{w.own['case'].pk}/status",
        {
            "investigation_status": "no_further_action",
            "closed_on": days_ago(1).isoformat(),
            "outcome_code": 14,
        },
        format="json",
    )
    hold_services.hold_reevaluate(victim_id=victim.pk)
    history = client.get(f"/api/v1/victims/{victim.pk}/hold").json()["history"]
    assert history, "earlier decisions are listed"
    stamps = [entry["evaluated_at"] for entry in history]
    assert stamps == sorted(stamps, reverse=True)
    assert set(history[0]) >= {"status", "in_force", "grounds", "explanation", "ruleset"}


def test_another_forces_victim_is_a_404_on_every_victim_endpoint(w):
    client = w.client("police_officer")
    victim = w.other["victim"]
    for path in ("", "/hold", "/disclosures"):
        assert client.get(f"/api/v1/victims/{victim.pk}{path}").status_code == 404
    response = client.post(
        f"/api/v1/victims/{victim.pk}/support-referrals",
        {"organisation": "anchor", "consent_given_on": days_ago(1).isoformat()},
        format="json",
    )
    assert response.status_code == 404
    denied = AccessEvent.objects.filter(object_id=str(victim.pk), outcome="denied")
    assert denied.count() == 4
