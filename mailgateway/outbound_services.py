"""Business actions of outbound mail: decide, record and send one ticket email.

`outbound_message_send` is idempotent on the Message-ID chosen when the notification was
queued: a retried or redelivered task never sends the same email twice once it is marked
sent. Automatic mail is rate-limited per ticket and address by counting OutboundMessage
rows, so the limit holds across processes and hosts.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tickets.models import Message, Ticket, TicketEvent
from tickets.services import ticket_event_record

from . import outbound
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


def automatic_mail_allowed(*, ticket_id: int, to_address: str,
                           exclude_pk: int | None = None) -> bool:
    """Fewer than the limit of automatic mails sent to this address about this ticket in
    the window (e.g. at most 10 per 10 minutes)."""
    limit, window = _rate_limit()
    recent = OutboundMessage.objects.filter(
        ticket_id=ticket_id, to_address__iexact=to_address, is_automatic=True,
        sent_at__isnull=False, created_at__gte=timezone.now() - window,
    )
    if exclude_pk is not None:
        recent = recent.exclude(pk=exclude_pk)
    return recent.count() < limit


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


def outbound_message_send(*, kind: str, ticket_id: int, message_id: int | None = None,
                          header_message_id: str | None = None) -> OutboundMessage | None:
    """Send one ticket email unless it was already sent; returns its row (None when the
    ticket message it is about was already emailed)."""
    if kind not in outbound.KINDS:
        raise ValueError(f"Unknown ticket email kind: {kind}")
    if header_message_id is None and _already_sent_for_message(kind=kind,
                                                               ticket_message_id=message_id):
        return None
    header_message_id = header_message_id or message_id_make(ticket_id=ticket_id)
    ticket = Ticket.objects.select_related("requester").get(pk=ticket_id)
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    subject = outbound.subject_line(ticket=ticket)
    row, created = OutboundMessage.objects.get_or_create(
        header_message_id=header_message_id,
        defaults={"ticket": ticket, "ticket_message": message, "kind": kind,
                  "to_address": ticket.requester.email, "subject": subject[:255],
                  "is_automatic": outbound.is_automatic_kind(kind)},
    )
    if row.sent_at is not None or row.failure_reason in (REASON_RATE_LIMITED,
                                                         REASON_NO_RECIPIENT):
        return row
    if created and _already_sent_for_message(kind=kind, ticket_message_id=message_id):
        OutboundMessage.objects.filter(pk=row.pk).delete()
        return None
    if not row.to_address:
        _record_failure(row=row, reason=REASON_NO_RECIPIENT)
        return row
    if row.is_automatic and not automatic_mail_allowed(
            ticket_id=ticket.pk, to_address=row.to_address, exclude_pk=row.pk):
        logger.warning("Automatic mail %s to %s about ticket %s suppressed: rate limit",
                       kind, row.to_address, ticket.number)
        _record_failure(row=row, reason=REASON_RATE_LIMITED)
        return row
    references = [ref for ref in outbound.thread_message_ids(ticket=ticket)
                  if ref != header_message_id]
    email = outbound.ticket_notification_build(kind=kind, ticket=ticket, message=message,
                                               header_message_id=header_message_id,
                                               references=references)
    email.send()
    _mark_sent(row=row, ticket=ticket)
    return row


def outbound_message_give_up(*, header_message_id: str, reason: str) -> None:
    """The last attempt to send failed: record it on the ticket (MAIL_FAILED)."""
    row = (OutboundMessage.objects.select_related("ticket")
           .filter(header_message_id=header_message_id, sent_at__isnull=True).first())
    if row is not None:
        _record_failure(row=row, reason=f"send_failed: {reason}")


def _mark_sent(*, row: OutboundMessage, ticket: Ticket) -> None:
    now = timezone.now()
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=row.pk).update(sent_at=now, failure_reason="")
        ticket_event_record(ticket=ticket, actor=None, kind=TicketEvent.Kind.MAIL_SENT,
                            outbound_id=row.pk, mail_kind=row.kind, to=row.to_address,
                            message_id=row.header_message_id)
    row.sent_at = now
