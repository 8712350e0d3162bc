"""Crimes never reported (API.md "Evaluating the protocol"): advisers record them with no
identity; only their organisation may change them; the statistics count them, suppressed."""

from datetime import date

from victims.models import UnreportedCrime

BODY = {
    "crime_type": "domestic_abuse",
    "nationality": "alb",
    "recorded_on": date.today().isoformat(),
    "reasons": ["fear_of_immigration_consequences", "fear_of_perpetrator"],
}


def test_an_adviser_records_and_later_marks_reported(w):
    adviser = w.client("support_adviser")
    response = adviser.post("/api/v1/unreported-crimes", BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["nationality"] == "ALB" and body["reported_later"] is False
    assert set(body) == {
        "id",
        "crime_type",
        "nationality",
        "recorded_on",
        "reasons",
        "reported_later",
    }
    changed = adviser.patch(
        f"/api/v1/unreported-crimes/{body['id']}", {"reported_later": True}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["reported_later"] is True
    other = w.client("other_adviser").patch(
        f"/api/v1/unreported-crimes/{body['id']}", {"reported_later": False}, format="json"
    )
    assert other.status_code == 404
    assert UnreportedCrime.objects.get().reported_later is True


def test_bad_input_names_the_field_and_writes_nothing(w):
    adviser = w.client("support_adviser")
    for field, value in (
        ("reasons", ["bored"]),
        ("reasons", []),
        ("nationality", "Albania"),
        ("crime_type", "burglary"),
        ("recorded_on", "2999-01-01"),
    ):
        response = adviser.post("/api/v1/unreported-crimes", {**BODY, field: value}, format="json")
        assert response.status_code == 400, (field, value)
        assert field in response.json()
    assert not UnreportedCrime.objects.exists()


def test_police_and_analysts_may_not_record(w):
    for role in ("police_officer", "analyst"):
        assert (
            w.client(role).post("/api/v1/unreported-crimes", BODY, format="json").status_code == 403
        )


def test_the_statistics_count_them_beside_reported_crimes(w):
    adviser = w.client("support_adviser")
    for _ in range(6):
        assert adviser.post("/api/v1/unreported-crimes", BODY, format="json").status_code == 201
    adviser.post("/api/v1/unreported-crimes", {**BODY, "reasons": ["reconciled"]}, format="json")
    body = w.client("analyst").get("/api/v1/statistics", {"by": "crime_type"}).json()
    tables = {t["measure"]: t for t in body["barriers"]["tables"]}
    row = next(r for r in tables["unreported_crimes"]["rows"] if r["key"] == "domestic_abuse")
    assert row["total"] == 7
    reasons = tables["unreported_crimes_by_reason"]
    keys = [c["key"] for c in reasons["columns"]]
    cells = dict(zip(keys, reasons["rows"][0]["cells"], strict=True))
    assert cells["fear_of_perpetrator"] == 6 and cells["reconciled"] is None
    # By force, they have no force: one row, "not reported to the police".
    by_force = w.client("analyst").get("/api/v1/statistics", {"by": "force"}).json()
    unreported = next(
        t for t in by_force["barriers"]["tables"] if t["measure"] == "unreported_crimes"
    )
    assert [r["key"] for r in unreported["rows"]] == ["not_reported"]
