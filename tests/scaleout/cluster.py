"""The scale-out cluster: web processes and Celery workers, each on a "host" of its own (its
own working directory, HELPDESK_VAR_DIR, MEDIA_ROOT, MAIL_OUTBOX_DIR and STATIC_ROOT),
sharing nothing but PostgreSQL (the test database), Redis (one db: broker, cache,
sessions) and an S3 server (moto's standalone server, one bucket).

Runs when DATABASE_URL is PostgreSQL and REDIS_URL answers (the CI PostgreSQL pass); there
it never skips: a missing service is an error under CI=true.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from helpdesk.celery import app as celery_app
from tests.support import procs
from tests.support.procs import ROOT, Processes, S3Server, free_port, host_env, wait_until

REDIS_URL = os.environ.get("REDIS_URL", "")
SHARED_SECRET_KEY = "scale-out-test-secret-key-shared-by-every-host-0123456789"
WORKER_CONCURRENCY = 2
TASK_SUCCEEDED = re.compile(rb"Task (?P<name>[\w.]+)\[[0-9a-f-]+\] succeeded")


def require_services() -> None:
    """Skip the calling test module without PostgreSQL, Redis or moto's server (the SQLite
    pass); under CI=true on PostgreSQL a missing Redis or S3 server is an error."""
    procs.require_postgres()
    procs.require_redis(REDIS_URL)
    procs.require_moto_server()


def broker_clean() -> None:
    """Empty the queue and forget unacknowledged deliveries (a killed worker's)."""
    procs.broker_clean(celery_app.conf.broker_url)


def broker_redeliver_unacked() -> int:
    """What the broker does once the visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS)
    has passed, at once: every delivery no worker acknowledged goes back to the queue
    (kombu's own restore, with a visibility timeout of 0). Call it when the live workers
    are idle: what is left unacknowledged then was taken by a dead worker. Returns how many
    went back."""
    import redis
    from kombu import Connection

    client = redis.Redis.from_url(celery_app.conf.broker_url)
    held = int(client.hlen("unacked"))
    with Connection(celery_app.conf.broker_url,
                    transport_options={"visibility_timeout": 0}) as broker:
        qos = broker.default_channel.qos
        wait_until(lambda: qos.restore_visible(num=100_000, interval=1) or
                   not client.hlen("unacked"), timeout=30, what="the unacked deliveries back")
    return held


def broker_queue_length() -> int:
    import redis

    return int(redis.Redis.from_url(celery_app.conf.broker_url).llen("celery"))


@dataclass
class Host:
    """One machine of the deployment: a directory of its own and the process it runs."""

    name: str
    directory: Path
    env: dict
    port: int | None = None
    processes: list = field(default_factory=list)  # this host's processes, oldest first
    _tallies: dict = field(default_factory=dict, repr=False)

    @property
    def media_root(self) -> Path:
        return self.directory / "media"

    @property
    def outbox_dir(self) -> Path:
        return self.directory / "outbox"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def process(self):
        return self.processes[-1]

    def outbox(self) -> list[Path]:
        return sorted(self.outbox_dir.glob("*.eml"))

    def media_files(self) -> list[Path]:
        return sorted(p for p in self.media_root.rglob("*") if p.is_file())

    def tasks_succeeded(self, task_name: str) -> int:
        """Tasks of this name this host's worker(s) finished since `logs_mark()`, from their
        logs (INFO), read incrementally."""
        total = 0
        for process in self.processes:
            tally = self._tallies.setdefault(process, _LogTally(process.log_path))
            total += tally.count(task_name)
        return total

    def logs_mark(self) -> None:
        """Count tasks from here on."""
        for process in self.processes:
            self._tallies[process] = _LogTally(process.log_path, from_end=True)


class _LogTally:
    """Succeeded tasks by name in a worker's log, reading only what was appended since."""

    def __init__(self, path: Path, *, from_end: bool = False):
        self.path = path
        self.offset = path.stat().st_size if from_end else 0
        self.counts: Counter = Counter()

    def count(self, task_name: str) -> int:
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            chunk = log.read()
        complete = chunk[:chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        self.counts.update(match["name"].decode() for match in TASK_SUCCEEDED.finditer(complete))
        return self.counts[task_name]


class Cluster:
    def __init__(self, *, root: Path, processes: Processes, s3: S3Server, bucket: str):
        self.root, self.processes, self.s3, self.bucket = root, processes, s3, bucket
        self.workers: list[Host] = []
        self.webs: list[Host] = []
        self.others: list[Host] = []

    def _child_env(self, directory: Path) -> dict:
        return host_env(directory, REDIS_URL=REDIS_URL,
                        CELERY_BROKER_URL=celery_app.conf.broker_url,
                        SECRET_KEY=SHARED_SECRET_KEY, **self.s3.env(self.bucket),
                        CONN_MAX_AGE=None)  # persistent connections, as in production

    def _host(self, name: str) -> Host:
        directory = self.root / name
        return Host(name=name, directory=directory, env=self._child_env(directory))

    def start_worker(self, host: Host | None = None) -> Host:
        """A Celery worker on a new host (or again on `host`, after a kill); returns when
        it is ready."""
        if host is None:
            host = self._host(f"worker{len(self.workers) + 1}")
            self.workers.append(host)
        host.processes.append(self.processes.celery_worker(
            env=host.env, cwd=host.directory, concurrency=WORKER_CONCURRENCY, wait_ready=True))
        return host

    def start_web(self) -> Host:
        host = self._host(f"web{len(self.webs) + 1}")
        host.port = free_port()
        host.processes.append(self.processes.gunicorn(
            env=host.env, port=host.port, workers=1, cwd=host.directory,
            chdir=host.directory, timeout=60))
        self.webs.append(host)
        return host

    def start_smtp_listener(self) -> Host:
        host = self._host(f"mx{len(self.others) + 1}")
        host.port = free_port()
        host.processes.append(self.processes.smtp_listener(env=host.env, port=host.port,
                                                           cwd=host.directory))
        self.others.append(host)
        return host

    def stop_host(self, host: Host) -> None:
        for process in host.processes:
            self.processes.stop(process)

    def workers_alive(self) -> list[Host]:
        return [host for host in self.workers if host.process.poll() is None]

    def workers_idle(self) -> bool:
        """Nothing queued, and nothing reserved or running on any live worker."""
        if broker_queue_length():
            return False
        alive = len(self.workers_alive())
        inspect = celery_app.control.inspect(timeout=5, limit=alive)
        for answer in (inspect.active(), inspect.reserved()):
            if answer is None or len(answer) < alive or any(answer.values()):
                return False
        return True

    def all_media_files(self) -> list[Path]:
        """Files under any host's MEDIA_ROOT (local disk: none when the store is S3)."""
        return [path for host in (*self.workers, *self.webs, *self.others)
                for path in host.media_files()]

    def smtp_listener(self) -> Host:
        """The SMTP listener (the MX host), started on first use."""
        return self.others[0] if self.others else self.start_smtp_listener()

    def manage(self, host: Host, *args: str) -> str:
        """`python manage.py ARGS` run on `host` (its environment and directory)."""
        result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=host.env,
                                cwd=host.directory, capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        return result.stdout.decode()

    def stored_objects(self) -> dict[str, bytes]:
        """Every stored file: the bucket's objects by key, and the files under each host's
        MEDIA_ROOT as "<host>:<name>" (the embedded default's local disk)."""
        client = self.s3.client()
        objects = {key: client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                   for key in self.s3.keys(self.bucket)}
        for host in (*self.workers, *self.webs, *self.others):
            for path in host.media_files():
                objects[f"{host.name}:{path.relative_to(host.media_root)}"] = path.read_bytes()
        return objects

    def storage_clear(self) -> None:
        """Delete every stored file (the bucket's and each host's): the test database is
        flushed between tests, their files go with it."""
        client = self.s3.client()
        for key in self.s3.keys(self.bucket):
            client.delete_object(Bucket=self.bucket, Key=key)
        for host in (*self.workers, *self.webs, *self.others):
            for path in host.media_files():
                path.unlink()

    @staticmethod
    def object_key(name: str, stored: dict[str, bytes]) -> str:
        """The one stored object that holds the storage name `name` (a bucket key may carry
        the storage's location as a prefix)."""
        matches = [key for key in stored
                   if key == name or key.endswith(("/" + name, ":" + name))]
        assert len(matches) == 1, f"{name}: {matches or 'no stored object'}"
        return matches[0]
