"""Outbound ticket email: confirmation, agent reply, resolved, reopened.

Every email carries the subject tag [#NUMBER], goes through Django's mail API (a
django-anymail backend in production, .eml files in the embedded default), in the
requester's language (participants in Cc), with text and HTML alternatives, our signed Message-ID,
In-Reply-To/References to the ticket's thread and Reply-To the support inbound address.
Automatic mail also carries the headers that make auto-responders stay quiet.

This module only builds messages (no database writes); `outbound_services` decides,
records and sends.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from tickets import attachment_store, satisfaction
from tickets.models import Message, Ticket, TicketParticipant

from . import outbound_reads
from .message_ids import LOOP_HEADER
from .models import InboundMessage, OutboundMessage

SUBJECT_MAX_CHARS = 200
REFERENCES_MAX = 20

# Kinds of ticket email (the values of tickets.signals' kinds).
CREATED = "created"
AGENT_REPLY = "agent_reply"
RESOLVED = "resolved"
REOPENED = "reopened"
KINDS = (CREATED, AGENT_REPLY, RESOLVED, REOPENED)
AUTOMATIC_KINDS = frozenset({CREATED, RESOLVED, REOPENED})

# Headers that tell auto-responders (RFC 3834, Exchange, list software) not to answer.
AUTOMATIC_HEADERS = {
    "Auto-Submitted": "auto-replied",
    "X-Auto-Response-Suppress": "All",
    "Precedence": "bulk",
}


def is_automatic_kind(kind: str) -> bool:
    return kind in AUTOMATIC_KINDS


def subject_line(*, ticket: Ticket) -> str:
    """One bounded header line: no CR/LF or control characters, at most SUBJECT_MAX_CHARS."""
    text = "".join(ch if ch.isprintable() else " " for ch in (ticket.subject or ""))
    clean = " ".join(text.split())
    line = f"{ticket.subject_tag} {clean}".strip()
    if len(line) > SUBJECT_MAX_CHARS:
        line = line[:SUBJECT_MAX_CHARS - 1].rstrip() + "…"
    return line


def thread_message_ids(*, ticket: Ticket, limit: int = REFERENCES_MAX) -> list[str]:
    """Message-IDs of the ticket's thread, oldest first, at most `limit` (the newest ones):
    the mail we sent and the human mail we received about it (not bounces or
    out-of-office replies)."""
    sent = (OutboundMessage.objects.filter(ticket=ticket, sent_at__isnull=False)
            .order_by("-created_at", "-id").values_list("created_at", "header_message_id")[:limit])
    received = (InboundMessage.objects.filter(ticket=ticket, is_automatic=False)
                .exclude(header_message_id="")
                .order_by("-received_at", "-id")
                .values_list("received_at", "header_message_id")[:limit])
    return _message_ids(sorted([*sent, *received], key=lambda pair: pair[0])[-limit:])


def participant_addresses(*, ticket: Ticket) -> list[str]:
    """The ticket's participants get its emails in Cc (active accounts only)."""
    if ticket.pk is None:
        return []
    return list(TicketParticipant.objects.filter(ticket=ticket, contact__is_active=True)
                .exclude(contact_id=ticket.requester_id)
                .order_by("created_at", "id").values_list("contact__email", flat=True))


def thread_and_copies(*, ticket: Ticket, limit: int = REFERENCES_MAX
                      ) -> tuple[list[str], list[str]]:
    """`thread_message_ids` and `participant_addresses`: on PostgreSQL in one prepared
    query (a UNION ALL of the three reads, `outbound_reads`), elsewhere one by one."""
    if not outbound_reads.prepared():
        return (thread_message_ids(ticket=ticket, limit=limit),
                participant_addresses(ticket=ticket))
    return _thread_and_copies(outbound_reads.thread_rows(ticket=ticket, limit=limit),
                              limit=limit)


def threads_and_copies(*, tickets, limit: int = REFERENCES_MAX
                       ) -> dict[int, tuple[list[str], list[str]]]:
    """`thread_and_copies` of many tickets (a drain's batch), by ticket id: on PostgreSQL
    in one read whatever their number."""
    if not outbound_reads.prepared():
        return {ticket.pk: thread_and_copies(ticket=ticket, limit=limit) for ticket in tickets}
    return {pk: _thread_and_copies(rows, limit=limit) for pk, rows in
            outbound_reads.threads_rows(tickets=tickets, limit=limit).items()}


def _thread_and_copies(rows: list[tuple], *, limit: int) -> tuple[list[str], list[str]]:
    thread = sorted(((when, value) for tag, when, value, _row in rows if tag == "r"),
                    key=lambda pair: pair[0])[-limit:]
    cc = [value for _tag, _when, value, _row in
          sorted((r for r in rows if r[0] == "c"), key=lambda r: (r[1], r[3]))]
    return _message_ids(thread), cc


def _message_ids(merged) -> list[str]:
    ids: list[str] = []
    for _when, value in merged:
        value = " ".join(value.split())
        if value and value not in ids and len(value) <= 255:
            ids.append(value if value.startswith("<") else f"<{value}>")
    return ids


def _headers(*, kind: str, header_message_id: str, references: list[str],
             language: str) -> dict[str, str]:
    headers = {"Message-ID": header_message_id, LOOP_HEADER: settings.MAIL_MESSAGE_ID_DOMAIN,
               "Content-Language": language}
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    if is_automatic_kind(kind):
        headers.update(AUTOMATIC_HEADERS)
    return headers


def agent_reply_preview(*, ticket: Ticket, body: str) -> dict:
    """The email an agent reply would send, for the desk's preview (nothing recorded)."""
    requester = ticket.requester
    language = requester.mail_language
    with translation.override(language):
        text = render_to_string("mail/ticket_notification.txt", {
            "kind": AGENT_REPLY, "ticket": ticket, "message": Message(ticket=ticket, body=body),
            "requester": requester, "LANGUAGE_CODE": language,
            "ticket_url": f"{settings.SITE_URL.rstrip('/')}/tickets/{ticket.number}/"})
    return {"subject": subject_line(ticket=ticket), "to": requester.email,
            "cc": participant_addresses(ticket=ticket), "text": text, "language": language}


def ticket_notification_build(*, kind: str, ticket: Ticket, message: Message | None,
                              header_message_id: str, references: list[str] | None = None,
                              cc: list[str] | None = None, with_attachments: bool = True
                              ) -> EmailMultiAlternatives:
    """The email; `cc` (None: read here) and `with_attachments` (False: the message has
    none, known from the caller's read) save the worker its own queries."""
    requester = ticket.requester
    language = requester.mail_language
    with translation.override(language):
        context = {
            "kind": kind, "ticket": ticket, "message": message, "requester": requester,
            "ticket_url": f"{settings.SITE_URL.rstrip('/')}/tickets/{ticket.number}/",
            "LANGUAGE_CODE": language,
            "satisfaction_links": satisfaction.links_for(
                survey=satisfaction.latest_survey(ticket=ticket),
                base_url=settings.SITE_URL) if kind == RESOLVED else {},
        }
        text = render_to_string("mail/ticket_notification.txt", context)
        html = render_to_string("mail/ticket_notification.html", context)
    email = EmailMultiAlternatives(
        subject=subject_line(ticket=ticket), body=text,
        from_email=settings.DEFAULT_FROM_EMAIL, to=[requester.email],
        cc=participant_addresses(ticket=ticket) if cc is None else cc, reply_to=[settings.SUPPORT_INBOUND_ADDRESS],
        headers=_headers(kind=kind, header_message_id=header_message_id,
                         references=references or [], language=language),
    )
    email.attach_alternative(html, "text/html")
    if message is not None and kind == AGENT_REPLY and with_attachments:
        for attachment in message.attachments.all():
            email.attach(attachment.original_name,
                         attachment_store.file_read(attachment=attachment),
                         attachment.content_type or "application/octet-stream")
    return email
