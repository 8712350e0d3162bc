"""The access log's HMAC chains, with events committed one by one as in production (each in a
transaction of its own, so they spread over the chains) and checked by `verify_audit`: against
the chains, their signed heads and the signed checkpoint kept in Redis, for each way someone
with the database (and perhaps the key) could remove events."""

import logging

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.audit import GENESIS, ChainHead, lock_chain, record_access, sign_head
from accounts.audit_verify import checkpoint_latest, checkpoint_save, checkpoint_take, verify_log
from accounts.models import AccessEvent, AuditChainHead
from accounts.tasks import checkpoint_access_log
from core.redis_client import redis_client

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


def test_each_chain_is_one_line_and_its_signed_head_is_its_newest_event(auditor):
    recorded = events(auditor, 40)
    for chain in {event.chain for event in recorded}:
        line = [event for event in recorded if event.chain == chain]
        assert line[0].prev_hmac == GENESIS
        assert [event.prev_hmac for event in line[1:]] == [event.hmac for event in line[:-1]]
        head = AuditChainHead.objects.get(chain=chain)
        assert (head.hmac, head.event_count) == (line[-1].hmac, len(line))
        assert head.head_hmac == sign_head(chain, line[-1].hmac, len(line))


def test_verify_audit_reports_intact_chains_and_names_the_first_broken_event(auditor, capsys):
    recorded = events(auditor, 20)
    call_command("verify_audit")
    assert "20 access events checked: the chain is intact." in capsys.readouterr().out
    tampered = recorded[7]
    without_trigger(
        "UPDATE accounts_accessevent SET object_type = 'case' WHERE id = %s", [tampered.pk]
    )
    with pytest.raises(
        CommandError, match=f"broken at event {tampered.pk} .* of audit chain {tampered.chain}:"
    ) as error:
        call_command("verify_audit")
    assert error.value.returncode != 0


def test_verify_audit_notices_events_cut_off_the_end_of_a_chain(auditor):
    last = events(auditor, 20)[-1]
    without_trigger("DELETE FROM accounts_accessevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match=f"end of audit chain {last.chain}:"):
        call_command("verify_audit")


def test_verify_audit_notices_a_chain_whose_head_was_removed(auditor):
    event = events(auditor, 20)[-1]
    AuditChainHead.objects.filter(chain=event.chain).delete()
    with pytest.raises(CommandError, match=f"Audit chain {event.chain} has events but no head"):
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
        assert lock_chain(cursor, event.chain) == ChainHead(event.hmac, 1)
        assert lock_chain(cursor, settings.AUDIT_CHAINS + 5) == ChainHead(GENESIS, 0)


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


# --- Removing events: what someone with the database, and perhaps the key, could do ---------


def as_someone_with_the_database(statement: str, parameters=()) -> None:
    """Run a statement with the log's triggers off, as the tables' owner (or a superuser) could."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE accounts_accessevent DISABLE TRIGGER USER")
        cursor.execute(statement, parameters)
        cursor.execute("ALTER TABLE accounts_accessevent ENABLE TRIGGER USER")


def move_heads_back(*, with_the_key: bool) -> None:
    """Point every head at its chain's newest remaining event, as someone hiding a cut would:
    signed again if they have the key, with the old signature left if not."""
    for head in AuditChainHead.objects.all():
        line = AccessEvent.objects.filter(chain=head.chain)
        newest = line.order_by("-id").first()
        head.hmac, head.event_count = (newest.hmac if newest else GENESIS), line.count()
        if with_the_key:
            head.head_hmac = sign_head(head.chain, head.hmac, head.event_count)
        head.save()


def newest_of_each_chain(recorded: list[AccessEvent]) -> dict[int, AccessEvent]:
    return {event.chain: event for event in recorded}  # in id order: the last one wins


def test_the_access_log_and_its_heads_refuse_truncate(auditor):
    record_access(user=auditor, action="view", object_type="statistics")
    for statement in (
        "TRUNCATE accounts_accessevent",
        "TRUNCATE accounts_auditchainhead",
        "TRUNCATE accounts_user CASCADE",  # reaches the log through its actor
    ):
        with (
            pytest.raises(DatabaseError, match="append-only: TRUNCATE is not allowed"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AccessEvent.objects.count() == 1
    assert AuditChainHead.objects.exists()


def test_an_untampered_log_passes_against_its_checkpoint_as_it_grows(auditor, capsys):
    events(auditor, 10)
    call_command("verify_audit")
    first = checkpoint_latest()
    assert first is not None and first.event_count == 10
    events(auditor, 10)
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert f"Every event the checkpoint of {first.taken_at} (Redis) saw is there." in out
    assert "20 access events checked: the chain is intact." in out
    assert checkpoint_latest().event_count == 20


def test_a_verification_finishing_late_never_replaces_a_newer_checkpoint(auditor, capsys):
    events(auditor, 10)
    slow = verify_log(None)  # a long verify_audit: it read the log with 10 events
    events(auditor, 10)
    assert checkpoint_take()  # meanwhile beat took a checkpoint of 20
    newer = checkpoint_latest()
    assert checkpoint_save(slow.chains) is None
    assert checkpoint_latest() == newer and newer.event_count == 20
    call_command("verify_audit")  # up to date again: it saves
    assert checkpoint_latest().event_count == 20
    assert checkpoint_latest().taken_at > newer.taken_at


def test_events_cut_from_the_end_and_heads_moved_back_without_the_key_are_noticed(auditor):
    recorded = events(auditor, 20)
    cut = recorded[-3:]
    for event in cut:
        as_someone_with_the_database("DELETE FROM accounts_accessevent WHERE id = %s", [event.pk])
    move_heads_back(with_the_key=False)
    with pytest.raises(CommandError) as error:
        call_command("verify_audit")  # no checkpoint yet: the heads' signatures show it
    for chain in {event.chain for event in cut}:
        assert f"The head of audit chain {chain} is not signed with the audit key" in str(
            error.value
        )


def test_events_cut_from_the_end_and_heads_re_signed_with_the_key_are_noticed(auditor):
    recorded = events(auditor, 20)
    call_command("verify_audit")  # takes a checkpoint
    cut = recorded[-3:]
    for event in cut:
        as_someone_with_the_database("DELETE FROM accounts_accessevent WHERE id = %s", [event.pk])
    move_heads_back(with_the_key=True)
    with pytest.raises(CommandError) as error:
        call_command("verify_audit")
    message = str(error.value)
    assert "not signed" not in message and "end of audit chain" not in message  # heads look fine
    newest = newest_of_each_chain(recorded)
    for chain in {event.chain for event in cut}:
        assert f"Events were cut from audit chain {chain}: event {newest[chain].pk}, " in message
    assert "the access log is NOT intact" in message


def test_an_event_removed_from_the_middle_of_a_chain_is_noticed(auditor):
    recorded = events(auditor, 40)
    chain = max(
        {event.chain for event in recorded}, key=lambda c: [e.chain for e in recorded].count(c)
    )
    line = [event for event in recorded if event.chain == chain]
    assert len(line) >= 3  # 40 events over 16 chains: the fullest has at least 3
    as_someone_with_the_database("DELETE FROM accounts_accessevent WHERE id = %s", [line[1].pk])
    with pytest.raises(
        CommandError,
        match=f"broken at event {line[2].pk} .* of audit chain {chain}: it was changed, or "
        f"events before it in its chain were removed",
    ):
        call_command("verify_audit")


def test_gaps_in_ids_from_rolled_back_transactions_are_not_tampering(auditor, capsys):
    events(auditor, 5)
    for _ in range(3):
        with pytest.raises(RuntimeError), transaction.atomic():
            record_access(user=auditor, action="view", object_type="statistics")
            raise RuntimeError("the access failed, so its event is rolled back")
    events(auditor, 5)
    ids = list(AccessEvent.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == 10 and ids[-1] - ids[0] + 1 == 13  # three ids were used and rolled back
    call_command("verify_audit")
    assert "10 access events checked: the chain is intact." in capsys.readouterr().out


def empty_the_log_and_reset_the_heads() -> None:
    as_someone_with_the_database("DELETE FROM accounts_accessevent")
    move_heads_back(with_the_key=True)


def test_a_log_emptied_outright_is_noticed(auditor):
    events(auditor, 20)
    call_command("verify_audit")
    empty_the_log_and_reset_the_heads()
    with pytest.raises(
        CommandError,
        match="The access log is empty, but the checkpoint of .* saw 20 events: the log was "
        "emptied.",
    ):
        call_command("verify_audit")


def test_a_checkpoint_from_the_service_log_shows_a_cut_when_redis_lost_its_own(
    auditor, caplog, capsys, tmp_path
):
    events(auditor, 10)
    with caplog.at_level(logging.INFO, logger="accounts.audit_verify"):
        call_command("verify_audit")
    [logged] = [
        r.getMessage() for r in caplog.records if "Access log checkpoint:" in r.getMessage()
    ]
    saved = tmp_path / "service.log"
    saved.write_text(f"2026-12-04 21:00:00,000 INFO accounts.audit_verify {logged}\n")
    empty_the_log_and_reset_the_heads()
    redis_client().delete(settings.AUDIT_CHECKPOINT_KEY)
    call_command("verify_audit")  # nothing left to compare with: it cannot tell, and says so
    assert "No access log checkpoint was found in Redis" in capsys.readouterr().err
    with pytest.raises(CommandError, match="saw 10 events: the log was emptied"):
        call_command("verify_audit", checkpoint=saved)


def test_a_forged_checkpoint_is_refused(auditor):
    import json

    events(auditor, 5)
    call_command("verify_audit")
    client = redis_client()
    stored = json.loads(client.get(settings.AUDIT_CHECKPOINT_KEY))
    stored["checkpoint"]["chains"] = {}  # as if the log had been empty
    client.set(settings.AUDIT_CHECKPOINT_KEY, json.dumps(stored))
    with pytest.raises(
        CommandError, match="checkpoint in Redis is unusable: the checkpoint is not signed"
    ):
        call_command("verify_audit")


def test_beat_takes_checkpoints_but_not_over_the_evidence_of_a_cut(auditor, caplog):
    from config.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE["checkpoint-access-log"]
    assert schedule["task"] == checkpoint_access_log.name
    assert checkpoint_access_log.name in app.tasks
    recorded = events(auditor, 10)
    assert checkpoint_access_log() is True
    taken = checkpoint_latest()
    assert taken.event_count == 10
    as_someone_with_the_database(
        "DELETE FROM accounts_accessevent WHERE id = %s", [recorded[-1].pk]
    )
    move_heads_back(with_the_key=True)
    with caplog.at_level(logging.ERROR, logger="accounts.audit_verify"):
        assert checkpoint_access_log() is False
    assert f"event {recorded[-1].pk}, the newest of audit chain {recorded[-1].chain}" in caplog.text
    assert checkpoint_latest() == taken  # kept, so verify_audit still sees the cut
    with pytest.raises(
        CommandError, match=f"Events were cut from audit chain {recorded[-1].chain}"
    ):
        call_command("verify_audit")


@pytest.mark.worker
def test_a_worker_takes_the_checkpoint_beat_asks_for(auditor, celery_worker_process):
    from tests.worker import wait_for

    events(auditor, 5)
    worker = celery_worker_process(AUDIT_CHECKPOINT_KEY=settings.AUDIT_CHECKPOINT_KEY)
    worker.wait_ready()
    checkpoint_access_log.delay()
    taken = wait_for(checkpoint_latest, timeout=60, message="the worker to take a checkpoint")
    assert taken.event_count == 5
    assert "Access log checkpoint: {" in worker.log()  # the service's log has it too
