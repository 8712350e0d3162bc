"""The operators' commands: `reevaluate_holds`, `verify_holds` and `evaluate_scenarios`."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from protocol.rules import evaluate as real_evaluate
from protocol.services import evaluation
from tests.worker import ROOT, database_url

from .conftest import decisions, hold_row, no_further_action, old_referral

SCENARIOS = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios" / "holds.json"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def manage(*args) -> subprocess.CompletedProcess:
    """`manage.py` in a process of its own, on the test database: the real exit code."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_DATABASE_URL": database_url(),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def tamper(hold, **fields) -> None:
    """Change a stored hold behind the services' back, as a bad migration or a hand edit would."""
    assignments = ", ".join(f"{name} = %s" for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE protocol_hold SET {assignments} WHERE id = %s",  # noqa: S608 (our names)
            [*fields.values(), hold.pk],
        )


# --- reevaluate_holds -----------------------------------------------------------------------------


def test_reevaluate_holds_by_default_takes_only_lagging_and_due_holds(officer, enqueued):
    referrals = [old_referral(officer) for _ in range(3)]
    no_further_action(officer, referrals[0].case)
    untouched = hold_row(referrals[1].victim)

    out, _ = run("reevaluate_holds", "--no-progress")

    assert out.strip() == "Re-evaluated 1 holds: 1 changed, 0 failed."
    assert hold_row(referrals[0].victim)["grounds"] == ["review_window"]
    assert decisions(referrals[0].victim)[-1].trigger == "command"
    assert hold_row(referrals[1].victim) == untouched
    out, _ = run("reevaluate_holds", "--no-progress")
    assert out.strip() == "Re-evaluated 0 holds: 0 changed, 0 failed."


def test_reevaluate_holds_all_takes_every_hold_in_batches_with_a_progress_bar(officer, enqueued):
    referrals = [old_referral(officer) for _ in range(3)]
    out, err = run("reevaluate_holds", "--all", "--batch-size", "2")
    assert out.strip() == "Re-evaluated 3 holds: 0 changed, 0 failed."
    assert "3/3" in err  # tqdm's bar, drawn on stderr
    assert err.count("\n") <= 2  # redrawn in place, not a line per update
    for item in referrals:
        assert len(decisions(item.victim)) == 1


def test_reevaluate_holds_names_the_holds_it_could_not_evaluate(officer, monkeypatch, enqueued):
    referrals = [old_referral(officer) for _ in range(2)]
    broken = referrals[0]

    def evaluate(facts, on, policy):
        if facts.cases[0].label == broken.case.reference:
            raise ValueError("the engine broke")
        return real_evaluate(facts, on, policy)

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 holds could not be evaluated"):
        call_command("reevaluate_holds", "--all", "--no-progress", stdout=out, stderr=err)
    assert "Re-evaluated 1 holds: 0 changed, 1 failed." in out.getvalue()
    assert broken.hold.reference in err.getvalue()
    assert referrals[1].hold.reference not in err.getvalue()


# --- verify_holds ---------------------------------------------------------------------------------


def test_verify_holds_is_clean_when_every_hold_matches(officer):
    for _ in range(3):
        old_referral(officer)
    out, err = run("verify_holds")
    assert out.strip() == "All 3 holds match a fresh evaluation."
    assert err == ""


def test_verify_holds_names_a_tampered_hold_and_fails(officer):
    referrals = [old_referral(officer) for _ in range(3)]
    tampered = referrals[1].hold
    tamper(tampered, status="ended", in_force=False, grounds=[])
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 3 holds differ"):
        call_command("verify_holds", "--batch-size", "2", stdout=StringIO(), stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{tampered.reference}: stored ended")
    assert "fresh active ['investigation_ongoing']" in lines[0]


def test_verify_holds_sees_a_stored_ruleset_that_differs(officer):
    referral = old_referral(officer)
    tamper(referral.hold, ruleset=json.dumps({"version": "2020.1-1", "policy": {}}))
    with pytest.raises(CommandError):
        run("verify_holds")


@pytest.mark.django_db(transaction=True)
def test_verify_holds_exits_non_zero_until_the_hold_is_repaired(officer, enqueued):
    referrals = [old_referral(officer) for _ in range(2)]
    tamper(referrals[0].hold, status="ended", in_force=False, grounds=[])

    found = manage("verify_holds")
    assert found.returncode != 0
    assert referrals[0].hold.reference in found.stderr
    assert referrals[1].hold.reference not in found.stderr

    run("reevaluate_holds", "--all", "--no-progress")  # the repair
    assert hold_row(referrals[0].victim)["status"] == "active"
    clean = manage("verify_holds")
    assert clean.returncode == 0, clean.stderr
    assert "All 2 holds match" in clean.stdout


# --- evaluate_scenarios ---------------------------------------------------------------------------


def test_evaluate_scenarios_prints_one_result_per_item_in_order():
    items = json.loads(SCENARIOS.read_text(encoding="utf-8"))
    out, _ = run("evaluate_scenarios", str(SCENARIOS))
    results = json.loads(out)
    assert isinstance(results, list)
    assert [result["name"] for result in results] == [item["name"] for item in items]
    for result, item in zip(results, items, strict=True):
        assert set(result) == {
            "name",
            "status",
            "in_force",
            "grounds",
            "protected_until",
            "flags",
            "explanation",
            "ruleset",
        }
        for key, expected in item["expect"].items():
            assert result[key] == expected, (item["name"], key)


def test_evaluate_scenarios_reads_several_files_into_one_array(tmp_path):
    extra = tmp_path / "more.json"
    extra.write_text(json.dumps([{"name": "nothing", "on": "2026-11-24", "facts": {}}]))
    out, _ = run("evaluate_scenarios", str(SCENARIOS), str(extra))
    results = json.loads(out)
    assert results[-1]["name"] == "nothing"
    assert results[-1]["status"] == "not_covered"


def test_a_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"on": "2026-11-24", "facts": {}}]).encode())
    out, _ = run("evaluate_scenarios", str(path))
    assert json.loads(out)[0]["status"] == "not_covered"


def test_an_unknown_status_is_not_a_broken_item(tmp_path):
    path = tmp_path / "h0.json"
    case = {"role": "victim", "referred_on": "2026-01-05", "investigation": {"status": "lost"}}
    path.write_text(json.dumps([{"on": "2026-11-24", "facts": {"cases": [case]}}]))
    out, _ = run("evaluate_scenarios", str(path))
    [result] = json.loads(out)
    assert result["in_force"] is True
    assert "data_incomplete" in result["flags"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the file"),
        ("{not json", "not valid JSON"),
        ('{"name": "a single item"}', "must hold a list of items, got an object"),
        ('[{"name": "no facts", "on": "2026-11-24"}]', "item 0 ('no facts'): no 'facts'"),
        (
            '[{"name": "bad date", "on": "2026-11-24", "facts": {"cases": '
            '[{"role": "victim", "referred_on": "24/11/2026"}]}}]',
            "referred_on must be an ISO 8601 date (YYYY-MM-DD), got '24/11/2026'",
        ),
        ('[{"name": "bad on", "on": "tomorrow", "facts": {}}]', "on must be an ISO 8601 date"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
    ids=["missing file", "not JSON", "not a list", "no facts", "bad date", "bad on date", "deep"],
)
def test_evaluate_scenarios_refuses_a_broken_file_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "scenarios.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError) as raised:
        run("evaluate_scenarios", str(path))
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_evaluate_scenarios_exits_non_zero_on_a_broken_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"on": "2026-11-24"}]')
    completed = manage("evaluate_scenarios", str(path))
    assert completed.returncode != 0
    assert "no 'facts'" in completed.stderr
    assert completed.stdout == ""
