"""Barrier statistics (API.md "Evaluating the protocol"): withdrawal reasons on a case closing,
the breakdowns, suppression, the CSV export, and bad input."""

from datetime import date, timedelta

from django.utils import timezone

from accounts.models import AccessEvent
from cases.models import Case
from tests.factories import make_referral

from .conftest import VICTIM_KEYS, walk_keys


def _close_with_reason(w, case, reason="fear_of_immigration_consequences"):
    today = date.today().isoformat()
    return w.client("police_officer").post(
        f"/api/v1/cases/{case.pk}/status",
        {
            "investigation_status": "no_further_action",
            "closed_on": today,
            "withdrawal_reason": reason,
        },
        format="json",
    )


def test_a_withdrawal_reason_goes_only_with_a_case_closing(w):
    case = w.own["case"]
    before = case.investigation_status
    refused = w.client("police_officer").post(
        f"/api/v1/cases/{case.pk}/status",
        {"investigation_status": "suspect_bailed", "withdrawal_reason": "reconciled"},
        format="json",
    )
    assert refused.status_code == 400
    assert "withdrawal_reason" in refused.json()
    case.refresh_from_db()
    assert case.investigation_status == before and case.withdrawal_reason == ""
    assert _close_with_reason(w, case).status_code == 200
    case.refresh_from_db()
    assert case.withdrawal_reason == "fear_of_immigration_consequences"
    bad = _close_with_reason(w, w.own["case"], reason="bored")
    assert bad.status_code == 400 and "withdrawal_reason" in bad.json()


def test_withdrawals_by_reason_by_force_suppressed(w):
    officer = w.users["police_officer"]
    for index in range(7):
        referral = make_referral(officer, victim={"family_name": f"Withdrew {index}"})
        assert _close_with_reason(w, referral.case).status_code == 200
    for index in range(6):
        referral = make_referral(officer, victim={"family_name": f"Feared {index}"})
        assert _close_with_reason(w, referral.case, "fear_of_perpetrator").status_code == 200
    referral = make_referral(officer, victim={"family_name": "Reconciled"})
    assert _close_with_reason(w, referral.case, reason="reconciled").status_code == 200
    response = w.client("analyst").get("/api/v1/statistics", {"by": "force"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert not set(walk_keys(body["barriers"])) & VICTIM_KEYS
    table = next(t for t in body["barriers"]["tables"] if t["measure"] == "withdrawals_by_reason")
    keys = [column["key"] for column in table["columns"]]
    row = next(r for r in table["rows"] if r["key"] == w.own["case"].force.code)
    cells = dict(zip(keys, row["cells"], strict=True))
    assert cells["fear_of_immigration_consequences"] == 7
    # 1 is suppressed, and the next smallest with it, so the total does not give it away.
    assert cells["reconciled"] is None and cells["fear_of_perpetrator"] is None
    assert row["total"] == 14 and cells["lack_of_trust_in_police"] == 0


def _consent_totals(w) -> dict[str, int]:
    body = w.client("analyst").get("/api/v1/statistics", {"by": "month"}).json()
    table = next(t for t in body["barriers"]["tables"] if t["measure"] == "consent_withdrawal")
    keys = [column["key"] for column in table["columns"]]
    return dict(zip(keys, table["column_totals"], strict=True))


def test_consent_withdrawal_rate_counts_referrals_whose_consent_was_withdrawn(w):
    from victims.services import support_referral_create

    officer, today = w.users["police_officer"], timezone.localdate()
    before = _consent_totals(w)  # the world's own few: suppressed, or small
    for index in range(12):
        referral = make_referral(officer, victim={"family_name": f"Consent {index}"})
        support_referral_create(
            victim=referral.victim,
            by=officer,
            organisation_code=w.orgs["support"].code,
            consent_given_on=today,
        )
        if index % 2:
            withdrawal = w.client("police_supervisor").post(
                f"/api/v1/victims/{referral.victim.pk}/consent-withdrawals",
                {"organisation": w.orgs["support"].code, "withdrawn_on": str(today)},
                format="json",
            )
            assert withdrawal.status_code == 201, withdrawal.json()
    after = _consent_totals(w)
    for column in ("consent_kept", "consent_withdrawn"):
        assert after[column] - (before[column] or 0) in range(6, 6 + 5), (before, after)


def test_csv_export_is_recorded_as_an_export(w):
    response = w.client("auditor").get("/api/v1/statistics", {"format": "csv", "by": "crime_type"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == "measure,by,group,category,count"
    assert AccessEvent.objects.filter(object_type="statistics", action="export").count() == 1


def test_bad_statistics_input_is_a_400_naming_the_field(w):
    analyst = w.client("analyst")
    assert "by" in analyst.get("/api/v1/statistics", {"by": "victim"}).json()
    assert analyst.get("/api/v1/statistics", {"from": "yesterday"}).status_code == 400
    later = (date.today() + timedelta(days=3)).isoformat()
    assert "from" in analyst.get("/api/v1/statistics", {"from": later, "to": "2026-01-01"}).json()
    assert Case.objects.count() >= 1
