"""A worker's re-evaluation, outside any transaction of Django's, is one transaction sent as a
psycopg pipeline (`protocol.services._pipelined_transaction`). These tests run with committed
data (`transaction=True`), as a worker does, and check what the in-transaction tests check of
the other path, plus that the connection is left clean for the next task whatever happened."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from psycopg import pq

from protocol import services
from protocol.models import Hold
from protocol.snapshot import snapshot_for

from .conftest import decisions, hold_row, no_further_action, old_referral
from .test_services import _failing_evaluation

pytestmark = pytest.mark.django_db(transaction=True)


def _clean() -> bool:
    """The connection is out of pipeline mode and out of any transaction, with Django's own
    bookkeeping agreeing: what the next task on this connection needs."""
    info = connection.connection.pgconn
    return (
        info.pipeline_status == pq.PipelineStatus.OFF
        and info.transaction_status == pq.TransactionStatus.IDLE
        and connection.get_autocommit()
        and not connection.in_atomic_block
    )


def test_a_workers_reevaluation_is_one_pipelined_transaction(officer, enqueued):
    referral = old_referral(officer)
    no_further_action(officer, referral.case)
    seen = []

    def record(execute, sql, params, many, context):
        pgconn = connection.connection.pgconn
        seen.append((pgconn.pipeline_status, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        changed = services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")

    assert changed is True
    # The locking read and the write, both in pipeline mode, neither in a Django transaction.
    assert seen == [(pq.PipelineStatus.ON, False)] * 2
    assert _clean()
    row = hold_row(referral.victim)
    assert row["grounds"] == ["review_window"]
    assert row["evaluated_version"] == snapshot_for(referral.victim.pk).facts_version
    assert [d.trigger for d in decisions(referral.victim)] == ["referral", "case_status"]


def test_a_pipelined_reevaluation_with_nothing_new_writes_no_history(officer, enqueued):
    referral = old_referral(officer)
    before = hold_row(referral.victim)

    assert services.hold_reevaluate(victim_id=referral.victim.pk) is False

    after = hold_row(referral.victim)
    assert after["evaluated_at"] > before["evaluated_at"]  # the bookkeeping was written
    assert {k: v for k, v in after.items() if k != "evaluated_at"} == {
        k: v for k, v in before.items() if k != "evaluated_at"
    }
    assert len(decisions(referral.victim)) == 1
    assert _clean()


def test_after_a_failed_pipelined_write_the_next_reevaluation_succeeds(
    officer, enqueued, monkeypatch
):
    referral = old_referral(officer)
    no_further_action(officer, referral.case)
    before = hold_row(referral.victim)
    real_record = services.facts_as_record
    monkeypatch.setattr(services, "facts_as_record", lambda facts: None)  # history NOT NULL

    with pytest.raises(IntegrityError):  # Django's, as from any cursor
        services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")

    assert _clean()
    assert hold_row(referral.victim) == before
    monkeypatch.setattr(services, "facts_as_record", real_record)
    assert services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")
    assert hold_row(referral.victim)["grounds"] == ["review_window"]


def test_a_failed_pipelined_evaluation_keeps_the_hold_and_the_connection_clean(
    officer, enqueued, monkeypatch
):
    referral = old_referral(officer)
    no_further_action(officer, referral.case, days=200)
    before = hold_row(referral.victim)
    _failing_evaluation(monkeypatch)

    with pytest.raises(services.HoldEvaluationError):
        services.hold_reevaluate(victim_id=referral.victim.pk, trigger="case_status")

    assert hold_row(referral.victim) == before
    assert before["in_force"] is True
    assert _clean()


def test_a_victim_without_a_hold_leaves_the_connection_clean():
    with pytest.raises(Hold.DoesNotExist):
        services.hold_reevaluate(victim_id=uuid.uuid4())
    assert _clean()


def test_the_pipelined_transaction_refuses_to_run_inside_a_callers_transaction():
    with (
        transaction.atomic(),
        pytest.raises(transaction.TransactionManagementError),
        services._pipelined_transaction(),
    ):
        pass
    assert _clean()
