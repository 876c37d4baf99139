"""Business actions of outbound mail: record (with the ticket change), decide and send
one ticket email.

`outbound_message_record` writes the row, with its signed Message-ID, and the outbox task
in the ticket change's transaction. `outbound_message_send` sends it exactly once: claimed
(committed) before the backend, marked sent after; only a worker killed between the two
sends it once more (SMTP and the anymail ESPs cannot tell; same Message-ID). Automatic
mail is rate-limited per ticket and address by counting OutboundMessage rows, so the limit
holds across processes and hosts.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from outbox import services as outbox_services
from tickets.models import Attachment, Ticket, TicketEvent
from tickets.services import ticket_event_record

from . import outbound, outbound_reads
from .message_ids import message_id_make
from .models import OutboundMessage

logger = logging.getLogger(__name__)

# Reasons recorded on OutboundMessage.failure_reason and on the MAIL_FAILED event.
REASON_RATE_LIMITED = "rate_limited"
REASON_NO_RECIPIENT = "no_recipient"


def _rate_limit() -> tuple[int, dt.timedelta]:
    count = getattr(settings, "MAIL_AUTOMATIC_LIMIT_COUNT", 10)
    minutes = getattr(settings, "MAIL_AUTOMATIC_LIMIT_MINUTES", 10)
    return count, dt.timedelta(minutes=minutes)


def _already_sent_for_message(*, kind: str, ticket_message_id: int | None) -> bool:
    if ticket_message_id is None:
        return False
    return OutboundMessage.objects.filter(kind=kind, ticket_message_id=ticket_message_id,
                                          sent_at__isnull=False).exists()


def _record_failure(*, row: OutboundMessage, reason: str) -> None:
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=row.pk).update(failure_reason=reason[:500])
        ticket_event_record(ticket=row.ticket, actor=None, kind=TicketEvent.Kind.MAIL_FAILED,
                            outbound_id=row.pk, mail_kind=row.kind, to=row.to_address,
                            reason=reason[:500])


SEND_TASK = "mailgateway.tasks.send_ticket_notification"
FINAL_FAILURES = (REASON_RATE_LIMITED, REASON_NO_RECIPIENT)


def _row_fields(*, kind: str, ticket: Ticket, message_id: int | None) -> dict:
    return {"ticket": ticket, "ticket_message_id": message_id, "kind": kind,
            "to_address": ticket.requester.email or "",
            "subject": outbound.subject_line(ticket=ticket)[:255],
            "is_automatic": outbound.is_automatic_kind(kind)}


def _row_insert(*, kind: str, ticket: Ticket, message_id: int | None) -> OutboundMessage:
    return OutboundMessage.objects.create(
        header_message_id=message_id_make(ticket_id=ticket.pk),
        **_row_fields(kind=kind, ticket=ticket, message_id=message_id))


def outbound_message_record(*, kind: str, ticket_id: int, message_id: int | None = None,
                            ticket: Ticket | None = None) -> OutboundMessage:
    """Record one ticket email in the caller's transaction (the ticket change's): its row
    with the signed Message-ID, and the outbox task that sends it after commit."""
    if kind not in outbound.KINDS:
        raise ValueError(f"Unknown ticket email kind: {kind}")
    if ticket is None:
        ticket = Ticket.objects.select_related("requester").get(pk=ticket_id)
    row = _row_insert(kind=kind, ticket=ticket, message_id=message_id)
    outbox_services.outbox_task_record(
        name=SEND_TASK, idempotency_key=f"ticket-mail:{row.header_message_id}",
        kwargs={"kind": kind, "ticket_id": ticket.pk, "message_id": message_id,
                "header_message_id": row.header_message_id})
    return row


def _rows_for_send():
    """The row with everything its send needs, in one query: its ticket, requester and
    ticket message, whether another row about the same message went out already, how many
    automatic mails went to the same address about the ticket within the rate-limit window
    and whether the message has attachments."""
    _limit, window = _rate_limit()
    sent_same = (OutboundMessage.objects.filter(
        kind=OuterRef("kind"), ticket_message_id=OuterRef("ticket_message_id"),
        sent_at__isnull=False).exclude(pk=OuterRef("pk")))
    recent = (OutboundMessage.objects.filter(
        ticket_id=OuterRef("ticket_id"), to_address__iexact=OuterRef("to_address"),
        is_automatic=True, sent_at__isnull=False, created_at__gte=timezone.now() - window)
        .exclude(pk=OuterRef("pk")).order_by().values("ticket_id")
        .annotate(n=Count("pk")).values("n"))
    return (OutboundMessage.objects.select_related("ticket__requester", "ticket_message")
            .annotate(sent_duplicate=Exists(sent_same),
                      recent_automatic=Coalesce(Subquery(recent, output_field=IntegerField()),
                                                Value(0)),
                      has_attachments=Exists(Attachment.objects.filter(
                          message_id=OuterRef("ticket_message_id")))))


def _row_for_send(*, kind: str, ticket_id: int, message_id: int | None,
                  header_message_id: str | None) -> OutboundMessage | None:
    """The recorded row (`_rows_for_send`); created here for a caller that recorded none (a
    task queued before rows were recorded with the change, or a direct call)."""
    if header_message_id is not None:
        row = _row_read(header_message_id=header_message_id)
        if row is not None:
            return row
    if header_message_id is None:
        if _already_sent_for_message(kind=kind, ticket_message_id=message_id):
            return None
        ticket = Ticket.objects.select_related("requester").get(pk=ticket_id)
        created = _row_insert(kind=kind, ticket=ticket, message_id=message_id)
    else:
        ticket = Ticket.objects.select_related("requester").get(pk=ticket_id)
        created, _created = OutboundMessage.objects.get_or_create(
            header_message_id=header_message_id,
            defaults=_row_fields(kind=kind, ticket=ticket, message_id=message_id))
    return _row_read(pk=created.pk)


def _row_read(*, header_message_id: str | None = None, pk: int | None = None
              ) -> OutboundMessage | None:
    if outbound_reads.prepared():
        return outbound_reads.row_for_send(since=timezone.now() - _rate_limit()[1],
                                           header_message_id=header_message_id, pk=pk)
    rows = _rows_for_send()
    return (rows.filter(header_message_id=header_message_id) if pk is None
            else rows.filter(pk=pk)).first()


@dataclasses.dataclass
class OutboundBatch:
    """What a drain's batch of ticket emails read and claimed up front
    (`outbound_batch_prepare`), and what its sends so far add to it."""

    rows: dict[str, OutboundMessage]  # by Message-ID
    claimed: set[int]  # the rows' pks this batch claimed (committed)
    threads: dict[int, tuple[list[str], list[str]]]  # ticket id: (references, Cc)
    sent_messages: set[tuple[str, int]] = dataclasses.field(default_factory=set)
    automatic_sent: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def sent(self, row: OutboundMessage) -> None:
        """Count a send of this batch in the facts read before it (duplicates, rate limit,
        the thread's references), as a later read would."""
        if row.ticket_message_id is not None:
            self.sent_messages.add((row.kind, row.ticket_message_id))
        if row.is_automatic:
            self.automatic_sent[(row.ticket_id, row.to_address.upper())] += 1
        if row.ticket_id in self.threads:  # a ticket not read with the batch is read alone
            references, cc = self.threads[row.ticket_id]
            self.threads[row.ticket_id] = ([*references, row.header_message_id]
                                           [-outbound.REFERENCES_MAX:], cc)


def outbound_batch_prepare(*, header_message_ids: list[str]) -> OutboundBatch:
    """A drain's batch: its rows in one read, its threads and Cc in one more (PostgreSQL;
    per ticket elsewhere), and every row still to send claimed in one transaction (committed
    before any email goes out, as `send_claim`). A row not read or not claimed here goes
    the single email's way in `outbound_message_send`."""
    since = timezone.now() - _rate_limit()[1]
    if outbound_reads.prepared():
        rows = outbound_reads.rows_for_send(since=since, header_message_ids=header_message_ids)
    else:
        rows = list(_rows_for_send().filter(header_message_id__in=header_message_ids))
    to_send = [row.pk for row in rows if row.sent_at is None and not row.sent_duplicate
               and row.failure_reason not in FINAL_FAILURES]
    claimed = outbox_services.send_claim_many(model=OutboundMessage, pks=to_send)
    return OutboundBatch(
        rows={row.header_message_id: row for row in rows}, claimed=claimed,
        threads=outbound.threads_and_copies(tickets=[row.ticket for row in rows
                                                     if row.pk in claimed]))


def _build(*, row: OutboundMessage, ticket: Ticket, batch: OutboundBatch | None = None):
    if batch is not None and ticket.pk in batch.threads:
        references, cc = batch.threads[ticket.pk]
    else:
        references, cc = outbound.thread_and_copies(ticket=ticket)
    references = [ref for ref in references if ref != row.header_message_id]
    return outbound.ticket_notification_build(
        kind=row.kind, ticket=ticket, message=row.ticket_message,
        header_message_id=row.header_message_id, references=references, cc=cc,
        with_attachments=row.has_attachments)


def outbound_message_send(*, kind: str, ticket_id: int, message_id: int | None = None,
                          header_message_id: str | None = None, connection=None,
                          batch: OutboundBatch | None = None) -> OutboundMessage | None:
    """Send one recorded ticket email exactly once; returns its row (None when the ticket
    message it is about was already emailed by another row).

    The row is claimed (committed) before the email goes to the backend and marked sent
    after (outbox.services.send_claim): a row already sent is never sent again, and a
    concurrent duplicate of the task raises SendInProgress instead of sending. A worker
    killed between the backend call and the mark sends it once more, with the same
    Message-ID, once the claim expires (SMTP and the anymail ESPs cannot tell).
    `connection`: a mail backend connection the caller holds open (a drain's batch);
    `batch`: what that batch read and claimed up front (`outbound_batch_prepare`)."""
    if kind not in outbound.KINDS:
        raise ValueError(f"Unknown ticket email kind: {kind}")
    row = batch.rows.get(header_message_id or "") if batch is not None else None
    if row is None:
        batch = None  # not read with the batch: the single email's way
        row = _row_for_send(kind=kind, ticket_id=ticket_id, message_id=message_id,
                            header_message_id=header_message_id)
    if row is None or row.sent_at is not None or row.failure_reason in FINAL_FAILURES:
        return row
    if row.sent_duplicate or (batch is not None and row.ticket_message_id is not None and (
            row.kind, row.ticket_message_id) in batch.sent_messages):
        # another row about the same ticket message went out already
        OutboundMessage.objects.filter(pk=row.pk, sent_at__isnull=True).delete()
        return None
    if batch is None or row.pk not in batch.claimed:
        claimed = outbox_services.send_claim(model=OutboundMessage, pk=row.pk)
        if claimed == outbox_services.GONE:
            return None
        if claimed == outbox_services.SENT:
            row.refresh_from_db()
            return row
    _send_claimed(row=row, connection=connection, batch=batch)
    return row


def _send_claimed(*, row: OutboundMessage, connection, batch: OutboundBatch | None) -> None:
    ticket = row.ticket
    if not row.to_address:
        _record_failure(row=row, reason=REASON_NO_RECIPIENT)
        return
    recent = row.recent_automatic + (batch.automatic_sent[(
        row.ticket_id, row.to_address.upper())] if batch is not None else 0)
    if row.is_automatic and recent >= _rate_limit()[0]:
        logger.warning("Automatic mail %s to %s about ticket %s suppressed: rate limit",
                       row.kind, row.to_address, ticket.number)
        _record_failure(row=row, reason=REASON_RATE_LIMITED)
        return
    email = _build(row=row, ticket=ticket, batch=batch)
    if connection is not None:
        email.connection = connection
    try:
        email.send()
    except Exception:  # nothing went out (or the provider can't tell): the retry may send
        outbox_services.send_release(model=OutboundMessage, pk=row.pk)
        raise
    _mark_sent(row=row, ticket=ticket)
    if batch is not None:
        batch.sent(row)


def outbound_message_give_up(*, header_message_id: str, reason: str) -> None:
    """The last attempt to send failed: record it on the ticket (MAIL_FAILED)."""
    row = (OutboundMessage.objects.select_related("ticket")
           .filter(header_message_id=header_message_id, sent_at__isnull=True).first())
    if row is not None:
        _record_failure(row=row, reason=f"send_failed: {reason}")


def _mark_sent(*, row: OutboundMessage, ticket: Ticket) -> None:
    """The row marked sent with its MAIL_SENT event, atomically: on PostgreSQL in one
    statement (`outbound_reads.mark_sent`; the event's data as `ticket_event_record`
    writes it), elsewhere in a transaction of two."""
    now = timezone.now()
    if outbound_reads.prepared():
        outbound_reads.mark_sent(pk=row.pk, at=now, event_kind=TicketEvent.Kind.MAIL_SENT.value,
                                 event_data={"outbound_id": row.pk, "mail_kind": row.kind,
                                             "to": row.to_address,
                                             "message_id": row.header_message_id})
        row.sent_at = now
        return
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=row.pk).update(sent_at=now, failure_reason="")
        ticket_event_record(ticket=ticket, actor=None, kind=TicketEvent.Kind.MAIL_SENT,
                            outbound_id=row.pk, mail_kind=row.kind, to=row.to_address,
                            message_id=row.header_message_id)
    row.sent_at = now
