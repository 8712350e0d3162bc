"""What-if forecast (API.md "Evaluating the protocol"): the decision as it would be on a date
with the caller's own facts changed; nothing stored, nobody notified."""

from datetime import date, timedelta

from protocol.models import Hold, HoldDecision, Notification
from protocol.policy import current_policy
from protocol.rules import evaluate
from protocol.snapshot import snapshot_for


def _post(w, role, victim, body):
    return w.client(role).post(f"/api/v1/victims/{victim.pk}/hold/forecast", body, format="json")


def test_police_forecast_a_conclusion_and_nothing_is_stored(w):
    victim, case = w.own["victim"], w.own["case"]
    hold = Hold.objects.get(victim=victim)
    stored = (hold.status, hold.protected_until, HoldDecision.objects.count())
    notifications = Notification.objects.count()
    on = date.today() + timedelta(days=40)
    concluded = (date.today() + timedelta(days=30)).isoformat()
    response = _post(
        w,
        "police_officer",
        victim,
        {
            "on": on.isoformat(),
            "changes": [
                {
                    "case": str(case.pk),
                    "investigation_status": "charged",
                    "prosecution_status": "sentenced",
                    "court": "crown",
                    "concluded_on": concluded,
                }
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"status", "in_force", "protected_until", "explanation", "grounds"} <= set(body)
    # The change is in the answer: sentenced at the Crown Court 10 days before `on`, the case
    # protects through its appeal window (H4), no longer as an investigation under way (H1).
    assert "appeal_window" in body["grounds"], body
    assert "investigation_ongoing" not in body["grounds"], body
    assert any(line.startswith("H4") for line in body["explanation"]), body["explanation"]
    assert body["in_force"] is True
    unchanged = _post(w, "police_officer", victim, {"on": on.isoformat(), "changes": []}).json()
    assert "investigation_ongoing" in unchanged["grounds"]
    assert "appeal_window" not in unchanged["grounds"]
    hold.refresh_from_db()
    assert (hold.status, hold.protected_until, HoldDecision.objects.count()) == stored
    assert Notification.objects.count() == notifications


def test_a_forecast_with_no_change_is_the_decision_on_that_date(w):
    on = date.today() + timedelta(days=1)
    response = _post(w, "police_officer", w.own["victim"], {"on": on.isoformat(), "changes": []})
    assert response.status_code == 200
    body = response.json()
    # What the rules decide on that date from the recorded facts, field by field.
    decision = evaluate(snapshot_for(w.own["victim"].pk).facts, on, current_policy())
    assert (body["status"], body["in_force"], body["grounds"]) == (
        decision.status,
        decision.in_force,
        list(decision.grounds),
    )
    until = decision.protected_until
    assert body["protected_until"] == (until.isoformat() if until else None)
    assert body["status"] == Hold.objects.get(victim=w.own["victim"]).status


def test_other_records_are_404_and_bad_input_names_the_field(w):
    victim = w.own["victim"]
    on = (date.today() + timedelta(days=5)).isoformat()
    other_case = w.other["case"]
    assert (
        _post(
            w,
            "police_officer",
            victim,
            {
                "on": on,
                "changes": [{"case": str(other_case.pk), "investigation_status": "charged"}],
            },
        ).status_code
        == 404
    )
    assert _post(w, "police_officer", w.other["victim"], {"on": on}).status_code == 404
    bad = _post(
        w,
        "police_officer",
        victim,
        {"on": on, "changes": [{"case": str(w.own["case"].pk), "investigation_status": "solved"}]},
    )
    assert bad.status_code == 400 and "changes[0].investigation_status" in bad.json()
    past = _post(w, "police_officer", victim, {"on": "2020-01-01"})
    assert past.status_code == 400 and "on" in past.json()
    late = _post(
        w,
        "police_officer",
        victim,
        {
            "on": on,
            "changes": [
                {
                    "case": str(w.own["case"].pk),
                    "closed_on": "2999-01-01",
                    "investigation_status": "no_further_action",
                }
            ],
        },
    )
    assert late.status_code == 400 and "changes[0].closed_on" in late.json()


def test_an_adviser_may_not_change_a_case_in_a_forecast(w):
    on = (date.today() + timedelta(days=5)).isoformat()
    response = _post(
        w,
        "support_adviser",
        w.own["victim"],
        {"on": on, "changes": [{"case": str(w.own["case"].pk), "investigation_status": "charged"}]},
    )
    assert response.status_code == 404
    assert _post(w, "analyst", w.own["victim"], {"on": on}).status_code == 403
