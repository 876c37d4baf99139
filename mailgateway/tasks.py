"""Celery tasks of the mail gateway. Tasks take ids, call services, own their retries.

Reliability: every task is acknowledged late (a worker killed mid-task leaves the message
in the broker, which hands it out again after the visibility timeout), checks state first
(running it twice does no harm), retries with exponential backoff kept under the
visibility timeout, ticket mail is recorded in the outbox with its change, and the beat job
`requeue_stale_inbound` re-queues any inbound mail still pending after
MAIL_INBOUND_REQUEUE_MINUTES, so a broker that was down or a lost task loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, transaction
from django.utils import timezone

from outbox.drain import batch_handler, batch_preparer
from outbox.services import SendInProgress
from outbox.tasks import retry_countdown_seconds, retry_while_claimed

from .models import InboundMessage

logger = logging.getLogger(__name__)

RETRYABLE = (OSError, DatabaseError, InterfaceError)
REQUEUE_MAX = 10000  # per beat run; the next run takes the rest
BACKOFF_MAX_SECONDS = settings.TASK_RETRY_MAX_COUNTDOWN_SECONDS  # under the visibility timeout


SEND_MAX_RETRIES = 8


@batch_preparer("mailgateway.tasks.send_ticket_notification")
def _prepare_drained(*, kwargs_list: list[dict]):
    """The batch's ticket emails read and claimed at once (outbound_batch_prepare)."""
    from . import outbound_services

    return outbound_services.outbound_batch_prepare(header_message_ids=[
        kwargs["header_message_id"] for kwargs in kwargs_list
        if kwargs.get("header_message_id")])


@batch_handler("mailgateway.tasks.send_ticket_notification")
def _send_drained(*, connection, kind: str, ticket_id: int, message_id: int | None = None,
                  header_message_id: str | None = None, prepared=None) -> None:
    """The body of send_ticket_notification in a drain's batch (outbox.drain): its errors
    hand the row to the task, which retries and gives up as below."""
    from . import outbound_services

    outbound_services.outbound_message_send(
        kind=kind, ticket_id=ticket_id, message_id=message_id,
        header_message_id=header_message_id, connection=connection, batch=prepared)


@shared_task(bind=True, max_retries=SEND_MAX_RETRIES, acks_late=True, reject_on_worker_lost=True)
def send_ticket_notification(self, *, kind: str, ticket_id: int, message_id: int | None = None,
                             header_message_id: str | None = None) -> str:
    """Send one ticket email (idempotent on its Message-ID). A failing ESP or database is
    retried with exponential backoff; after the last retry the failure is recorded on the
    ticket (MAIL_FAILED), never silently lost."""
    from . import outbound_services

    try:
        row = outbound_services.outbound_message_send(
            kind=kind, ticket_id=ticket_id, message_id=message_id,
            header_message_id=header_message_id)
    except SendInProgress as busy:  # a duplicate delivery while another run sends it
        return retry_while_claimed(self, busy)
    except RETRYABLE as error:
        if self.request.retries >= self.max_retries or header_message_id is None:
            if header_message_id:
                outbound_services.outbound_message_give_up(header_message_id=header_message_id,
                                                           reason=repr(error))
            raise
        raise self.retry(exc=error, countdown=retry_countdown_seconds(self.request.retries)) from error
    return row.header_message_id if row is not None else ""


def _process_one(inbound_id: int) -> str:
    """Process one stored message; the service locks the row and checks it is still
    pending, so running this twice, or concurrently, threads the message once. A failure
    is recorded on the row (its error, one more attempt; given up after
    MAIL_INBOUND_MAX_ATTEMPTS) and raised for the task's retry."""
    from tickets import attachment_store

    from . import services

    try:
        with attachment_store.files_guard(), transaction.atomic():
            services.relaxed_commit()
            row = services.inbound_message_process(inbound_id=inbound_id)
    except InboundMessage.DoesNotExist:
        return "missing"
    except Exception as error:
        services.inbound_message_record_error(inbound_id=inbound_id, error=repr(error))
        raise
    return row.status


@shared_task(bind=True, autoretry_for=RETRYABLE, retry_backoff=True,
             retry_backoff_max=BACKOFF_MAX_SECONDS,
             retry_jitter=True, max_retries=10, acks_late=True, reject_on_worker_lost=True)
def process_inbound(self, inbound_id: int) -> str:
    """Process one stored inbound message (threading, quarantine …); a no-op once done."""
    return _process_one(inbound_id)


@shared_task(bind=True, autoretry_for=RETRYABLE, retry_backoff=True,
             retry_backoff_max=BACKOFF_MAX_SECONDS,
             retry_jitter=True, max_retries=10, acks_late=True, reject_on_worker_lost=True)
def process_inbound_batch(self, inbound_ids: list[int]) -> int:
    """Process several stored messages in one task and one transaction (bulk feeds: fewer
    broker round trips, queries and commits). When anything in the batch fails, the batch
    is rolled back and its messages processed one by one; a message that fails alone is
    re-queued on its own so it cannot block the others."""
    from . import services

    try:
        services.inbound_messages_process(inbound_ids=list(inbound_ids))
        return len(inbound_ids)
    except Exception:
        logger.warning("Inbound batch of %d failed; processing its messages one by one",
                       len(inbound_ids), exc_info=True)
    done = 0
    for inbound_id in inbound_ids:
        try:
            _process_one(inbound_id)
            done += 1
        except Exception:
            logger.exception("Inbound message %s failed in a batch; queued alone", inbound_id)
            process_inbound.apply_async(args=[inbound_id], countdown=5)
    return done


def inbound_enqueue(inbound_ids: list[int], *, batch_size: int = 1) -> None:
    """Queue processing of these stored messages (one task each, or batches)."""
    if batch_size <= 1:
        for inbound_id in inbound_ids:
            process_inbound.delay(inbound_id)
        return
    for start in range(0, len(inbound_ids), batch_size):
        process_inbound_batch.delay(list(inbound_ids[start:start + batch_size]))


@shared_task(acks_late=True)
def requeue_stale_inbound(older_than_minutes: float | None = None) -> int:
    """Beat job: queue again every inbound message still pending after N minutes (a task
    lost with a dead worker or a broker outage). One that already failed
    MAIL_INBOUND_MAX_ATTEMPTS times is given up instead: quarantined with its last error,
    for an agent."""
    from . import services

    if older_than_minutes is None:
        older_than_minutes = getattr(settings, "MAIL_INBOUND_REQUEUE_MINUTES", 10)
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    max_attempts = services.max_attempts()
    for inbound_id in InboundMessage.objects.filter(
            status=InboundMessage.Status.PENDING, attempts__gte=max_attempts
    ).values_list("id", flat=True)[:REQUEUE_MAX]:
        services.inbound_message_give_up(inbound_id=inbound_id)
    stale = list(InboundMessage.objects.filter(status=InboundMessage.Status.PENDING,
                                               received_at__lte=cutoff,
                                               attempts__lt=max_attempts)
                 .order_by("received_at", "id").values_list("id", flat=True)[:REQUEUE_MAX])
    if stale:
        logger.info("Re-queuing %d pending inbound messages", len(stale))
        inbound_enqueue(stale, batch_size=1)
    return len(stale)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def poll_imap() -> int:
    """Beat job: fetch new mail from the configured IMAP mailbox (no-op when unset)."""
    from .sources import imap

    config = imap.ImapConfig.from_settings()
    if config is None:
        return 0
    return imap.imap_poll(config=config)


@shared_task(acks_late=True)
def inbound_raw_reduce() -> int:
    """Beat (daily): retention of raw inbound mail (RETENTION_INBOUND_RAW_DAYS)."""
    from .retention import inbound_raw_reduce as reduce

    return reduce()
