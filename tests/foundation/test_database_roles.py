"""The service connects as a role made by `create_app_role`: it owns nothing, may only read and
add to the access log, and cannot turn the log's triggers off; every other table (and those
later migrations create) it uses as usual. The tests themselves run as a superuser."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import errors, sql

from accounts.audit import record_access
from accounts.models import AccessEvent
from tests.worker import database_url

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "app-role-test-password"


def _url_as(role: str) -> str:
    params = connection.settings_dict
    host, port = params.get("HOST") or "127.0.0.1", params.get("PORT") or 5432
    return f"postgres://{role}:{PASSWORD}@{host}:{port}/{params['NAME']}"


@pytest.fixture
def app_role():
    """A role of this test's own (roles belong to the whole server), dropped afterwards."""
    role = f"casework_app_{uuid.uuid4().hex[:10]}"
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone():
                for statement in ("DROP OWNED BY {}", "DROP ROLE {}"):
                    cursor.execute(
                        sql.SQL(statement)
                        .format(sql.Identifier(role))
                        .as_string(connection.connection)
                    )


def _as_role(role: str, statement: str) -> None:
    with psycopg.connect(_url_as(role), autocommit=True) as conn:
        conn.execute(statement)


def _service_as(role: str, code: str) -> str:
    """Run `code` in a Django process of the service connected as `role`; return its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_DATABASE_URL": _url_as(role),
            "AUDIT_CHECKPOINT_KEY": settings.AUDIT_CHECKPOINT_KEY,  # this test's, removed after it
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_service_role_may_add_to_the_access_log_but_not_change_or_empty_it(
    app_role, auditor, capsys
):
    record_access(user=auditor, action="view", object_type="statistics")
    call_command("create_app_role", url=_url_as(app_role))
    assert f"Created the role {app_role}" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s",
            [app_role],
        )
        assert cursor.fetchone() == (False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE tableowner = %s", [app_role]
        )  # owns no table
        assert cursor.fetchone() == (0,)

    # Refused by the role's privileges, before the log's own triggers are reached (they raise
    # the same error class, so the messages tell them apart).
    refused = {
        "UPDATE accounts_accessevent SET detail = 'x'": "permission denied for table",
        "DELETE FROM accounts_accessevent": "permission denied for table",
        "TRUNCATE accounts_accessevent": "permission denied for table",
        "DELETE FROM accounts_auditchainhead": "permission denied for table",
        "TRUNCATE accounts_auditchainhead": "permission denied for table",
        "TRUNCATE accounts_user CASCADE": "permission denied for table",
        "ALTER TABLE accounts_accessevent DISABLE TRIGGER USER": "must be owner of table",
        "DROP TRIGGER accounts_accessevent_no_update_delete ON accounts_accessevent": (
            "must be owner of (table|relation)"
        ),
        "DROP TABLE accounts_accessevent": "must be owner of table",
    }
    for statement, message in refused.items():
        with pytest.raises(errors.InsufficientPrivilege, match=message):
            _as_role(app_role, statement)

    # The service, connected as the role, uses the other tables as usual and records accesses.
    output = _service_as(
        app_role,
        "from accounts.audit import record_access\n"
        "from tests.factories import OrganisationFactory, UserFactory\n"
        "org = OrganisationFactory(kind='oversight', code='o2', name='Oversight Two')\n"
        "user = UserFactory(role='auditor', organisation=org, email='second@oversight.example')\n"
        "for _ in range(5):\n"
        "    print(record_access(user=user, action='view', object_type='statistics').pk)\n"
        "from django.core.management import call_command\n"
        "call_command('verify_audit')\n",
    )
    assert "6 access events checked: the chain is intact." in output
    assert AccessEvent.objects.filter(actor_email="second@oversight.example").count() == 5
    call_command("verify_audit")  # and so does the owner


def test_tables_later_migrations_create_are_the_service_roles_to_use(app_role):
    call_command("create_app_role", url=_url_as(app_role))
    with connection.cursor() as cursor:  # as a later migration, run by the owner, would
        cursor.execute("CREATE TABLE later_migration (id bigint GENERATED BY DEFAULT AS IDENTITY)")
    try:
        with psycopg.connect(_url_as(app_role), autocommit=True) as conn:
            conn.execute("INSERT INTO later_migration DEFAULT VALUES")
            conn.execute("UPDATE later_migration SET id = id")
            conn.execute("DELETE FROM later_migration")
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute("TRUNCATE later_migration")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_migration")


def test_create_app_role_runs_again_and_refuses_the_owner(app_role, capsys, settings):
    settings.APP_DATABASE_URL = None
    call_command("create_app_role", url=_url_as(app_role))
    call_command("create_app_role", url=_url_as(app_role))
    assert f"Updated the role {app_role}" in capsys.readouterr().out
    _as_role(app_role, "SELECT count(*) FROM accounts_accessevent")  # the password still works
    with pytest.raises(CommandError, match="owns or migrates the tables"):
        call_command("create_app_role", url=database_url())
    with pytest.raises(CommandError, match="Set APP_DATABASE_URL"):
        call_command("create_app_role")
