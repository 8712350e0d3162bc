"""Settings read from the environment; production refuses to start without secrets; the
compose file runs the production shape with the settings' own variables."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRET = secrets.token_urlsafe(60)
AUDIT_KEY = "y" * 40


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HOLD_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_check_deploy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=SECRET,
        AUDIT_HMAC_KEY=AUDIT_KEY,
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {"DJANGO_ALLOWED_HOSTS": "casework.example.gov.uk,10.0.0.5"},
            "https://casework.example.gov.uk",
        ),
        (
            {"DJANGO_ALLOWED_HOSTS": ".example.gov.uk", "SITE_URL": "https://cw.example.gov.uk"},
            "https://cw.example.gov.uk",
        ),
        ({"DJANGO_ALLOWED_HOSTS": ".example.gov.uk"}, "SITE_URL must be set"),
    ],
)
def test_production_links_never_come_from_a_request_host(environment, expected):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SITE_URL)",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=SECRET,
        AUDIT_HMAC_KEY=AUDIT_KEY,
        **environment,
    )
    output = result.stdout.strip().splitlines()[-1:] if result.returncode == 0 else []
    assert output == [expected] or (result.returncode != 0 and expected in result.stderr)


def test_options_in_the_database_url_are_kept_beside_the_services_own():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(sorted(settings.DATABASES['default']['OPTIONS']"
        ".items()))",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=SECRET,
        AUDIT_HMAC_KEY=AUDIT_KEY,
        DATABASE_URL="postgres://app@db.example:5432/casework?sslmode=require&connect_timeout=5",
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip().splitlines()[-1]  # after the shell's own notices
    options = dict(eval(printed))  # noqa: S307 (our own printout of a list of pairs)
    assert options == {
        "sslmode": "require",
        "connect_timeout": 5,
        "server_side_binding": True,
        "prepare_threshold": 5,
    }


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HOLD_LIMBS", "some", "limbs"),
        ("HOLD_GRACE_DAYS", "-3", "grace_days"),
        ("HOLD_GRACE_DAYS", "four", "HOLD_GRACE_DAYS must be a whole number"),
        ("HOLD_COVER_WITNESSES", "perhaps", "HOLD_COVER_WITNESSES must be true or false"),
    ],
)
def test_a_bad_policy_value_stops_the_service_with_a_clear_message(variable, value, message):
    result = _manage("check", DJANGO_SETTINGS_MODULE="config.settings.local", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def _settings_variables() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names |= set(re.findall(r'env_(?:str|int|bool|list)\(\s*"([A-Z_]+)"', path.read_text()))
    return names


def test_compose_runs_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    redis_command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_command
    assert "--maxmemory-policy noeviction" in redis_command
    assert services["web"]["command"][:4] == [
        "gunicorn",
        "-c",
        "config/gunicorn.py",
        "config.wsgi:application",
    ]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["migrate"]["command"] == [
        "sh",
        "-c",
        "python manage.py migrate --noinput && python manage.py create_app_role",
    ]


def _user(url: str) -> str:
    return urlsplit(
        re.sub(r"\$\{[^}]*\}", "secret", url)
    ).username  # ${VAR:?...} as compose fills it


def test_compose_runs_the_service_as_a_role_that_does_not_own_the_tables():
    """Only migrate connects as the owner (the postgres service's superuser), and hands
    `create_app_role` the URL web, worker and beat connect with; they never see the owner's
    password."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    owner = services["postgres"]["environment"]["POSTGRES_USER"]
    migrate = services["migrate"]["environment"]
    assert _user(migrate["DATABASE_URL"]) == owner
    app_url = migrate["APP_DATABASE_URL"]
    assert _user(app_url) not in (owner, "postgres")
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"] == app_url
        assert "APP_DATABASE_URL" not in environment
        assert not any("POSTGRES_PASSWORD" in str(value) for value in environment.values())


def test_compose_environment_names_only_variables_the_settings_read():
    from django.conf import settings

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    known = _settings_variables()
    for name in ("web", "worker", "beat", "migrate"):
        environment = compose["services"][name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        unknown = set(environment) - known - {"DJANGO_SETTINGS_MODULE"}
        assert not unknown, f"{name} sets variables no setting reads: {unknown}"
        # Required secrets and both data stores are given.
        assert {"DJANGO_SECRET_KEY", "AUDIT_HMAC_KEY", "DATABASE_URL", "REDIS_URL"} <= set(
            environment
        )
        # The queue the worker consumes is the one the settings send tasks to.
    worker_command = compose["services"]["worker"]["command"]
    queue = worker_command[worker_command.index("--queues") + 1]
    assert queue == "casework"
    assert _default_queue() == "casework"
    assert settings.CELERY_TASK_ACKS_LATE is True


def _default_queue() -> str:
    source = (ROOT / "config" / "settings" / "base.py").read_text()
    return re.search(r'CELERY_TASK_DEFAULT_QUEUE = env_str\("CELERY_QUEUE", "([a-z]+)"\)', source)[
        1
    ]
