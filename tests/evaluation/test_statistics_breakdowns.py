"""GET /api/v1/statistics (API.md "Evaluating the protocol"): the `nationality_group` breakdown
(UN M49 sub-regions), and applications, holds leaving force and IE hold checks broken down `by`
over `from`..`to`, every table suppressed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import nationality_groups
from protocol.barriers import BREAKDOWNS, _table
from protocol.models import EndConfirmation, Hold, HoldCheck, HoldDecision
from protocol.suppression import SUPPRESS_BELOW
from tests.factories import days_ago, make_application, make_referral
from victims.services import application_create
from victims.unreported import unreported_crime_record

from .test_suppression import _recoverable

pytestmark = pytest.mark.django_db


def _statistics(api, user, **query):
    response = api(user).get("/api/v1/statistics", query)
    assert response.status_code == 200, response.content
    return response.json()["barriers"]


def _table_of(body, measure):
    return next(t for t in body["tables"] if t["measure"] == measure)


def _rows(table):
    return {row["key"]: row for row in table["rows"]}


def _refer(officer, count, nationality, **case):
    return [
        make_referral(
            officer,
            victim={"family_name": f"{nationality} {index}", "nationality": nationality},
            case=case or None,
        )
        for index in range(count)
    ]


def test_the_map_covers_every_m49_sub_region_and_leaves_out_the_stateless():
    mapping = nationality_groups.sub_region_of()
    assert set(mapping.values()) == set(nationality_groups.M49_SUB_REGIONS.values())
    assert len(set(nationality_groups.M49_SUB_REGIONS.values())) == 17
    assert mapping["GBR"] == "154" and mapping["SEN"] == "202" and mapping["ALB"] == "039"
    assert mapping["MEX"] == "419" and mapping["FJI"] == "054" and mapping["VNM"] == "035"
    assert nationality_groups.group_of("XXA") == nationality_groups.UNKNOWN  # stateless
    assert nationality_groups.group_of("ATA") == nationality_groups.UNKNOWN  # no sub-region
    assert nationality_groups.label("202", "cy") == "Affrica Is-Sahara"  # CLDR's Welsh
    assert nationality_groups.label("154", "en") == "Northern Europe"


def test_referrals_group_by_un_sub_region_with_an_unknown_group_suppressed(api, officer, analyst):
    _refer(officer, 6, "SEN")  # Sub-Saharan Africa
    _refer(officer, 3, "NGA")  # Sub-Saharan Africa too: 9 together
    _refer(officer, 7, "ALB")  # Southern Europe
    body = _statistics(api, analyst, by="nationality_group")
    assert body["by"] == "nationality_group"
    referrals = _rows(_table_of(body, "referrals"))
    assert set(referrals) == {"202", "039"}
    assert referrals["202"]["label"] == "Sub-Saharan Africa" and referrals["202"]["total"] == 9
    assert referrals["039"]["label"] == "Southern Europe" and referrals["039"]["total"] == 7
    # The medians (hand-written SQL) group the same way.
    medians = _rows(next(m for m in body["medians"] if m["measure"] == "days_reported_to_referral"))
    assert set(medians) == {"202", "039"} and medians["202"]["median_days"] == 1.0
    _refer(officer, 2, "XXA")  # stateless: the unknown group, 2 is suppressed
    body = _statistics(api, analyst, by="nationality_group")
    table = _table_of(body, "referrals")
    referrals = _rows(table)
    assert set(referrals) == {"202", "039", "unknown"}
    assert referrals["unknown"]["label"] == "Stateless, unknown or no UN sub-region"
    assert referrals["unknown"]["total"] is None and referrals["unknown"]["cells"][0] is None
    # Secondary suppression: 9, 7 and the total 18 would give the 2 away.
    assert None in (referrals["202"]["total"], referrals["039"]["total"], table["total"])
    medians = _rows(next(m for m in body["medians"] if m["measure"] == "days_reported_to_referral"))
    assert set(medians) == set(referrals) and medians["unknown"]["median_days"] is None


def test_unreported_crimes_group_by_the_same_sub_regions(api, adviser, analyst):
    def record(nationality, reasons):
        unreported_crime_record(
            by=adviser,
            crime_type="domestic_abuse",
            nationality=nationality,
            recorded_on=days_ago(3),
            reasons=reasons,
        )

    for index, nationality in enumerate(["POL"] * 5 + ["UKR"] * 6):
        both = ["fear_of_immigration_consequences", "fear_of_perpetrator"]
        record(nationality, both[: 1 + index % 2])
    body = _statistics(api, analyst, by="nationality_group")
    crimes = _rows(_table_of(body, "unreported_crimes"))
    assert set(crimes) == {"151"}  # Poland and Ukraine: Eastern Europe
    assert crimes["151"]["label"] == "Eastern Europe" and crimes["151"]["total"] == 11
    reasons = _table_of(body, "unreported_crimes_by_reason")
    cells = dict(
        zip([c["key"] for c in reasons["columns"]], _rows(reasons)["151"]["cells"], strict=True)
    )
    assert cells["fear_of_immigration_consequences"] == 11 and cells["fear_of_perpetrator"] == 5
    record("XXA", ["reconciled"])
    crimes = _rows(
        _table_of(_statistics(api, analyst, by="nationality_group"), "unreported_crimes")
    )
    assert set(crimes) == {"151", "unknown"} and crimes["unknown"]["total"] is None


def test_a_breakdown_not_listed_is_still_a_400_naming_by(api, analyst):
    for by in ("nationality", "region", "victim"):
        response = api(analyst).get("/api/v1/statistics", {"by": by})
        assert response.status_code == 400 and "by" in response.json()
    assert set(BREAKDOWNS) == {"month", "force", "crime_type", "nationality_group", "language"}


def test_applications_are_broken_down_by_route_and_outcome(api, officer, other_officer, analyst):
    northshire = _refer(officer, 12, "SEN")
    southshire = _refer(other_officer, 6, "SEN", crime_type="stalking_or_harassment")
    for index, referral in enumerate(northshire + southshire):
        granted = index < 12 and index % 2
        application_create(
            victim=referral.victim,
            by=officer,
            route="asylum" if index < 6 else "mvdac",
            status="granted" if granted else "submitted",
            submitted_on=days_ago(2),
            decided_on=days_ago(1) if granted else None,
        )
    by_force = _statistics(api, analyst, by="force")
    routes = _table_of(by_force, "applications_by_route")
    assert "earliest case" in routes["note"]
    columns = [c["key"] for c in routes["columns"]]
    rows = {
        key: dict(zip(columns, row["cells"], strict=True)) for key, row in _rows(routes).items()
    }
    assert rows[officer.organisation.code]["mvdac"] == 6
    assert rows[officer.organisation.code]["asylum"] == 6
    assert rows[other_officer.organisation.code]["mvdac"] == 6
    outcome = _table_of(by_force, "applications_by_outcome")
    columns = [c["key"] for c in outcome["columns"]]
    assert columns[:3] == ["submitted", "granted", "refused"] and "rg_positive" in columns
    north = dict(zip(columns, _rows(outcome)[officer.organisation.code]["cells"], strict=True))
    assert north["submitted"] == 6 and north["granted"] == 6
    by_crime = _rows(_table_of(_statistics(api, analyst, by="crime_type"), "applications_by_route"))
    assert by_crime["domestic_abuse"]["total"] == 12
    assert by_crime["stalking_or_harassment"]["total"] == 6
    by_month = _table_of(_statistics(api, analyst, by="month"), "applications_by_route")
    assert [row["key"] for row in by_month["rows"]] == [days_ago(2).strftime("%Y-%m")]
    assert by_month["note"] == ""
    # One more on another route: 1 is suppressed, and what would give it away with it.
    application_create(
        victim=northshire[0].victim,
        by=officer,
        route="vts",
        status="submitted",
        submitted_on=days_ago(2),
    )
    routes = _table_of(_statistics(api, analyst, by="force"), "applications_by_route")
    north = dict(zip(columns, _rows(routes)[officer.organisation.code]["cells"], strict=False))
    vts = [c["key"] for c in routes["columns"]].index("vts")
    assert _rows(routes)[officer.organisation.code]["cells"][vts] is None
    assert (
        _rows(routes)[officer.organisation.code]["total"] is None
        or routes["column_totals"][vts] is None
    )
    # Outside `from`..`to`: not counted.
    later = _statistics(
        api, analyst, by="force", **{"from": days_ago(1).isoformat(), "to": days_ago(0).isoformat()}
    )
    assert _table_of(later, "applications_by_route")["rows"] == []


def _leave_force(hold, status, days_in_force):
    now = timezone.now()
    HoldDecision.objects.filter(hold=hold).update(decided_at=now - timedelta(days=days_in_force))
    Hold.objects.filter(pk=hold.pk).update(status=status, in_force=False, status_since=now)


def test_holds_leaving_force_by_how_they_ended_and_how_long(api, officer, senior, analyst):
    referrals = _refer(officer, 12, "SEN") + _refer(officer, 3, "MEX") + _refer(officer, 1, "SEN")
    for referral in referrals[:6]:
        _leave_force(referral.victim.hold, "regularised", 100)
    for referral in referrals[6:12]:
        _leave_force(referral.victim.hold, "ended", 400)
        EndConfirmation.objects.create(
            hold=referral.victim.hold,
            confirmed_on=timezone.localdate(),
            reason="left_the_uk",
            confirmed_by=senior,
        )
    body = _statistics(api, analyst, by="nationality_group")
    endings = _table_of(body, "holds_by_ending")
    keys = [c["key"] for c in endings["columns"]]
    assert set(_rows(endings)) == {"202"}  # the holds still in force are not counted
    africa = dict(zip(keys, _rows(endings)["202"]["cells"], strict=True))
    assert africa["regularised"] == 6 and africa["left_the_uk"] == 6
    assert africa["ended_no_reason"] == 0
    durations = _table_of(body, "holds_by_duration")
    keys = [c["key"] for c in durations["columns"]]
    africa = dict(zip(keys, _rows(durations)["202"]["cells"], strict=True))
    assert africa["days_90_179"] == 6 and africa["days_365_729"] == 6
    median = _rows(next(m for m in body["medians"] if m["measure"] == "days_hold_in_force"))
    assert median["202"]["median_days"] == 250.0 and median["202"]["count"] == 12
    for referral in referrals[12:15]:
        _leave_force(referral.victim.hold, "overridden", 10)
    body = _statistics(api, analyst, by="nationality_group")
    assert _rows(_table_of(body, "holds_by_ending"))["419"]["total"] is None  # 3: suppressed
    median = _rows(next(m for m in body["medians"] if m["measure"] == "days_hold_in_force"))
    assert median["419"]["median_days"] is None and median["419"]["count"] is None
    by_month = _table_of(_statistics(api, analyst, by="month"), "holds_by_ending")
    assert [row["key"] for row in by_month["rows"]] == [timezone.localdate().strftime("%Y-%m")]
    assert by_month["rows"][0]["total"] == 15


def test_hold_checks_by_month_with_the_share_in_force_and_one_row_otherwise(
    api, officer, caseworker, analyst
):
    hold = make_referral(officer).victim.hold
    for index in range(12):
        in_force = index < 9
        HoldCheck.objects.create(
            by=caseworker, hold=hold if in_force else None, answered_in_force=in_force
        )
    by_month = _table_of(_statistics(api, analyst, by="month"), "hold_checks")
    (row,) = by_month["rows"]
    assert row["key"] == timezone.localdate().strftime("%Y-%m")
    assert row["cells"] == [None, None] and row["total"] == 12  # 3 not in force: suppressed
    assert row["share"] is None and by_month["share_of"] == "in_force"
    for by in ("force", "crime_type", "nationality_group", "language"):
        checks = _table_of(_statistics(api, analyst, by=by), "hold_checks")
        assert [r["key"] for r in checks["rows"]] == ["all_checks"]
        assert checks["rows"][0]["label"] == "All hold checks"
        assert "month only" in checks["note"]
    HoldCheck.objects.create(by=caseworker, hold=None, answered_in_force=False)
    HoldCheck.objects.create(by=caseworker, hold=None, answered_in_force=False)
    (row,) = _table_of(_statistics(api, analyst, by="month"), "hold_checks")["rows"]
    assert row["cells"] == [9, 5] and row["total"] == 14 and row["share"] == 64.3


def test_the_csv_carries_the_new_tables_and_the_share(api, officer, caseworker, auditor):
    hold = make_referral(officer, victim={"nationality": "SEN"}).victim.hold
    for _ in range(6):
        HoldCheck.objects.create(by=caseworker, hold=hold, answered_in_force=True)
    response = api(auditor).get("/api/v1/statistics", {"format": "csv", "by": "nationality_group"})
    lines = response.content.decode().splitlines()
    assert "hold_checks,nationality_group,all_checks,in_force,6" in lines
    assert "hold_checks,nationality_group,all_checks,share_percent,100.0" in lines
    assert "referrals,nationality_group,202,total," in lines  # 1 is suppressed
    assert "applications_by_route,nationality_group,total,total,0" in lines
    assert "holds_by_duration,nationality_group,total,total,0" in lines


counts_by_group = st.dictionaries(
    st.tuples(st.sampled_from(["015", "154", "202", "unknown"]), st.sampled_from(["in", "out"])),
    st.integers(0, 20),
    min_size=1,
)


@settings(max_examples=200, deadline=None)
@given(counts_by_group)
def test_a_broken_down_table_with_its_share_discloses_no_suppressed_count(counts):
    table = _table(
        "hold_checks",
        "label",
        "nationality_group",
        counts,
        [("in", "In"), ("out", "Out")],
        share_of="in",
    )
    groups = sorted({group for group, _ in counts})
    grid = [[counts.get((group, key), 0) for key in ("in", "out")] for group in groups]
    for row, counted in zip(table["rows"], grid, strict=True):
        assert row["label"]  # every group named
        for shown, true in zip(
            [*row["cells"], row["total"]], [*counted, sum(counted)], strict=True
        ):
            assert shown is None or shown == true
            if 0 < true < SUPPRESS_BELOW:
                assert shown is None
        # A share is published only beside the two counts it is made of.
        if row["share"] is not None:
            assert row["cells"][0] is not None and row["total"] is not None

    class Published:
        cells = [row["cells"] for row in table["rows"]]
        row_totals = [row["total"] for row in table["rows"]]
        column_totals = table["column_totals"]
        total = table["total"]

    assert _recoverable(grid, Published) == []


def test_the_statements_do_not_grow_with_the_rows(api, officer, adviser, caseworker, analyst):
    """Grouped in the database: as many statements for 3 people as for 12, for every `by`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(by):
        with CaptureQueriesContext(connection) as captured:
            _statistics(api, analyst, by=by)
        return len(captured.captured_queries)

    def add(count):
        for referral in _refer(officer, count, "SEN"):
            make_application(referral.victim, officer)
            _leave_force(referral.victim.hold, "regularised", 30)
            HoldCheck.objects.create(by=caseworker, hold=None, answered_in_force=False)
            unreported_crime_record(
                by=adviser,
                crime_type="fraud",
                nationality="SEN",
                recorded_on=days_ago(1),
                reasons=["reconciled"],
            )

    add(3)
    few = {by: statements(by) for by in BREAKDOWNS}
    add(9)
    assert {by: statements(by) for by in BREAKDOWNS} == few
