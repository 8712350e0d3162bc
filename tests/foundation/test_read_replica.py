"""The statistics read a real streaming replica; nothing else does.

The test starts its own primary PostgreSQL (scripts/embedded.py, in a folder of its own: the
machine's shared server is never touched), migrates it and records five referrals, makes a
standby from it with `pg_basebackup -R` (streaming replication on loopback, another port) and
runs the service under gunicorn with `DATABASE_URL` = the primary and `DATABASE_REPLICA_URL` =
the standby. With the standby's replay paused (a replica lagging as far as one can), a referral
written through the service's code with both settings is on the primary at once: a hold check
finds its hold in force at once, and a hold that lags facts changed meanwhile is re-evaluated on
the primary's facts before the check answers, while the statistics still count the five the
replica has.
Replay resumed, the statistics count six. Every write (the referral, the checks, the access
events of every request, statistics included) is on the primary, which the standby refuses.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import embedded  # noqa: E402

from core.db_router import PrimaryRouter, replica_or_default  # noqa: E402
from protocol.models import Hold  # noqa: E402
from tests.servers import gunicorn  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
LATE = "B7654321"  # the person referred while the replica lags

SETUP = """
import json
from accounts.services import token_issue
from tests.factories import OrganisationFactory, UserFactory, make_referral
force = OrganisationFactory(kind="police_force", code="northshire", name="Northshire Police")
ie = OrganisationFactory(kind="immigration_enforcement", code="ie", name="IE Protocol Unit")
oversight = OrganisationFactory(kind="oversight", code="oversight", name="Protocol Oversight")
officer = UserFactory(
    role="police_officer", organisation=force, email="officer@northshire.example"
)
caseworker = UserFactory(role="ie_caseworker", organisation=ie, email="caseworker@ie.example")
analyst = UserFactory(role="analyst", organisation=oversight, email="analyst@oversight.example")
for number in range(5):
    make_referral(officer, victim={"home_office_reference": f"B100000{number}"})
print(json.dumps({"caseworker": token_issue(user=caseworker)[0],
                  "analyst": token_issue(user=analyst)[0]}))
"""

CHANGED = "B1000000"  # a person whose investigation closes while the replica lags

WHILE_LAGGING = f"""
from accounts.models import User
from cases.models import Case
from cases.services import case_status_change
from tests.factories import days_ago, make_referral
officer = User.objects.get(email="officer@northshire.example")
make_referral(officer, victim={{"home_office_reference": "{LATE}"}})
case_status_change(
    case=Case.objects.get(victim__home_office_reference="{CHANGED}"),
    by=officer,
    changes={{
        "investigation_status": "no_further_action",
        "closed_on": days_ago(10),
        "outcome_code": 16,
    }},
)
"""
GROUNDS = """
SELECT hold.grounds, hold.evaluated_version, victim.facts_version
FROM protocol_hold hold JOIN victims_victim victim ON victim.id = hold.victim_id
WHERE victim.home_office_reference = %s
"""


def _query(url: str, sql: str, params=()):
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(sql, params).fetchone()


def _caught_up(primary: str, standby: str) -> None:
    target = _query(primary, "SELECT pg_current_wal_lsn()")[0]
    deadline = time.monotonic() + 30
    while not _query(standby, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])[0]:
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.1)


def _shell(env: dict, script: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def world():
    """A primary with five referrals, its streaming standby, and Redis; all private, stopped and
    removed after the module."""
    folder = Path(tempfile.mkdtemp(prefix="read-replica-"))
    folder.chmod(0o755)  # PostgreSQL runs as an unprivileged user when the tests run as root
    account = embedded._postgres_account()
    stops = {}
    standby_data = folder / "standby" / "pgdata"
    try:
        primary, stops["primary"] = embedded.start_postgres(folder / "primary")
        redis_url, stops["redis"] = embedded.start_redis(folder / "redis")
        env = {
            **os.environ,
            "DATABASE_URL": primary,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_SECRET_KEY": "test-only-not-secret",
            "AUDIT_HMAC_KEY": "test-only-audit-key",
        }
        env.pop("DATABASE_REPLICA_URL", None)
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        tokens = json.loads(_shell(env, SETUP).strip().splitlines()[-1])

        # The standby: a base backup of the primary, streaming from it (-R writes the settings).
        standby_data.parent.mkdir()
        if account:
            os.chown(standby_data.parent, account.uid, account.gid)
        port = int(primary.rsplit(":", 1)[1].split("/")[0])
        status, output = embedded._run(
            [embedded._pg_bin("pg_basebackup"), "-h", embedded.HOST, "-p", str(port)]
            + [
                "-U",
                embedded.SUPERUSER,
                "-D",
                str(standby_data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
            account,
        )
        assert status == 0, output
        standby_port = embedded._pg_start(
            standby_data, folder / "standby" / "server.log", None, account
        )
        stops["standby"] = lambda: embedded._pg_stop(standby_data, account)
        standby = primary.replace(f":{port}/", f":{standby_port}/")
        assert _query(standby, "SELECT pg_is_in_recovery()")[0]
        _caught_up(primary, standby)
        yield {
            "folder": folder,
            "env": {**env, "DATABASE_REPLICA_URL": standby},
            "primary": primary,
            "standby": standby,
            "tokens": tokens,
        }
    finally:
        for name in ("standby", "redis", "primary"):
            if name in stops:
                stops[name]()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def service(world):
    """The service under gunicorn, with the primary and the replica."""
    with gunicorn(world["env"], world["folder"] / "gunicorn.log") as (base, _):
        yield base


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    return session


def _active_holds(analyst: requests.Session, base: str) -> int:
    response = analyst.get(f"{base}/api/v1/statistics", timeout=10)
    assert response.status_code == 200, response.text
    cells = {cell["key"]: cell for cell in response.json()["holds_by_status"]}
    return cells["active"]["count"]


def _check(caseworker: requests.Session, base: str, reference: str) -> dict:
    response = caseworker.post(
        f"{base}/api/v1/hold-checks", json={"home_office_reference": reference}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_statistics_read_the_replica_and_hold_checks_never_do(world, service):
    primary, standby = world["primary"], world["standby"]
    analyst = _session(world["tokens"]["analyst"])
    caseworker = _session(world["tokens"]["caseworker"])
    assert _active_holds(analyst, service) == 5
    assert _check(caseworker, service, LATE)["in_force"] is False  # nobody by that reference

    # The replica lags: its replay is paused.
    _caught_up(primary, standby)
    _query(standby, "SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 10
    while _query(standby, "SELECT pg_get_wal_replay_pause_state()")[0] != "paused":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        # Writes through the service's code, with the replica configured: on the primary. (No
        # worker runs, so the closed investigation's hold is left lagging its facts.)
        _shell(world["env"], WHILE_LAGGING)
        find = "SELECT count(*) FROM victims_victim WHERE home_office_reference = %s"
        assert _query(primary, find, [LATE])[0] == 1
        assert _query(standby, find, [LATE])[0] == 0  # not on the replica yet
        grounds, evaluated, facts = _query(primary, GROUNDS, [CHANGED])
        assert evaluated < facts and grounds == ["investigation_ongoing"]
        assert _query(standby, GROUNDS, [CHANGED])[2] < facts  # the replica has older facts

        # The hold check reads the primary: the new hold is in force at once...
        answer = _check(caseworker, service, LATE)
        assert answer["in_force"] is True, answer
        # ...and the lagging hold is re-evaluated first, on the primary's (newest) facts.
        assert _check(caseworker, service, CHANGED)["in_force"] is True
        assert _query(primary, GROUNDS, [CHANGED]) == (["review_window"], facts, facts)
        # ...while the statistics, read on the replica, do not count it yet.
        assert _active_holds(analyst, service) == 5
        assert _query(primary, "SELECT count(*) FROM protocol_hold")[0] == 6
    finally:
        _query(standby, "SELECT pg_wal_replay_resume()")

    _caught_up(primary, standby)
    assert _active_holds(analyst, service) == 6

    # Every write went to the primary: both checks and every request's access event.
    assert _query(primary, "SELECT count(*) FROM protocol_holdcheck")[0] == 3
    viewed = "SELECT count(*) FROM accounts_accessevent WHERE object_type = 'statistics'"
    assert _query(primary, viewed)[0] == 3
    assert _query(standby, "SELECT pg_is_in_recovery()")[0]  # it could have taken none


def _databases(**env: str) -> dict:
    """The DATABASES the production settings build from these environment variables."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    script = "import json; from config.settings import base; print(json.dumps(base.DATABASES))"
    done = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env={**environment, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_without_a_replica_nothing_changes():
    assert list(_databases(DATABASE_URL="postgres://app@db.example:5432/casework")) == ["default"]
    assert replica_or_default() == "default"  # the test settings have none


def test_a_replica_is_an_alias_that_nothing_uses_unasked():
    databases = _databases(
        DATABASE_URL="postgres://app@db.example:5432/casework",
        DATABASE_REPLICA_URL="postgres://reader@replica.example:5432/casework?sslmode=require",
    )
    assert list(databases) == ["default", "replica"]
    replica = databases["replica"]
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == (
        "replica.example",
        "reader",
        "casework",
    )
    assert replica["OPTIONS"]["sslmode"] == "require"
    router = PrimaryRouter()
    assert router.db_for_read(Hold) == router.db_for_write(Hold) == "default"
    assert router.allow_migrate("default", "protocol") is True
    assert router.allow_migrate("replica", "protocol") is False
