"""Policy simulation (API.md "Evaluating the protocol"): the command, the API, bad input, and
nothing written but the access event and the kept result."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AccessEvent
from protocol.models import Hold, HoldDecision, PolicySimulation
from protocol.services import simulation
from protocol.suppression import cell_key, perturb_count, record_key
from tests.factories import make_referral

from .conftest import VICTIM_KEYS, walk_keys


def _holds_as_stored():
    return list(Hold.objects.order_by("pk").values_list("pk", "status", "protected_until"))


def test_the_command_prints_the_table_and_changes_nothing(w):
    before, decisions = _holds_as_stored(), HoldDecision.objects.count()
    out = StringIO()
    call_command(
        "simulate_policy",
        "--set",
        "appeal_window_days.crown=21",
        "--set",
        "grace_days=0",
        "--no-progress",
        stdout=out,
    )
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("Simulated ") and last.endswith(" would change status")
    assert _holds_as_stored() == before and HoldDecision.objects.count() == decisions


def test_the_command_refuses_an_unknown_setting_or_date(w):
    with pytest.raises(CommandError, match="policy.grace"):
        call_command("simulate_policy", "--set", "grace=3", "--no-progress")
    with pytest.raises(CommandError, match="on:"):
        call_command("simulate_policy", "--set", "grace_days=3", "--on", "2020-01-01")


def test_an_analyst_simulates_and_reads_counts_only(w):
    officer = w.users["police_officer"]
    for index in range(6):
        make_referral(officer, victim={"family_name": f"Sim {index}"})
    client = w.client("analyst")
    on = (date.today() + timedelta(days=10)).isoformat()
    response = client.post(
        "/api/v1/policy-simulations",
        {"policy": {"cover_witnesses": False}, "on": on},
        format="json",
    )
    assert response.status_code == 202, response.content
    simulation_id = response.json()["id"]
    read = client.get(f"/api/v1/policy-simulations/{simulation_id}")
    assert read.status_code == 200
    body = read.json()
    assert body["status"] == "done"
    assert not set(walk_keys(body["result"])) & (VICTIM_KEYS | {"reference", "hold_reference"})
    # The total is perturbed by the cell-key method: its key is the sum of the holds' keys.
    secret = simulation.record_secret()
    holds = list(simulation.simulated_holds().values_list("pk", flat=True))
    key = cell_key(record_key(secret, pk.bytes) for pk in holds)
    assert body["result"]["holds"] == perturb_count(len(holds), key)
    assert body["result"]["perturbed"] is True
    table = body["result"]["status_changes"]["from_to"]
    assert all(c is None or c == 0 or c >= 5 for row in table for c in row)
    # Another analyst's simulation is not this one's to read.
    assert w.client("auditor").get(f"/api/v1/policy-simulations/{simulation_id}").status_code == 404
    assert AccessEvent.objects.filter(object_type="policy_simulation").count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"policy": {"grace": 3}}, "policy.grace"),
        ({"policy": {"grace_days": -1}}, "policy.grace_days"),
        ({"policy": {"appeal_window_days": {"crown": "x"}}}, "policy.appeal_window_days"),
        ({"policy": {"grace_days": 3}, "on": "2020-01-01"}, "on"),
        (
            {"policy": {"grace_days": 3}, "on": (date.today() + timedelta(days=400)).isoformat()},
            "on",
        ),
        ({"policy": {}}, "policy"),
    ],
)
def test_bad_simulation_input_is_a_400_naming_the_field_and_runs_nothing(w, body, field):
    response = w.client("analyst").post("/api/v1/policy-simulations", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not PolicySimulation.objects.exists()


def test_police_may_not_simulate(w):
    response = w.client("police_officer").post(
        "/api/v1/policy-simulations", {"policy": {"grace_days": 3}}, format="json"
    )
    assert response.status_code == 403
