"""`make smoke`: the production settings under gunicorn, walked as a user would.

Builds the static files as the Dockerfile does (`collectstatic` under the production settings),
migrates a database of its own, creates a user of each role, starts gunicorn and a Celery worker
with the production settings, then, behind a pretend TLS proxy (`X-Forwarded-Proto: https`), checks:
the sign-in page, `/healthz`, and for each role a sign-in and a page of that role, each answering
200 with the manifest's hashed static names. Exits non-zero naming the first thing that failed.

Uses the servers in DATABASE_URL (or TEST_DATABASE_URL; a database named `<name>_smoke` is made
beside it) and REDIS_URL, or embedded ones (scripts/services.py).
"""

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from demo import APP_ROLE, APP_ROLE_PASSWORD, as_role  # noqa: E402
from services import services  # noqa: E402

BIN = ROOT / ".venv" / "bin"
# A page each role uses every day (the home page is walked for every role too).
ROLE_PAGES = {
    "police_officer": "/cases/",
    "police_supervisor": "/cases/",
    "support_adviser": "/victims/",
    "ie_caseworker": "/check-a-hold",
    "ie_senior": "/holds/review",
    "auditor": "/",
    "analyst": "/",
    "administrator": "/accounts/users",
}
ORGANISATIONS = [
    ("police_force", "smokeshire", ["police_officer", "police_supervisor"]),
    ("support_organisation", "smoke-support", ["support_adviser"]),
    ("immigration_enforcement", "smoke-ie", ["ie_caseworker", "ie_senior"]),
    ("oversight", "smoke-oversight", ["auditor", "analyst", "administrator"]),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smoke_database(url: str) -> str:
    """The same server, a database of the smoke run's own, made empty."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_smoke"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def connected_roles(base_url: str) -> set[str]:
    """Who is connected to the smoke database (other than this check itself)."""
    import psycopg

    parts = urlsplit(base_url)
    database = parts.path.lstrip("/") + "_smoke"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchall()
    return {row[0] for row in rows}


class Browser:
    """Just enough of a browser: cookies kept by hand (they are Secure, sent over plain HTTP
    because the pretend proxy has already ended TLS), the CSRF token, and the proxy's header."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        origin = f"https://127.0.0.1:{self.port}"
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Origin": origin,
            "Referer": origin + path,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, response.headers, content

    def sign_in(self, email: str, password: str) -> None:
        status, _, page = self.request("GET", "/accounts/login")
        check(status == 200, f"sign-in page answered {status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        check(token is not None, "sign-in page has no CSRF token")
        form = {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
        status, headers, page = self.request("POST", "/accounts/login", form)
        check(status == 302, f"signing in as {email} answered {status}: {page[:300]}")


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"smoke: FAILED: {message}")


def check_page(status: int, page: str, what: str) -> None:
    check(status == 200, f"{what} answered {status}")
    check(
        re.search(r"/static/govuk/govuk-frontend\.min\.[0-9a-f]{12}\.css", page) is not None,
        f"{what} does not name the hashed stylesheet",
    )


def wait_for(url_check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            if url_check():
                return
        except OSError as error:
            last = error
        time.sleep(0.5)
    raise SystemExit(f"smoke: FAILED: {what} not ready in {seconds:.0f} s ({last})")


def main() -> int:
    with ExitStack() as stack:
        # CI names its server in TEST_DATABASE_URL (as for `make test`); otherwise DATABASE_URL,
        # or an embedded server when neither is set.
        var = "TEST_DATABASE_URL" if os.environ.get("TEST_DATABASE_URL") else "DATABASE_URL"
        urls = stack.enter_context(services(database_var=var))
        base_url = urls[var]
        static_root = stack.enter_context(tempfile.TemporaryDirectory(prefix="smoke-static-"))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "AUDIT_HMAC_KEY": secrets.token_urlsafe(32),
            "DJANGO_STATIC_ROOT": static_root,
            "DATABASE_URL": smoke_database(base_url),
            "REDIS_URL": urls["REDIS_URL"],
            "CELERY_QUEUE": f"smoke-{uuid.uuid4().hex[:12]}",
            "PYTHONUNBUFFERED": "1",
        }
        python = str(BIN / "python")

        def manage(*args: str, env_extra: dict | None = None) -> str:
            result = subprocess.run(
                [python, "manage.py", *args],
                cwd=ROOT,
                env={**env, **(env_extra or {})},
                capture_output=True,
                text=True,
            )
            check(result.returncode == 0, f"manage.py {' '.join(args)}: {result.stderr[-2000:]}")
            return result.stdout

        print("smoke: collectstatic, migrate, accounts under config.settings.production")
        manage("collectstatic", "--noinput", "-v", "0")
        manage("migrate", "--noinput", "-v", "0")
        # As in production: the owner migrates and makes the service's role; everything after
        # connects as that role, which may only read and add to the access log.
        app_url = as_role(env["DATABASE_URL"], APP_ROLE, APP_ROLE_PASSWORD)
        manage("create_app_role", env_extra={"APP_DATABASE_URL": app_url})
        env["DATABASE_URL"] = app_url
        password = secrets.token_urlsafe(18)
        users = {}
        for kind, code, roles in ORGANISATIONS:
            contact = f"Protocol desk; 01632 960000; protocol@{code}.example"
            manage("create_organisation", "--kind", kind, "--code", code, "--name", code.title(),
                   "--contact", contact)  # fmt: skip
            for role in roles:
                users[role] = f"{role.replace('_', '.')}@{code}.example"
                manage("create_user", "--email", users[role], "--organisation", code,
                       "--role", role, "--password", password)  # fmt: skip

        port = free_port()
        logs = Path(static_root) / "logs"
        logs.mkdir()
        commands = {
            "gunicorn": [
                str(BIN / "gunicorn"),
                "-c",
                "config/gunicorn.py",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            "worker": [python, "-m", "celery", "-A", "config", "worker", "--concurrency", "1"],
        }
        processes = []
        for name, command in commands.items():
            log = stack.enter_context(open(logs / f"{name}.log", "w"))  # noqa: SIM115
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )
            processes.append((name, process))

        def stop() -> None:
            for _, process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for _, process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

        stack.callback(stop)
        try:
            anonymous = Browser(port)
            print(f"smoke: gunicorn on 127.0.0.1:{port}, waiting for /healthz")
            wait_for(lambda: anonymous.request("GET", "/healthz")[0] == 200, "/healthz")
            status, headers, body = anonymous.request("GET", "/healthz")
            check('"database": "ok"' in body and '"worker": "ok"' in body, f"/healthz: {body}")
            status, _, page = anonymous.request("GET", "/accounts/login")
            check_page(status, page, "the sign-in page")
            print("smoke: /healthz and the sign-in page: ok")
            check(
                connected_roles(base_url) == {APP_ROLE}, f"connected as {connected_roles(base_url)}"
            )
            print(f"smoke: gunicorn and the worker connect as {APP_ROLE} only")
            for role, path in ROLE_PAGES.items():
                browser = Browser(port)
                browser.sign_in(users[role], password)
                for where in dict.fromkeys(["/", path]):
                    status, _, page = browser.request("GET", where)
                    check_page(status, page, f"{where} for {role}")
                print(f"smoke: {role} ({users[role]}): signed in, {path} ok")
        except SystemExit:
            for name in commands:
                print(f"--- {name} log (last lines) ---", file=sys.stderr)
                print((logs / f"{name}.log").read_text()[-3000:], file=sys.stderr)
            raise
    print("smoke: production settings under gunicorn: all ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
