"""Scale-out: 1,000 inbound email replies onto existing tickets, delivered over SMTP to the
listener on its own host, processed by two Celery workers on hosts of their own, land
exactly once (one ticket message per reply, no duplicate, none lost, every attachment
stored once with no orphan object) — also when one worker is SIGKILLed midway."""

from __future__ import annotations

import re
import smtplib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from helpdesk.celery import app as celery_app
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tests.support.procs import wait_until
from tickets.models import Attachment, Message

from .cluster import (
    WORKER_CONCURRENCY,
    broker_queue_length,
    broker_redeliver_unacked,
    require_services,
)

require_services()

pytestmark = [pytest.mark.integration,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REPLIES = 1000
TICKETS = 40
ATTACHMENT_EVERY = 10  # every tenth reply carries a file: 100 attachments
SMTP_SESSIONS = 4  # an MTA delivering over a few connections at once
PROCESS_TASK = "mailgateway.tasks.process_inbound"
SUPPORT = "support@helpdesk.example"
Status = InboundMessage.Status


@dataclass(frozen=True)
class Reply:
    sender: str
    ticket_id: int
    body: str
    attachment: tuple[str, bytes] | None
    raw: bytes


def replies_onto_new_tickets(two_orgs) -> list[Reply]:
    requesters = (two_orgs.maria, two_orgs.juan)
    tickets = [TicketFactory.create(requester=requesters[n % 2], subject=f"Trunk {n} drops calls")
               for n in range(TICKETS)]
    replies = []
    for n in range(REPLIES):
        ticket = tickets[n % TICKETS]
        body = f"Reply {n}: the trunk dropped the call again."
        attachment = ((f"trace-{n}.txt", f"INVITE sip:{n}@pbx SIP/2.0\n".encode() * 40)
                      if n % ATTACHMENT_EVERY == 0 else None)
        raw = raw_email(from_addr=ticket.requester.email, subject=f"RE: {ticket.subject_tag} "
                        f"Trunk drops calls", body=body,
                        attachments=((*attachment, "text/plain"),) if attachment else ())
        replies.append(Reply(ticket.requester.email, ticket.pk, body, attachment, raw))
    return replies


def smtp_deliver(port: int, replies: list[Reply]) -> None:
    """Deliver every reply over SMTP_SESSIONS connections at once; every DATA must be
    answered 250 (smtplib raises otherwise)."""
    def session(share: list[Reply]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            for reply in share:  # SMTP lines end in CRLF (smtplib sends bytes as they are)
                raw = reply.raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                assert client.sendmail(reply.sender, [SUPPORT], raw) == {}

    with ThreadPoolExecutor(SMTP_SESSIONS) as pool:
        list(pool.map(session, [replies[i::SMTP_SESSIONS] for i in range(SMTP_SESSIONS)]))


def count(status: str) -> int:
    return InboundMessage.objects.filter(status=status).count()


def all_processed() -> bool:
    return (InboundMessage.objects.count() == REPLIES
            and not InboundMessage.objects.filter(status=Status.PENDING).exists())


def assert_landed_exactly_once(cluster, replies: list[Reply]) -> None:
    emailed = Message.objects.filter(source=Message.Source.EMAIL)
    assert emailed.count() == REPLIES
    assert sorted(emailed.values_list("body", flat=True)) == sorted(r.body for r in replies)
    assert Counter(emailed.values_list("ticket_id", flat=True)) == Counter(
        r.ticket_id for r in replies)
    assert Counter(InboundMessage.objects.values_list("status", flat=True)) == {
        Status.THREADED: REPLIES}
    assert InboundMessage.objects.filter(source=InboundMessage.Source.SMTP).count() == REPLIES
    assert (InboundMessage.objects.exclude(ticket_message=None)
            .values("ticket_message").distinct().count()) == REPLIES
    assert_attachments_stored_once(cluster, replies)


def assert_attachments_stored_once(cluster, replies: list[Reply]) -> None:
    """One attachment row per file sent, each with one stored object holding its bytes, and
    no stored object without its row (S3 bucket and every host's MEDIA_ROOT)."""
    expected = sorted(r.attachment for r in replies if r.attachment)
    rows = list(Attachment.objects.filter(message__source=Message.Source.EMAIL))
    stored = cluster.stored_objects()
    assert len(rows) == len(expected) == REPLIES // ATTACHMENT_EVERY
    assert sorted((row.original_name, stored.pop(cluster.object_key(row.file.name, stored)))
                  for row in rows) == expected
    assert stored == {}, f"orphan objects: {sorted(stored)}"


def beat_requeue_stale_inbound() -> None:
    """What the beat job does every few minutes, at once and for every pending message: the
    task is sent to the broker (this process never runs it) and a worker runs it."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        celery_app.send_task("mailgateway.tasks.requeue_stale_inbound",
                             kwargs={"older_than_minutes": 0})
    finally:
        celery_app.conf.task_always_eager = eager


def worker_split(cluster) -> dict[str, int]:
    return {host.name: host.tasks_succeeded(PROCESS_TASK) for host in cluster.workers}


def test_1000_replies_spread_over_two_workers_land_exactly_once(two_workers, two_orgs):
    cluster = two_workers
    replies = replies_onto_new_tickets(two_orgs)
    mx = cluster.smtp_listener()
    started = time.monotonic()
    smtp_deliver(mx.port, replies)
    delivered_seconds = time.monotonic() - started
    wait_until(all_processed, timeout=300, interval=0.2, what="all 1,000 replies processed")
    processed_seconds = time.monotonic() - started
    wait_until(lambda: sum(worker_split(cluster).values()) >= REPLIES, timeout=60,
               what="the workers' task logs")

    split = worker_split(cluster)
    print(f"\n1,000 replies: delivered over SMTP in {delivered_seconds:.1f} s, processed in "
          f"{processed_seconds:.1f} s; process_inbound tasks per worker: {split}")
    assert sum(split.values()) == REPLIES  # one task per stored message, none run twice
    assert all(split.values()), f"a worker did nothing: {split}"
    assert_landed_exactly_once(cluster, replies)


def test_a_worker_sigkilled_midway_loses_and_doubles_nothing(two_workers, two_orgs):
    cluster = two_workers
    replies = replies_onto_new_tickets(two_orgs)
    mx = cluster.smtp_listener()
    survivor, victim = cluster.workers
    started = time.monotonic()
    feed_error: list[BaseException] = []

    def feed() -> None:
        try:
            smtp_deliver(mx.port, replies)
        except BaseException as error:  # noqa: BLE001 (reported by the test thread)
            feed_error.append(error)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    wait_until(lambda: count(Status.THREADED) >= REPLIES // 3
               and victim.tasks_succeeded(PROCESS_TASK) > 0, timeout=300, interval=0.05,
               what="both workers mid-way through the replies")
    cluster.processes.kill(victim.process)
    threaded_at_kill = count(Status.THREADED)
    victim_tasks = victim.tasks_succeeded(PROCESS_TASK)
    assert threaded_at_kill < REPLIES, "all processed before the kill: the test proved nothing"

    feeder.join(300)
    assert not feeder.is_alive() and not feed_error, feed_error
    # What the dead worker had taken stays unacknowledged in Redis until the visibility
    # timeout; the beat job re-queues whatever is still pending meanwhile: run as beat
    # would (sent to the broker, the survivor runs it) once the queue is drained.
    wait_until(lambda: broker_queue_length() == 0, timeout=300, interval=0.2,
               what="the survivor to drain the queue")
    left_by_victim = count(Status.PENDING)
    beat_requeue_stale_inbound()
    wait_until(all_processed, timeout=300, interval=0.2, what="all 1,000 replies processed")
    processed_seconds = time.monotonic() - started
    wait_until(cluster.workers_idle, timeout=120, interval=0.5, what="the survivor to go idle")
    # Later, the broker hands the dead worker's deliveries out again (after its visibility
    # timeout; brought forward here) and the next beat run re-queues anything pending: the
    # survivor runs them all again, as no-ops.
    redelivered = broker_redeliver_unacked()
    beat_requeue_stale_inbound()
    wait_until(cluster.workers_idle, timeout=120, interval=0.5, what="the survivor to go idle")
    assert survivor.process.poll() is None and victim.process.poll() is not None

    # Files the victim's pool was writing when it died have no row: the operator's sweep
    # (`attachments_orphans`, run on any host) finds and deletes exactly those.
    sweep = cluster.manage(survivor, "attachments_orphans", "--delete", "--min-age-minutes", "0")
    orphans = int(re.search(r"orphan_files=(\d+) deleted=(\d+)", sweep)[1])
    print(f"\nSIGKILL after {threaded_at_kill} of 1,000 threaded (the victim had finished "
          f"{victim_tasks} tasks); {left_by_victim} left pending until the re-queue; all "
          f"processed in {processed_seconds:.1f} s; the victim's {redelivered} unacknowledged "
          f"deliveries redelivered; {orphans} orphan file(s) swept; tasks per worker: "
          f"{worker_split(cluster)}")
    assert orphans <= WORKER_CONCURRENCY, sweep
    assert f"orphan_files={orphans} deleted={orphans} missing_files=0" in sweep, sweep
    assert_landed_exactly_once(cluster, replies)
