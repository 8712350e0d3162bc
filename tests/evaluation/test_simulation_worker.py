"""A large policy simulation runs on a real Celery worker (Redis, PostgreSQL): the API answers
202 at once, the worker writes progress and keeps the result, and no hold is changed."""

import pytest
from django.test import Client

from protocol.models import Hold, HoldDecision, PolicySimulation
from protocol.services import simulation
from protocol.suppression import cell_key, perturb_count, record_key
from tests.factories import make_referral
from tests.worker import wait_for

pytestmark = pytest.mark.worker


def test_a_large_simulation_runs_on_the_worker(
    officer, analyst, celery_worker_process, monkeypatch
):
    for index in range(8):
        make_referral(officer, victim={"family_name": f"Worker {index}"})
    before = list(Hold.objects.order_by("pk").values_list("pk", "status", "protected_until"))
    decisions = HoldDecision.objects.count()
    monkeypatch.setattr(simulation, "RUN_NOW_UP_TO", 3)  # "large": more than 3 holds
    worker = celery_worker_process()
    worker.wait_ready()
    client = Client()
    client.force_login(analyst)
    response = client.post(
        "/api/v1/policy-simulations",
        {"policy": {"cover_witnesses": False, "grace_days": 3}},
        content_type="application/json",
    )
    assert response.status_code == 202
    simulation_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    wait_for(
        lambda: PolicySimulation.objects.get(pk=simulation_id).status == "done",
        timeout=60,
        message="the worker's simulation",
    )
    body = client.get(f"/api/v1/policy-simulations/{simulation_id}").json()
    assert body["status"] == "done" and body["done"] == body["total"] == 8
    # Eight holds, published perturbed by the cell key of the eight (never below 5).
    secret = simulation.record_secret()
    key = cell_key(record_key(secret, pk.bytes) for pk, *_ in before)
    assert body["result"]["holds"] == perturb_count(8, key)
    after = list(Hold.objects.order_by("pk").values_list("pk", "status", "protected_until"))
    assert after == before and HoldDecision.objects.count() == decisions
