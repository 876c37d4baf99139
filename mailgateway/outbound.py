"""Outbound ticket email: confirmation, agent reply, resolved, reopened.

Every email carries the subject tag [#NUMBER], goes through Django's mail API (a
django-anymail backend in production, .eml files in the embedded default), in the
requester's language, with text and HTML alternatives.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from tickets.models import Message, Ticket

SUBJECT_MAX_CHARS = 200


def subject_line(*, ticket: Ticket) -> str:
    """One bounded header line: no CR/LF, at most SUBJECT_MAX_CHARS characters."""
    clean = " ".join((ticket.subject or "").split())
    line = f"{ticket.subject_tag} {clean}"
    return line[:SUBJECT_MAX_CHARS]


def ticket_notification_build(*, kind: str, ticket: Ticket,
                              message: Message | None) -> EmailMultiAlternatives:
    requester = ticket.requester
    language = requester.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "kind": kind, "ticket": ticket, "message": message, "requester": requester,
            "ticket_url": f"{settings.SITE_URL.rstrip('/')}/tickets/{ticket.number}/",
        }
        text = render_to_string("mail/ticket_notification.txt", context)
        html = render_to_string("mail/ticket_notification.html", context)
    email = EmailMultiAlternatives(
        subject=subject_line(ticket=ticket), body=text,
        from_email=settings.DEFAULT_FROM_EMAIL, to=[requester.email],
        reply_to=[settings.SUPPORT_INBOUND_ADDRESS],
    )
    email.attach_alternative(html, "text/html")
    return email


def ticket_notification_send(*, kind: str, ticket_id: int, message_id: int | None) -> str:
    ticket = Ticket.objects.select_related("requester").get(pk=ticket_id)
    message = Message.objects.get(pk=message_id) if message_id else None
    email = ticket_notification_build(kind=kind, ticket=ticket, message=message)
    email.send()
    return email.extra_headers.get("Message-ID", "")
