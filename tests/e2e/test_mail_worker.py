"""End to end with real parts: a Celery worker subprocess on Redis, PostgreSQL, the SMTP
listener subprocess, smtplib. Runs when DATABASE_URL is PostgreSQL and REDIS_URL is set
(the CI PostgreSQL pass); there, it never skips."""

from __future__ import annotations

import os
import re
import smtplib
import time

import pytest

from helpdesk.celery import app as celery_app
from mailgateway.models import InboundMessage
from mailgateway.sources import inbound_accept
from mailgateway.tasks import requeue_stale_inbound
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tests.support.procs import (
    broker_clean,
    broker_settled,
    free_port,
    host_env,
    require_postgres,
    require_redis,
    wait_until,
)
from tickets.models import Message

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REDIS_URL = os.environ.get("REDIS_URL", "")
SUCCEEDED = re.compile(rb"Task mailgateway\.tasks\.process_inbound\[[0-9a-f-]+\] succeeded")
require_postgres()  # SQLite in memory is not shared with a worker process
require_redis(REDIS_URL)


@pytest.fixture
def child_env(tmp_path, settings):
    """Environment for the worker and listener: the same test database and broker."""
    return host_env(tmp_path, REDIS_URL=REDIS_URL, CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
                    MAIL_OUTBOX_DIR=str(settings.MAIL_OUTBOX_DIR),
                    MEDIA_ROOT=str(settings.MEDIA_ROOT))


@pytest.fixture
def broker(settings):
    """This process queues to Redis too (not eagerly), on a clean queue."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    broker_clean(settings.CELERY_BROKER_URL)
    yield
    broker_clean(settings.CELERY_BROKER_URL)
    celery_app.conf.task_always_eager = eager


class Workers:
    """Celery workers on the test's broker and database (killed or stopped at the end)."""

    def __init__(self, env: dict, processes):
        self.env, self.processes = env, processes

    def start(self, concurrency: int = 2):
        return self.processes.celery_worker(env=self.env, concurrency=concurrency,
                                            extra=("--without-heartbeat",))

    def kill(self, process) -> None:
        """SIGKILL the worker and its pool children at once (no warm shutdown)."""
        self.processes.kill(process)


@pytest.fixture
def workers(child_env, broker, processes):
    return Workers(child_env, processes)


@pytest.fixture
def smtp_listener(child_env, processes):
    port = free_port()
    processes.smtp_listener(env=child_env, port=port)
    return port


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


class _StallReport:
    """What a timed-out wait names: the broker's and the database's state at the failure."""

    def __init__(self, count, broker_redis):
        self.count, self.broker_redis = count, broker_redis

    def __str__(self):
        from django.db import connection

        pending = InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid, state, wait_event_type, left(query, 80) FROM "
                           "pg_stat_activity WHERE datname = current_database()")
            sessions = cursor.fetchall()
        return (f"all {self.count} processed: {pending} still pending; broker queue "
                f"{self.broker_redis.llen('celery')}, unacked {self.broker_redis.hlen('unacked')}, "
                f"index {self.broker_redis.zrange('unacked_index', 0, -1, withscores=True)[:5]}; "
                f"database sessions {sessions}")


def test_a_killed_workers_tasks_come_back_through_the_broker(
        two_orgs, broker, child_env, processes, settings):
    """R6: what a SIGKILLed worker held (acks_late: running or prefetched, unacknowledged)
    is handed out again by the broker itself once the visibility timeout has passed, and
    the surviving worker runs it: no beat, no re-queue, no manual restore. Visibility
    timeout 5 s and a restore check every second (production: 120 s and 10 s).

    One exception, kombu's Redis transport: it pops a message (BRPOP) before it records it
    as unacknowledged, so a kill between the two (the reply may still sit in the dead
    worker's socket) loses that one delivery; at most one per worker connection. The
    database has the message pending, and the beat job `requeue_stale_inbound` queues it
    again: the test runs that job once the broker has nothing left, and checks that it
    had at most that one message to bring back."""
    import redis

    count = 100
    env = {**child_env, "CELERY_VISIBILITY_TIMEOUT_SECONDS": "5",
           "CELERY_UNACKED_RESTORE_SECONDS": "1"}
    broker_redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    ticket = TicketFactory.create(requester=two_orgs.maria)
    for n in range(count):
        inbound_accept(raw=raw_email(subject=f"Re: {ticket.subject_tag} update {n}",
                                     body=f"Update number {n}."),
                       source=InboundMessage.Source.SMTP)

    victim = processes.celery_worker(env=env, concurrency=2)
    wait_until(lambda: email_replies(ticket) >= 15, timeout=90, interval=0.01,
               what="the first worker to be mid-batch")
    processes.kill(victim)
    killed_at = time.monotonic()
    held_by_victim = broker_redis.hlen("unacked")  # the only worker so far: all its own
    pending_at_kill = InboundMessage.objects.filter(status=InboundMessage.Status.PENDING).count()
    assert held_by_victim > 0, "the victim held nothing at the kill: the test proved nothing"

    survivor = processes.celery_worker(env=env, concurrency=2, wait_ready=True)
    pending = InboundMessage.objects.filter(status=InboundMessage.Status.PENDING)

    wait_until(broker_settled(broker_redis, pending.count, after=killed_at + 5 + 2),
               timeout=120, interval=0.2, what=_StallReport(count, broker_redis),
               logs=processes)
    redone_seconds = time.monotonic() - killed_at
    lost_in_transit = pending.count()
    assert lost_in_transit <= 1, (
        f"{lost_in_transit} messages the broker did not bring back; only the one delivery "
        f"in kombu's BRPOP window may be lost. {_StallReport(count, broker_redis)}")
    if lost_in_transit:
        requeue_stale_inbound.delay(older_than_minutes=0)  # what beat does every 5 minutes
        wait_until(lambda: not pending.exists(), timeout=60, interval=0.2,
                   what=_StallReport(count, broker_redis), logs=processes)
    wait_until(lambda: broker_redis.hlen("unacked") == 0 and broker_redis.llen("celery") == 0,
               timeout=60, interval=0.2, what="every delivery acknowledged")

    bodies = list(Message.objects.filter(ticket=ticket, source=Message.Source.EMAIL)
                  .values_list("body", flat=True))
    assert sorted(bodies) == sorted(f"Update number {n}." for n in range(count))
    assert InboundMessage.objects.filter(status=InboundMessage.Status.THREADED).count() == count
    survivor_runs = len(SUCCEEDED.findall(survivor.log_path.read_bytes()))
    # Each message pending at the kill once; at most once more each message the victim had
    # finished but not acknowledged (a no-op then).
    assert pending_at_kill <= survivor_runs <= pending_at_kill + held_by_victim + 1, \
        (survivor_runs, pending_at_kill, held_by_victim)
    print(f"\nSIGKILL with {held_by_victim} deliveries unacknowledged and {pending_at_kill} of "
          f"{count} pending; the survivor ran {survivor_runs} tasks; the broker brought all "
          f"back but {lost_in_transit} {redone_seconds:.1f} s after the kill (visibility "
          f"timeout 5 s)")
