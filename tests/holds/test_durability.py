"""How a re-evaluation commits. Only a worker's re-evaluation of a hold that lags its facts, in
a transaction of its own, commits without waiting for the disk: a crash can lose only a write
that the sweep still owes (the hold keeps lagging its durably committed facts). Everything
else commits as the server is set to (`synchronous_commit` on)."""

import pytest
from django.db import connection, transaction

from protocol import services
from protocol.services import evaluation

from .conftest import no_further_action, old_referral


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        return cursor.fetchone()[0]


@pytest.fixture
def seen(monkeypatch) -> list[str]:
    """The commit setting of each re-evaluation's transaction, read just before it writes."""
    settings_seen: list[str] = []
    real_apply = evaluation._apply

    def apply(*args, **kwargs):
        settings_seen.append(_setting())
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(evaluation, "_apply", apply)
    return settings_seen


@pytest.mark.django_db(transaction=True)
def test_a_workers_reevaluation_of_a_lagging_hold_does_not_wait_for_the_disk(
    officer, enqueued, seen
):
    referral = old_referral(officer)
    no_further_action(officer, referral.case)  # committed: the hold now lags its facts

    assert services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")

    assert seen == ["off"]
    assert _setting() == "on"  # for that transaction only


@pytest.mark.django_db(transaction=True)
def test_a_reevaluation_of_a_hold_that_does_not_lag_waits_for_the_disk(officer, enqueued, seen):
    referral = old_referral(officer)  # evaluated at referral: nothing owed

    services.hold_reevaluate(victim_id=referral.victim.pk)

    assert seen == ["on"]


@pytest.mark.django_db(transaction=True)
def test_a_batch_waits_for_the_disk_even_when_its_holds_lag(officer, enqueued, seen):
    referral = old_referral(officer)
    no_further_action(officer, referral.case)

    result = services.holds_reevaluate_batch(hold_ids=[referral.hold.pk], trigger="sweep")

    assert result.changed == 1
    assert seen == ["on"]


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_callers_commit_waits_for_the_disk(
    officer, enqueued, seen
):
    referral = old_referral(officer)
    with transaction.atomic():
        no_further_action(officer, referral.case)  # the caller's own change, not committed
        services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")
        assert _setting() == "on"

    assert seen == ["on"]


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_begun_by_hand_the_callers_commit_waits_for_the_disk(
    officer, enqueued, seen
):
    referral = old_referral(officer)
    transaction.set_autocommit(False)
    try:
        no_further_action(officer, referral.case)  # the caller's own change, not committed
        services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")
        assert _setting() == "on"
        transaction.commit()
    finally:
        transaction.set_autocommit(True)

    assert seen == ["on"]


def test_a_batch_cannot_ask_for_a_commit_that_does_not_wait():
    with pytest.raises(ValueError, match="batch"):
        evaluation._lock(hold_ids=[], owed_write=True)
