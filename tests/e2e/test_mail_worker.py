"""End to end with real parts: a Celery worker subprocess on Redis, PostgreSQL, the SMTP
listener subprocess, smtplib. Runs when DATABASE_URL is PostgreSQL and REDIS_URL is set
(the CI PostgreSQL pass); there, it never skips."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from helpdesk.celery import app as celery_app
from mailgateway.models import InboundMessage
from mailgateway.sources import inbound_accept
from mailgateway.tasks import requeue_stale_inbound
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tests.support.procs import free_port, wait_until  # noqa: F401 (re-exported)
from tickets.models import Message

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
REDIS_URL = os.environ.get("REDIS_URL", "")


def _redis_reachable() -> bool:
    if not REDIS_URL:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except Exception:
        return False


if not ON_POSTGRES:
    pytest.skip("end-to-end worker tests need DATABASE_URL=postgres://… (the CI PostgreSQL "
                "pass runs them); SQLite in memory is not shared with a worker process",
                allow_module_level=True)
if not _redis_reachable():
    if IN_CI:
        raise RuntimeError(f"CI=true on PostgreSQL but Redis is unreachable: {REDIS_URL!r}")
    pytest.skip("REDIS_URL unset or Redis unreachable", allow_module_level=True)


def _broker_clean() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    celery_app.control.purge()
    client.delete("unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def child_env(tmp_path, settings):
    """Environment for the worker and listener: the same test database and broker."""
    db = connection.settings_dict
    url = (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
           f"{db['PORT'] or 5432}/{db['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL,
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           "CELERY_TASK_ALWAYS_EAGER": "false", "HELPDESK_VAR_DIR": str(tmp_path / "var"),
           "MAIL_OUTBOX_DIR": str(settings.MAIL_OUTBOX_DIR), "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}
    env.pop("TEST_DATABASE_NAME", None)
    return env


@pytest.fixture
def broker():
    """This process queues to Redis too (not eagerly), on a clean queue."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    _broker_clean()
    yield
    _broker_clean()
    celery_app.conf.task_always_eager = eager


class Workers:
    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.processes = env, log_dir, []

    def start(self, concurrency: int = 2) -> subprocess.Popen:
        name = f"e2e-{uuid.uuid4().hex[:8]}@%h"
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-P", "prefork",
             "-c", str(concurrency), "-n", name, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children at once (no warm shutdown)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@pytest.fixture
def workers(child_env, broker, tmp_path):
    group = Workers(child_env, tmp_path)
    yield group
    group.stop_all()


@pytest.fixture
def smtp_listener(child_env, tmp_path):
    port = free_port()
    log = open(tmp_path / "smtp.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "smtp_inbound", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def listening():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            assert process.poll() is None, (tmp_path / "smtp.log").read_text()
            return False

    wait_until(listening, timeout=30, what="the SMTP listener")
    yield port
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def email_replies(ticket) -> int:
    return Message.objects.filter(ticket=ticket, source=Message.Source.EMAIL).count()


def test_smtp_reply_goes_through_the_listener_and_the_worker_onto_its_ticket(
        two_orgs, workers, smtp_listener):
    workers.start()
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="No dial tone")
    raw = raw_email(from_addr="María García <maria@acme.example>",
                    subject=f"RE: {ticket.subject_tag} No dial tone",
                    body="Restarting the phone fixed it.\n\nOn Tue, Support wrote:\n> old")
    with smtplib.SMTP("127.0.0.1", smtp_listener, timeout=15) as client:
        assert client.sendmail("maria@acme.example", ["support@helpdesk.example"], raw) == {}
    wait_until(lambda: email_replies(ticket), timeout=60, what="the reply on its ticket")
    reply = Message.objects.get(ticket=ticket, source=Message.Source.EMAIL)
    assert reply.body == "Restarting the phone fixed it."
    assert reply.author == two_orgs.maria
    inbound = InboundMessage.objects.get(ticket_message=reply)
    assert inbound.source == InboundMessage.Source.SMTP
    assert inbound.status == InboundMessage.Status.THREADED
    # The confirmation of the new ticket went out through the same worker.
    wait_until(lambda: ticket.outbound_messages.filter(sent_at__isnull=False).exists(),
               timeout=30, what="the confirmation email")


def test_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(two_orgs, workers):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    for n in range(100):
        inbound_accept(raw=raw_email(subject=f"Re: {ticket.subject_tag} update {n}",
                                     body=f"Update number {n}."),
                       source=InboundMessage.Source.SMTP)
    assert InboundMessage.objects.count() == 100

    first = workers.start()
    wait_until(lambda: email_replies(ticket) >= 15, timeout=90, interval=0.01,
               what="the first worker to be mid-batch")
    workers.kill(first)
    done_at_kill = email_replies(ticket)
    assert done_at_kill < 100, "the batch finished before the kill; the test proved nothing"

    workers.start()
    # The beat job re-queues what the dead worker had taken (its unacked deliveries only
    # come back after the broker's visibility timeout).
    requeue_stale_inbound.delay(older_than_minutes=0)
    wait_until(lambda: not InboundMessage.objects.filter(
        status=InboundMessage.Status.PENDING).exists(), timeout=120, what="all 100 processed")
    requeue_stale_inbound.delay(older_than_minutes=0)  # a late duplicate delivery: harmless
    time.sleep(2)

    bodies = list(Message.objects.filter(ticket=ticket, source=Message.Source.EMAIL)
                  .values_list("body", flat=True))
    assert len(bodies) == 100
    assert sorted(bodies) == sorted(f"Update number {n}." for n in range(100))
    assert InboundMessage.objects.filter(status=InboundMessage.Status.THREADED).count() == 100
