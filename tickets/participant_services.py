"""Business actions on a ticket's participants: the contacts of its organization who follow
it besides the requester (tickets.access lets them read and write it; they get its emails).

The requester adds and removes them on the ticket page (source SITE), an agent on the agent
ticket page (AGENT), and the requester's email to the ticket adds the same-organization
contacts it copies (EMAIL_CC). Each change is one transaction with an audit event.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from . import exceptions as exc
from .access import ticket_may_change_participants
from .models import Ticket, TicketEvent, TicketParticipant
from .services import ticket_event_record

Source = TicketParticipant.Source


def _actor_may_change(*, actor, ticket: Ticket, source: str) -> bool:
    """tickets.access's rule, through the channel that is the actor's (agents: AGENT)."""
    if actor is None or (source == Source.AGENT) != bool(actor.is_staff):
        return False
    return bool(ticket_may_change_participants(user=actor, ticket=ticket))


def _contact_problem(*, contact, ticket: Ticket):
    if contact.is_staff or contact.organization_id != ticket.organization_id:
        return exc.PARTICIPANT_OTHER_ORGANIZATION
    if not contact.is_active:
        return exc.PARTICIPANT_INACTIVE
    if contact.pk == ticket.requester_id:
        return exc.PARTICIPANT_IS_REQUESTER
    return None


def ticket_participant_add(*, ticket: Ticket, contact, actor, source: str
                           ) -> tuple[TicketParticipant, bool]:
    """(participant, created). Adding someone who already follows the ticket changes
    nothing (no second event)."""
    if source not in Source.values:
        raise ValueError(f"Unknown participant source: {source!r}")
    if not _actor_may_change(actor=actor, ticket=ticket, source=source):
        raise exc.ParticipantRefused(exc.PARTICIPANT_ACTOR_REFUSED)
    problem = _contact_problem(contact=contact, ticket=ticket)
    if problem is not None:
        raise exc.ParticipantRefused(problem)
    existing = TicketParticipant.objects.filter(ticket=ticket, contact=contact).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            participant = TicketParticipant.objects.create(
                ticket=ticket, contact=contact, added_by=actor, source=source)
            ticket_event_record(ticket=ticket, actor=actor,
                                kind=TicketEvent.Kind.PARTICIPANT_ADDED,
                                contact_id=contact.pk, email=contact.email, source=source)
    except IntegrityError:  # added concurrently
        return TicketParticipant.objects.get(ticket=ticket, contact=contact), False
    return participant, True


def ticket_participant_remove(*, ticket: Ticket, contact, actor, source: str) -> None:
    """`source`: the channel of the removal (SITE by the requester, AGENT by an agent)."""
    if not _actor_may_change(actor=actor, ticket=ticket, source=source):
        raise exc.ParticipantRefused(exc.PARTICIPANT_ACTOR_REFUSED)
    with transaction.atomic():
        deleted, _rows = TicketParticipant.objects.filter(ticket=ticket,
                                                          contact=contact).delete()
        if not deleted:
            raise exc.ParticipantRefused(exc.PARTICIPANT_NOT_FOUND)
        ticket_event_record(ticket=ticket, actor=actor,
                            kind=TicketEvent.Kind.PARTICIPANT_REMOVED,
                            contact_id=contact.pk, email=contact.email, source=source)
