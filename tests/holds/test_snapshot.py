"""`protocol/snapshot.py`: the one place that reads the facts, in one statement per batch."""

from protocol.models import EndConfirmation, Override
from protocol.rules import facts_from_dict
from protocol.snapshot import facts_as_record, snapshot_for, snapshots_for
from tests.factories import days_ago, make_referral
from victims.models import Victim
from victims.services import application_create, support_referral_create

from .conftest import old_referral


def test_every_fact_the_rules_read_in_a_stable_order(
    officer, adviser, support_org, senior, senior2, enqueued
):
    referral = old_referral(officer)
    second = make_referral(
        officer,
        victim_id=referral.victim.pk,
        case={"reported_on": days_ago(400), "referred_on": days_ago(399), "role": "witness"},
    )
    support_referral_create(
        victim=referral.victim, by=officer, organisation_code=support_org.code,
        consent_given_on=days_ago(2),
    )  # fmt: skip
    application_create(
        victim=referral.victim, by=adviser, route="mvdac", status="submitted",
        submitted_on=days_ago(5),
    )  # fmt: skip
    hold = referral.hold
    Override.objects.create(
        hold=hold, category="serious_harm_risk", justification="first", status="approved",
        requested_by=senior, decided_by=senior2, approved_on=days_ago(3),
        expires_on=days_ago(-30),
    )  # fmt: skip
    Override.objects.create(
        hold=hold, category="serious_harm_risk", justification="later", status="rejected",
        requested_by=senior, decided_by=senior2,
    )  # fmt: skip
    EndConfirmation.objects.create(
        hold=hold, confirmed_on=days_ago(9), reason="left_the_uk", confirmed_by=senior
    )
    EndConfirmation.objects.create(
        hold=hold, confirmed_on=days_ago(4), reason="deceased", confirmed_by=senior
    )

    snapshot = snapshot_for(referral.victim.pk)

    assert snapshot.facts_version == Victim.objects.get(pk=referral.victim.pk).facts_version
    facts = snapshot.facts
    # Cases by referral date: the witness case, referred earlier, first.
    assert [case.label for case in facts.cases] == [second.case.reference, referral.case.reference]
    assert [case.role for case in facts.cases] == ["witness", "victim"]
    assert facts.cases[1].investigation_status == "under_investigation"
    assert facts.cases[1].prosecution_status == "none"
    assert facts.cases[1].court is None  # blank in the database, missing to the rules
    assert facts.cases[1].referred_on == days_ago(299)
    [engagement] = facts.support
    assert (engagement.status, engagement.label) == ("referred", f"support by {support_org.code}")
    assert engagement.started_on == days_ago(0)
    [application] = facts.applications
    assert (application.route, application.status) == ("mvdac", "submitted")
    assert application.label == f"mvdac application submitted {days_ago(5).isoformat()}"
    # The approved override, though a later one was rejected; the latest end confirmation.
    assert (facts.override.status, facts.override.approved_on) == ("approved", days_ago(3))
    assert facts.override.expires_on == days_ago(-30)
    assert facts.end_confirmation.confirmed_on == days_ago(4)
    assert facts.end_confirmation.reason == "deceased"
    # What a HoldDecision stores reads back as the same facts (`evaluate_scenarios` replays it).
    assert facts_from_dict(facts_as_record(facts)) == facts


def test_without_an_approved_override_the_latest_one_is_read(officer, senior, senior2):
    referral = old_referral(officer)
    Override.objects.create(
        hold=referral.hold, category="national_security", justification="a", status="revoked",
        requested_by=senior, decided_by=senior2, approved_on=days_ago(20),
    )  # fmt: skip
    Override.objects.create(
        hold=referral.hold, category="national_security", justification="b", status="rejected",
        requested_by=senior, decided_by=senior2,
    )  # fmt: skip
    assert snapshot_for(referral.victim.pk).facts.override.status == "rejected"


def test_a_batch_is_read_in_one_query(officer, django_assert_num_queries):
    victims = [old_referral(officer).victim for _ in range(3)]
    with django_assert_num_queries(1):
        snapshots = snapshots_for([victim.pk for victim in victims])
    assert set(snapshots) == {victim.pk for victim in victims}
    assert all(len(snapshot.facts.cases) == 1 for snapshot in snapshots.values())
    assert snapshots_for([]) == {}
