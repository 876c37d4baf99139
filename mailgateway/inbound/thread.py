"""Find the ticket a message belongs to, and whether its sender may write to it.

Order: our signed Message-IDs in In-Reply-To/References (newest first), then the subject
tag [#ABC-123-45678], whatever the client put around it. A ticket found either way is
accepted only when tickets.access lets the sender write to it (the requester, a
participant, an organization admin: the site's rule); otherwise the message is quarantined
with the reason naming the rule that refused it (reasons.SENDER_REFUSED).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from tickets import access, numbers
from tickets.models import Ticket

from .. import inbound_reads
from ..message_ids import message_id_ticket
from . import reasons
from .identify import SenderUser
from .parse import ParsedMessage


@dataclass
class ThreadResult:
    ticket: Ticket | None = None
    via: str = ""
    reason: str = ""  # quarantine reason when no ticket may take the message


def subject_number(subject: str) -> str | None:
    # Encoded words and folded lines are already decoded/unfolded by parse.header_decode.
    return numbers.number_in_subject(subject)


def signed_ticket_id(ids: list[str]) -> int | None:
    """The ticket of the newest of our signed Message-IDs in `ids` (newest first)."""
    for value in ids:
        ticket_id = message_id_ticket(value)
        if ticket_id is not None:
            return ticket_id
    return None


def reference_ids(parsed: ParsedMessage) -> list[str]:
    """In-Reply-To, then References from the newest to the oldest."""
    return list(reversed(parsed.in_reply_to)) + list(reversed(parsed.references))


def sender_access(*, ticket: Ticket, address: str, user) -> access.Access:
    """tickets.access's answer for the sender. `user` is the sender's active user, or a
    SenderUser resolving it lazily; an address with no active user is looked up once more
    among the deactivated accounts, only to say which rule refused it."""
    if not address:
        return access.Access(False, access.NO_USER)
    if isinstance(user, SenderUser):
        user = user.get(ticket)
    if user is None:
        user = get_user_model().objects.filter(email=address.lower()).first()
    return access.ticket_may_write(user=user, ticket=ticket)


def sender_may_write(*, ticket: Ticket, address: str, user) -> bool:
    return sender_access(ticket=ticket, address=address, user=user).allowed


class LockedTickets:
    """The tickets a batch of messages may thread to, read and locked in one query, in
    primary-key order (two batches locking in the same order cannot deadlock). The same
    instance is handed to every message of the batch, so each reply sees the state the
    previous one left."""

    def __init__(self, *, ids, numbers):
        ids, numbers = set(ids), set(numbers)
        self.by_id: dict[int, Ticket] = {}
        self.by_number: dict[str, Ticket] = {}
        if not ids and not numbers:
            return
        self._lock(ids, numbers)
        # Tickets merged into another: mail to them threads to the survivor.
        survivors = {t.merged_into_id for t in self.by_id.values()
                     if t.merged_into_id} - set(self.by_id)
        if survivors:
            self._lock(survivors, set())

    def _lock(self, ids: set, numbers: set) -> None:
        for ticket in inbound_reads.tickets_locked(ids=ids, numbers=numbers):
            self.by_id[ticket.pk] = ticket
            self.by_number[ticket.number] = ticket

    def get(self, **lookup) -> Ticket | None:
        if "pk" in lookup:
            return self.by_id.get(lookup["pk"])
        return self.by_number.get(lookup["number"])


def candidates(*, parsed: ParsedMessage, ids: list[str]) -> tuple[int | None, str | None]:
    """(signed ticket id, subject number) that find_ticket may look up for a message."""
    return signed_ticket_id(ids), subject_number(parsed.subject)


def _ticket(tickets: LockedTickets | None, **lookup) -> Ticket | None:
    """The ticket, or the one it was merged into."""
    if tickets is not None:
        ticket = tickets.get(**lookup)
        if ticket is not None and ticket.merged_into_id:
            return tickets.get(pk=ticket.merged_into_id) or ticket
        return ticket
    ticket = Ticket.objects.select_related("requester").filter(**lookup).first()
    if ticket is not None and ticket.merged_into_id:
        return Ticket.objects.select_related("requester").get(pk=ticket.merged_into_id)
    return ticket


def _checked(ticket: Ticket, via: str, *, address: str, user, check_sender: bool
             ) -> ThreadResult:
    if not check_sender:
        return ThreadResult(ticket=ticket, via=via)
    answer = sender_access(ticket=ticket, address=address, user=user)
    if answer.allowed:
        return ThreadResult(ticket=ticket, via=via)
    return ThreadResult(reason=reasons.SENDER_REFUSED.get(answer.reason,
                                                          reasons.SENDER_NOT_ALLOWED))


def find_ticket(*, parsed: ParsedMessage, ids: list[str], address: str, user,
                check_sender: bool = True, tickets: LockedTickets | None = None
                ) -> ThreadResult:
    """`tickets`: the batch's prefetched, locked tickets (else one query per lookup)."""
    ticket_id = signed_ticket_id(ids)
    if ticket_id is not None:
        ticket = _ticket(tickets, pk=ticket_id)
        if ticket is not None:
            return _checked(ticket, reasons.THREADED_BY_MESSAGE_ID, address=address,
                            user=user, check_sender=check_sender)
    number = subject_number(parsed.subject)
    if number is None:
        return ThreadResult(reason=reasons.NO_REFERENCE)
    ticket = _ticket(tickets, number=number)
    if ticket is None:
        return ThreadResult(reason=reasons.UNKNOWN_TICKET)
    return _checked(ticket, reasons.THREADED_BY_TAG, address=address, user=user,
                    check_sender=True)
