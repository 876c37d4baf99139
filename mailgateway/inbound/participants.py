"""The requester's email to a ticket adds the contacts it copies (Cc) as participants:
active contacts of the ticket's organization only (anyone else in Cc is ignored), each
addition audited on the ticket (tickets.participant_services, source EMAIL_CC)."""

from __future__ import annotations

from email.utils import getaddresses

from django.conf import settings
from django.contrib.auth import get_user_model

from tickets import participant_services
from tickets.models import Ticket

from .parse import ParsedMessage, header_decode

MAX_CC = 50


def cc_addresses(parsed: ParsedMessage) -> set[str]:
    values = [header_decode(value) for value in parsed.message.get_all("Cc") or []]
    ours = {settings.SUPPORT_INBOUND_ADDRESS.lower(), settings.SERVER_EMAIL.lower()}
    found = {address.strip().lower() for _name, address in getaddresses(values)
             if "@" in address}
    return set(sorted(found - ours)[:MAX_CC])


def cc_participants_add(*, ticket: Ticket, parsed: ParsedMessage, author) -> list:
    """The contacts added (none unless `author` is the ticket's requester)."""
    if author is None or author.pk != ticket.requester_id:
        return []
    addresses = cc_addresses(parsed) - {author.email.lower()}
    if not addresses:
        return []
    contacts = get_user_model().objects.filter(
        email__in=addresses, organization_id=ticket.organization_id, is_active=True,
        is_staff=False).order_by("pk")
    added = []
    for contact in contacts:
        _participant, created = participant_services.ticket_participant_add(
            ticket=ticket, contact=contact, actor=author,
            source=participant_services.Source.EMAIL_CC)
        if created:
            added.append(contact)
    return added
