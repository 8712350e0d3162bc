"""Around each task the worker keeps its database connection, the way Django keeps one across
requests: closed when broken or too old, health-checked after an idle spell."""

from types import SimpleNamespace

import pytest
from django.db import connection

from protocol import tasks

WORKER_TASK = SimpleNamespace(request=SimpleNamespace(is_eager=False))
EAGER_TASK = SimpleNamespace(request=SimpleNamespace(is_eager=True))


@pytest.fixture
def persistent_connection(transactional_db, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    connection.ensure_connection()
    yield connection
    connection.close()


def test_a_connection_is_kept_from_task_to_task(persistent_connection, monkeypatch):
    raw = persistent_connection.connection
    tasks._after_task(WORKER_TASK)
    tasks._before_task(WORKER_TASK)
    assert persistent_connection.connection is raw
    assert persistent_connection.health_check_done is True  # used moments ago: no round trip

    monkeypatch.setattr(tasks, "_last_task_finished", float("-inf"))  # idle for long
    tasks._before_task(WORKER_TASK)
    assert persistent_connection.connection is raw
    assert persistent_connection.health_check_done is False  # checked before its next use


def test_a_connection_older_than_its_maximum_age_is_closed(persistent_connection):
    persistent_connection.close_at = 0  # long past
    tasks._after_task(WORKER_TASK)
    assert persistent_connection.connection is None


def test_tasks_run_eagerly_leave_the_connection_alone(persistent_connection):
    persistent_connection.close_at = 0
    tasks._after_task(EAGER_TASK)
    tasks._before_task(EAGER_TASK)
    assert persistent_connection.connection is not None
