"""Real processes for integration tests: servers, workers, private Redis instances and a
TCP proxy that can be cut (an outage of PostgreSQL or Redis without touching the shared
services of the machine). Used by the end-to-end, outage, production and scale-out tests.

Also the one rule for the services a test needs (`require_*`: skip outside CI, fail under
CI=true), the environment of a child process (`host_env`, `database_url`) and the broker's
clean-up between tests (`broker_clean`)."""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
CHROMIUM_PATHS = ("chromium", "/usr/bin/chromium")
# What a child process must not inherit from the test run: the test database's name, the
# run's S3, Celery and HELPDESK_* settings (host_env sets its own).
CHILD_ENV_DROPPED = ("AWS_", "CELERY_", "HELPDESK_", "TEST_DATABASE")
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"  # tests/conftest.py's users


# --- the services a test needs: skip outside CI, fail under CI=true ------------------------

def service_missing(reason: str) -> NoReturn:
    """The one rule for a missing service: the calling test (or module, at import) skips,
    except under CI=true, where it fails."""
    import pytest

    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def require_postgres() -> None:
    """Only on the PostgreSQL pass. The SQLite pass skips, also in CI (its PostgreSQL pass
    runs the test); a PostgreSQL DATABASE_URL the tests do not run on is a failure under
    CI=true."""
    import pytest

    if on_postgres():
        return
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        service_missing("DATABASE_URL is PostgreSQL and the tests do not run on it")
    pytest.skip("needs DATABASE_URL=postgres://… (the PostgreSQL pass runs it: child "
                "processes must share the test database)", allow_module_level=True)


def redis_answers(url: str) -> bool:
    if not url:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001 (any failure: not reachable)
        return False


def require_redis(url: str) -> None:
    """Redis at `url` (REDIS_URL, usually) answers."""
    if not redis_answers(url):
        service_missing(f"Redis is unset or unreachable: {url!r}")


def require_redis_server() -> None:
    """redis-server is installed (for a PrivateRedis of the test's own)."""
    if not shutil.which("redis-server"):
        service_missing("redis-server is not installed")


def require_moto_server() -> None:
    """moto's standalone S3 server (moto[server]) is installed."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        service_missing("moto's S3 server (moto[server]) is not installed")


def require_chromium() -> str:
    """Chromium and Playwright are installed; Chromium's path."""
    path = next((found for found in map(shutil.which, CHROMIUM_PATHS) if found), None)
    if path is None:
        service_missing("Chromium is not installed")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        service_missing("Playwright is not installed")
    return path


# --- a child process's environment, the broker -------------------------------------------

def database_url(port: int | None = None) -> str:
    """The URL of the test database (PostgreSQL) for a child process; through `port` (a
    TcpProxy's) when given."""
    from django.db import connection

    db = connection.settings_dict
    assert db["ENGINE"].endswith("postgresql"), "child processes need the PostgreSQL pass"
    auth = db["USER"] + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return (f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/"
            f"{db['NAME']}")


def host_env(directory: Path, **overrides: str | None) -> dict[str, str]:
    """The environment of a child process on a "host" of its own: this environment less
    CHILD_ENV_DROPPED, the test database (`database_url()`), its own var, media, outbox and
    static directories under `directory` (created), tasks queued rather than eager, the
    fast hasher the test users are made with; then `overrides` (None: unset the name)."""
    for sub in ("var", "media", "outbox", "static"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(CHILD_ENV_DROPPED)}
    env.update({
        "CELERY_TASK_ALWAYS_EAGER": "false", "HELPDESK_VAR_DIR": str(directory / "var"),
        "MEDIA_ROOT": str(directory / "media"), "MAIL_OUTBOX_DIR": str(directory / "outbox"),
        "STATIC_ROOT": str(directory / "static"), "WHITENOISE_USE_FINDERS": "true",
        "CONN_MAX_AGE": "0", "PASSWORD_HASHERS": MD5_HASHER, "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"})
    if "DATABASE_URL" not in overrides:
        env["DATABASE_URL"] = database_url()
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def broker_clean(url: str) -> None:
    """Empty the Celery queue on the Redis at `url` and forget its unacknowledged deliveries
    (a killed worker's)."""
    import redis

    from helpdesk.celery import app as celery_app

    with celery_app.connection_for_write(url) as connection:
        celery_app.control.purge(connection=connection)
    redis.Redis.from_url(url).delete("unacked", "unacked_index", "unacked_mutex")


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.05, what="", logs=None):
    """Poll `predicate` until it is true; on a timeout fail naming `what`, with the child
    processes' logs as they are then (`logs`: a Processes, read only at the failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f"\n{logs.logs()}" if logs is not None else ""))


def broker_settled(client, remaining, *, after: float, queue: str = "celery"):
    """A `wait_until` predicate: true once the Redis broker (`client`) holds nothing (its
    queue and its unacknowledged hash both empty) after time.monotonic() `after` (when a
    dead worker's deliveries are due back), still so a second later with `remaining()`
    (the work not done) unchanged: not a delivery caught between its pop and its record.
    What is left then was lost in transit (kombu's Redis transport pops with BRPOP before
    it records the delivery as unacknowledged)."""
    def idle() -> bool:
        return (time.monotonic() > after and client.llen(queue) == 0
                and client.hlen("unacked") == 0)

    def settled() -> bool:
        before = remaining()
        if not before:
            return True
        if not idle():
            return False
        time.sleep(1)
        return idle() and remaining() == before

    return settled


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Processes:
    """Start, kill and stop child processes, each in its own session with its log file."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: list[subprocess.Popen] = []

    def start(self, args: list[str], *, env: dict, name: str, cwd: Path = ROOT,
              **popen) -> subprocess.Popen:
        log_path = self.log_dir / f"{name}-{len(self.processes)}.log"
        with open(log_path, "wb") as log:  # the child holds its own copy of the descriptor
            process = subprocess.Popen(args, cwd=cwd, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       **popen)
        process.log_path = log_path
        self.processes.append(process)
        return process

    def celery_worker(self, *, env: dict, concurrency: int = 2, cwd: Path = ROOT,
                      extra: tuple[str, ...] = (), wait_ready: bool = False
                      ) -> subprocess.Popen:
        """`wait_ready`: log at INFO and return once the worker says it is ready."""
        name = f"t-{uuid.uuid4().hex[:8]}@%h"
        level = "INFO" if wait_ready else "WARNING"
        process = self.start(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-P", "prefork",
             "-c", str(concurrency), "-n", name, "--without-gossip", "--without-mingle",
             "-l", level, *extra], env=env, name="worker", cwd=cwd)
        if wait_ready:
            self.wait_for_log(process, b" ready.", what="the Celery worker")
        return process

    def smtp_listener(self, *, env: dict, port: int, cwd: Path = ROOT) -> subprocess.Popen:
        """`manage.py smtp_inbound` on 127.0.0.1:`port`; returns once it listens. The
        tests deliver as the host's MTA would: from a trusted relay (no per-peer rate);
        sender checks wait at most a second for DNS (the test machine may have none)."""
        env = {"MAIL_AUTH_DNS_TIMEOUT_SECONDS": "1", "MAIL_SMTP_TRUSTED_RELAYS": "127.0.0.1/32",
               **env}
        process = self.start([sys.executable, str(ROOT / "manage.py"), "smtp_inbound",
                              "--host", "127.0.0.1", "--port", str(port)],
                             env=env, name="smtp", cwd=cwd)
        self.wait_for_log(process, b"SMTP listener on", what="the SMTP listener")
        return process

    @staticmethod
    def wait_for_log(process: subprocess.Popen, marker: bytes, *, what: str,
                     timeout: float = 60) -> None:
        def seen() -> bool:
            assert process.poll() is None, process.log_path.read_text()[-3000:]
            return marker in process.log_path.read_bytes()

        wait_until(seen, timeout=timeout, interval=0.1, what=what)

    def celery_beat(self, *, env: dict, schedule: Path, cwd: Path = ROOT) -> subprocess.Popen:
        return self.start([sys.executable, "-m", "celery", "-A", "helpdesk", "beat",
                           "-l", "WARNING", "--schedule", str(schedule)],
                          env=env, name="beat", cwd=cwd)

    def gunicorn(self, *, env: dict, port: int, workers: int = 2, cwd: Path = ROOT,
                 timeout: float = 30, app: str = "helpdesk.wsgi:application",
                 chdir: Path = ROOT, **popen) -> subprocess.Popen:
        """`chdir`: gunicorn's working directory (a host of its own: pass its directory,
        with PYTHONPATH naming the checkout in `env`). `popen`: more Popen arguments (e.g.
        preexec_fn=file_size_limit(...))."""
        process = self.start(
            [sys.executable, "-m", "gunicorn", app,
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--chdir", str(chdir), "--no-control-socket"],
            env=env, name=f"gunicorn-{port}", cwd=cwd, **popen)
        wait_until(lambda: port_open(port) or process.poll() is not None, timeout=timeout,
                   what=f"gunicorn on {port}")
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.log_path.read_text()[-3000:]}")
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the process and its children at once (no warm shutdown)."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(10)

    def stop(self, process: subprocess.Popen, timeout: float = 15) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill(process)
            except ProcessLookupError:
                pass

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)

    def logs(self) -> str:
        return "\n".join(f"--- {p.args[:4]}\n{p.log_path.read_text(errors='replace')[-2000:]}"
                         for p in self.processes)


class PrivateRedis:
    """A redis-server of the test's own on a free port, so it can be stopped and started."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: port_open(self.port), timeout=10, what="private redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection and refuses new
    ones (the service is "down"), `restore()` brings it back."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._up = threading.Event()
        self._up.set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> TcpProxy:
        self._listen()
        self._thread.start()
        return self

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.1)
        self._listener = listener

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not self._up.is_set() or self._listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.2):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        """Close the listening socket (new connections refused) and every open connection."""
        self._up.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass

    def restore(self) -> None:
        self._listen()
        self._up.set()

    def close(self) -> None:
        self._stop.set()
        self.cut()


class S3Server:
    """moto's standalone S3 server (moto[server]: a real HTTP S3 API, not an in-process
    mock) on a free port. `stop()` makes the store unreachable; `env(bucket)` is what a
    child process (gunicorn, a worker) needs to use it."""

    access_key = "testing-access-key"
    secret_key = "testing-secret-key"
    region = "us-east-1"

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        log_path = self.log_dir / f"moto-{self.port}.log"
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "AWS_ACCESS_KEY_ID": self.access_key,
                     "AWS_SECRET_ACCESS_KEY": self.secret_key})
        wait_until(lambda: port_open(self.port) or self.process.poll() is not None,
                   timeout=30, what="moto_server")
        if self.process.poll() is not None:
            raise AssertionError(f"moto_server exited: {log_path.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key)

    def bucket_create(self, name: str | None = None) -> str:
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def env(self, bucket: str) -> dict[str, str]:
        return {"AWS_STORAGE_BUCKET_NAME": bucket, "AWS_S3_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_S3_REGION_NAME": self.region}


def file_size_limit(limit_bytes: int):
    """A preexec_fn: the child may not grow any file past limit_bytes (RLIMIT_FSIZE) and
    ignores SIGXFSZ, so a write past it fails with EFBIG, as a full disk fails with
    ENOSPC (an ignored signal stays ignored across exec)."""
    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, hard))
    return apply


@contextlib.contextmanager
def file_size_limited(limit_bytes: int):
    """The same limit on this process for the block (`file_size_limit`'s), then the
    previous limit and SIGXFSZ handler back."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.getsignal(signal.SIGXFSZ)
    file_size_limit(limit_bytes)()
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
