"""The access log's HMAC chains, with events committed one by one as in production (each in a
transaction of its own, so they spread over the chains) and checked by `verify_audit`."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from accounts.audit import GENESIS, lock_chain, record_access
from accounts.models import AccessEvent, AuditChainHead

pytestmark = pytest.mark.django_db(transaction=True)


def events(user, count: int) -> list[AccessEvent]:
    """`count` events, each committed on its own; they must have used more than one chain."""
    recorded = [
        record_access(user=user, action="view", object_type="statistics") for _ in range(count)
    ]
    assert len({event.chain for event in recorded}) > 1  # fails with odds 16**-(count - 1)
    return recorded


def without_trigger(statement: str, parameters) -> None:
    """Run a statement the append-only trigger would refuse, as someone tampering would."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE accounts_accessevent DISABLE TRIGGER accounts_accessevent_no_update_delete"
        )
        cursor.execute(statement, parameters)
        cursor.execute(
            "ALTER TABLE accounts_accessevent ENABLE TRIGGER accounts_accessevent_no_update_delete"
        )


def test_each_chain_is_one_line_and_its_head_is_its_newest_event(auditor):
    recorded = events(auditor, 40)
    for chain in {event.chain for event in recorded}:
        line = [event for event in recorded if event.chain == chain]
        assert line[0].prev_hmac == GENESIS
        assert [event.prev_hmac for event in line[1:]] == [event.hmac for event in line[:-1]]
        assert AuditChainHead.objects.get(chain=chain).hmac == line[-1].hmac


def test_verify_audit_reports_intact_chains_and_names_the_first_broken_event(auditor, capsys):
    recorded = events(auditor, 20)
    call_command("verify_audit")
    assert "20 access events checked: the chain is intact." in capsys.readouterr().out
    tampered = recorded[7]
    without_trigger(
        "UPDATE accounts_accessevent SET object_type = 'case' WHERE id = %s", [tampered.pk]
    )
    with pytest.raises(CommandError, match=f"broken at event {tampered.pk} ") as error:
        call_command("verify_audit")
    assert error.value.returncode != 0


def test_verify_audit_notices_events_cut_off_the_end_of_a_chain(auditor):
    last = events(auditor, 20)[-1]
    call_command("verify_audit")
    without_trigger("DELETE FROM accounts_accessevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match=f"end of audit chain\\(s\\) {last.chain}:"):
        call_command("verify_audit")


def test_verify_audit_notices_a_chain_whose_head_was_removed(auditor):
    event = events(auditor, 20)[-1]
    AuditChainHead.objects.filter(chain=event.chain).delete()
    with pytest.raises(CommandError, match=f"chain\\(s\\) {event.chain}:"):
        call_command("verify_audit")


def test_the_events_of_one_transaction_share_a_chain(auditor):
    """Two events of one transaction on two chains would lock two heads, and two such
    transactions locking them in opposite orders would deadlock."""
    chains = set()
    for _ in range(20):
        with transaction.atomic():
            first = record_access(user=auditor, action="view", object_type="a")
            second = record_access(user=auditor, action="view", object_type="b")
        assert first.chain == second.chain
        assert second.prev_hmac == first.hmac
        chains.add(first.chain)
    assert len(chains) > 1  # while each transaction picks its own (fails with odds 16**-19)


def test_a_chain_without_a_head_starts_from_its_newest_event(auditor):
    event = record_access(user=auditor, action="view", object_type="statistics")
    AuditChainHead.objects.filter(chain=event.chain).delete()
    with transaction.atomic(), connection.cursor() as cursor:
        assert lock_chain(cursor, event.chain) == event.hmac
        assert lock_chain(cursor, settings.AUDIT_CHAINS + 5) == GENESIS


def test_writers_at_once_on_one_chain_keep_it_one_line(auditor, settings):
    """Several connections appending at the same moment: the head's row lock makes them take
    turns, so no two events follow the same one (without it the chain would fork)."""
    import threading

    from django.db import connections

    settings.AUDIT_CHAINS = 1
    writers, each = 4, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for _ in range(each):
                record_access(user=auditor, action="view", object_type="statistics")
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    line = list(AccessEvent.objects.filter(chain=0).order_by("id"))
    assert len(line) == writers * each
    assert line[0].prev_hmac == GENESIS
    assert [event.prev_hmac for event in line[1:]] == [event.hmac for event in line[:-1]]
    assert AuditChainHead.objects.get(chain=0).hmac == line[-1].hmac
    call_command("verify_audit")  # raises CommandError if any link is broken
