"""Properties of the rules that hold for any facts, any date and any policy (Hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from protocol.rules import (
    ApplicationFacts,
    CaseFacts,
    Decision,
    EndConfirmationFacts,
    Facts,
    OverrideFacts,
    Policy,
    SupportFacts,
    evaluate,
    facts_from_dict,
    facts_to_dict,
    values,
)

ON = date(2026, 11, 24)
PAST, FUTURE = -500, 400

examples = settings(max_examples=200, deadline=None, database=None)


def known_day(lowest: int = PAST, highest: int = FUTURE) -> st.SearchStrategy[date]:
    """A date around ON."""
    return st.integers(lowest, highest).map(lambda n: ON + timedelta(days=n))


def day(lowest: int = PAST, highest: int = FUTURE) -> st.SearchStrategy[date | None]:
    """A date around ON, or a missing one."""
    return st.none() | known_day(lowest, highest)


def value(known: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    """Mostly a known value; sometimes missing or unknown."""
    return st.one_of(st.sampled_from(known), st.sampled_from(known), st.sampled_from((None, "?")))


def cases(highest: int) -> st.SearchStrategy[CaseFacts]:
    return st.builds(
        CaseFacts,
        role=st.sampled_from(("victim", "victim", "witness", None, "bystander")),
        referred_on=day(highest=highest),
        investigation_status=value(values.INVESTIGATION_STATUSES),
        closed_on=day(highest=highest),
        outcome_code=st.none() | st.integers(1, 22),
        prosecution_status=value(values.PROSECUTION_STATUSES),
        court=value(values.COURTS),
        concluded_on=day(highest=highest),
    )


def engagements(highest: int) -> st.SearchStrategy[SupportFacts]:
    return st.builds(
        SupportFacts,
        status=value(values.SUPPORT_STATUSES),
        started_on=day(highest=highest),
        last_contact_on=day(highest=highest),
        closed_on=day(highest=highest),
    )


def applications(highest: int) -> st.SearchStrategy[ApplicationFacts]:
    return st.builds(
        ApplicationFacts,
        route=value(values.APPLICATION_ROUTES),
        status=value(values.APPLICATION_STATUSES + values.NRM_STATUSES),
        submitted_on=day(highest=highest),
        decided_on=day(highest=highest),
        # Leave naturally runs into the future.
        leave_expires_on=day(),
    )


def all_facts(highest: int = FUTURE, confirmation: bool = True) -> st.SearchStrategy[Facts]:
    return st.builds(
        Facts,
        cases=st.lists(cases(highest), max_size=3).map(tuple),
        support=st.lists(engagements(highest), max_size=2).map(tuple),
        applications=st.lists(applications(highest), max_size=2).map(tuple),
        override=st.none()
        | st.builds(
            OverrideFacts,
            status=value(values.OVERRIDE_STATUSES),
            approved_on=day(highest=highest),
            expires_on=day(),
        ),
        end_confirmation=(
            st.none()
            | st.builds(
                EndConfirmationFacts,
                confirmed_on=day(highest=highest),
                reason=value(values.END_CONFIRMATION_REASONS),
            )
        )
        if confirmation
        else st.none(),
    )


policies = st.builds(
    Policy,
    limbs=st.sampled_from(("any", "all")),
    cover_witnesses=st.booleans(),
    grace_days=st.integers(0, 60),
    vrr_window_days=st.integers(0, 120),
    appeal_window_days=st.fixed_dictionaries(
        {"crown": st.integers(0, 40), "magistrates": st.integers(0, 40)}
    ),
    challenge_window_days=st.integers(0, 30),
    nrm_reconsideration_days=st.integers(0, 60),
    nrm_move_on_days=st.integers(0, 60),
    support_review_days=st.integers(0, 200),
    support_stale_days=st.integers(0, 300),
    override_max_days=st.integers(0, 120),
)

ongoing_cases = st.one_of(
    st.builds(
        CaseFacts,
        role=st.just("victim"),
        referred_on=day(),
        investigation_status=st.sampled_from(
            (
                "reported",
                "under_investigation",
                "suspect_bailed",
                "released_under_investigation",
                "referred_to_cps",
                "reopened",
            )
        ),
        closed_on=st.none(),
        outcome_code=st.none(),
        prosecution_status=st.sampled_from(("none", None)),
        court=st.none(),
        concluded_on=st.none(),
    ),
    st.builds(
        CaseFacts,
        role=st.just("victim"),
        referred_on=day(),
        investigation_status=st.just("charged"),
        closed_on=day(),
        outcome_code=st.just(1),
        prosecution_status=st.sampled_from(
            ("charged", "awaiting_trial", "trial", "convicted_awaiting_sentence", "appeal_lodged")
        ),
        court=value(values.COURTS),
        concluded_on=st.none(),
    ),
)


def override_applies(facts: Facts, on: date, policy: Policy) -> bool:
    """H9 restated independently: an approved override within its days in force."""
    override = facts.override
    if override is None or override.status != "approved" or override.approved_on is None:
        return False
    last_day = override.approved_on + timedelta(days=policy.override_max_days)
    if override.expires_on is not None:
        last_day = min(last_day, override.expires_on)
    return override.approved_on <= on <= last_day


def grant_applies(facts: Facts, on: date) -> bool:
    """H10 restated independently: a granted, unexpired application on a non-nrm route."""
    return any(
        application.status == "granted"
        and application.route in values.APPLICATION_ROUTES
        and application.route != "nrm"
        and (application.leave_expires_on is None or application.leave_expires_on >= on)
        for application in facts.applications
    )


def same(first: Decision, second: Decision) -> bool:
    return (first.outcome_key(), first.explanation) == (second.outcome_key(), second.explanation)


@examples
@given(facts=all_facts(), offset=st.integers(-30, 30), policy=policies)
def test_deterministic(facts: Facts, offset: int, policy: Policy) -> None:
    on = ON + timedelta(days=offset)
    decision = evaluate(facts, on, policy)
    assert evaluate(facts, on, policy) == decision
    # The same facts rebuilt from their JSON form decide the same.
    assert evaluate(facts_from_dict(facts_to_dict(facts)), on, policy) == decision
    # And the decision is internally consistent.
    assert decision.in_force == (decision.status in values.IN_FORCE_STATUSES)
    assert decision.status in values.HOLD_STATUSES
    assert set(decision.grounds) <= set(values.GROUND_CODES)
    assert set(decision.flags) <= set(values.FLAG_CODES)
    assert decision.reevaluate_on is None or decision.reevaluate_on > on
    rule_ids = {line.split(":", 1)[0] for line in decision.explanation}
    assert values.STATUS_RULES[decision.status] in rule_ids
    assert {values.GROUND_RULES[ground] for ground in decision.grounds} <= rule_ids
    assert ("data_incomplete" in decision.flags) == ("H0" in rule_ids)


@examples
@given(facts=all_facts(), ongoing=ongoing_cases, offset=st.integers(-30, 30), policy=policies)
def test_an_ongoing_case_keeps_the_hold_in_force(
    facts: Facts, ongoing: CaseFacts, offset: int, policy: Policy
) -> None:
    on = ON + timedelta(days=offset)
    # With limbs=all, PROTOCOL.md lets a confirmed end stand while the justice limb is open
    # (the regularisation limb lapsed first): the property is about limbs=any, or no
    # confirmation.
    assume(policy.limbs == "any" or facts.end_confirmation is None)
    protected = replace(facts, cases=(*facts.cases, ongoing))
    decision = evaluate(protected, on, policy)
    if override_applies(protected, on, policy):
        assert decision.status == "overridden"
    elif grant_applies(protected, on):
        assert decision.status == "regularised"
    else:
        assert decision.in_force, decision.explanation
    if policy.limbs == "any":
        assert decision.status not in ("ending", "review_due", "ended")


@examples
@given(facts=all_facts(), ongoing=ongoing_cases, offset=st.integers(-30, 30), policy=policies)
def test_adding_a_ground_never_takes_protection_away(
    facts: Facts, ongoing: CaseFacts, offset: int, policy: Policy
) -> None:
    assume(policy.limbs == "any")
    on = ON + timedelta(days=offset)
    before = evaluate(facts, on, policy)
    after = evaluate(replace(facts, cases=(*facts.cases, ongoing)), on, policy)
    if before.in_force:
        assert after.in_force
    assert set(before.grounds) <= set(after.grounds)


@examples
@given(facts=all_facts(confirmation=False), offset=st.integers(-30, 30), policy=policies)
def test_never_ended_without_an_end_confirmation(facts: Facts, offset: int, policy: Policy) -> None:
    decision = evaluate(facts, ON + timedelta(days=offset), policy)
    assert decision.status != "ended"


def concluded_cases() -> st.SearchStrategy[CaseFacts]:
    """Victims' cases whose proceedings concluded well before ON."""
    long_ago = known_day(-500, -300)
    return st.builds(
        CaseFacts,
        role=st.just("victim"),
        referred_on=day(-600, -300),
        investigation_status=st.just("charged"),
        closed_on=long_ago,
        outcome_code=st.none(),
        prosecution_status=st.sampled_from(("acquitted", "sentenced", "no_charge", "discontinued")),
        court=st.sampled_from(values.COURTS),
        concluded_on=long_ago,
    ) | st.builds(
        CaseFacts,
        role=st.just("victim"),
        referred_on=day(-600, -300),
        investigation_status=st.just("no_further_action"),
        closed_on=long_ago,
        outcome_code=st.none(),
        prosecution_status=st.sampled_from(("none", None)),
        court=st.none(),
        concluded_on=st.none(),
    )


# Facts likely to give an ended hold: concluded cases, old regularisation facts, and an end
# confirmed recently. Every date is no later than ON.
likely_ended = st.builds(
    Facts,
    cases=st.lists(concluded_cases(), min_size=1, max_size=2).map(tuple),
    support=st.lists(
        st.builds(
            SupportFacts,
            status=st.sampled_from(("closed", "disengaged")),
            started_on=day(-600, -400),
            last_contact_on=day(-500, -300),
            closed_on=known_day(-400, -300),
        ),
        max_size=1,
    ).map(tuple),
    applications=st.lists(
        st.builds(
            ApplicationFacts,
            route=st.sampled_from(values.APPLICATION_ROUTES[:2]),
            status=st.sampled_from(("refused", "withdrawn", "invalid", "challenge_dismissed")),
            submitted_on=day(-600, -400),
            decided_on=known_day(-400, -300),
            leave_expires_on=st.none(),
        )
        | st.builds(
            ApplicationFacts,
            route=st.just("nrm"),
            status=st.sampled_from(("rg_negative", "cg_negative", "cg_positive")),
            submitted_on=day(-600, -400),
            decided_on=known_day(-400, -300),
            leave_expires_on=st.none(),
        ),
        max_size=1,
    ).map(tuple),
    override=st.none()
    | st.builds(
        OverrideFacts,
        status=value(values.OVERRIDE_STATUSES),
        approved_on=day(-600, -200),
        expires_on=day(),
    ),
    end_confirmation=st.builds(
        EndConfirmationFacts,
        confirmed_on=known_day(-20, 0),
        reason=st.sampled_from(values.END_CONFIRMATION_REASONS),
    ),
)


@examples
@given(
    facts=st.one_of(likely_ended, all_facts(highest=0)),
    later=st.integers(1, 800),
    policy=policies,
)
def test_an_ended_hold_stays_ended(facts: Facts, later: int, policy: Policy) -> None:
    # Only facts dated no later than ON (a future-dated fact may legitimately open a window),
    # except leave_expires_on and an override's expires_on, which naturally lie ahead and open
    # nothing: leave in force on ON would make the hold regularised, not ended.
    first = evaluate(facts, ON, policy)
    assume(first.status == "ended")
    second = evaluate(facts, ON + timedelta(days=later), policy)
    assert not second.in_force
    assert second.status == "ended"


@examples
@given(facts=all_facts(), offset=st.integers(-30, 30), policy=policies, data=st.data())
def test_nothing_changes_before_reevaluate_on(
    facts: Facts, offset: int, policy: Policy, data: st.DataObject
) -> None:
    on = ON + timedelta(days=offset)
    decision = evaluate(facts, on, policy)
    horizon = decision.reevaluate_on or on + timedelta(days=3000)
    gap = (horizon - on).days
    assert gap >= 1
    days = {1, gap - 1, data.draw(st.integers(1, max(gap - 1, 1)), label="day between")}
    for step in sorted(n for n in days if 1 <= n < gap):
        between = evaluate(facts, on + timedelta(days=step), policy)
        assert same(between, decision), (step, decision.explanation, between.explanation)
        assert between.reevaluate_on == decision.reevaluate_on
