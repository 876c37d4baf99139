"""Read queries for tickets. Each starts from what the actor may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from . import access
from .models import Attachment, Message, Ticket, TicketParticipant


def tickets_visible_to(*, user) -> QuerySet[Ticket]:
    """The tickets `user` may read on the customer site and the API (tickets.access: the
    requester, participants, the organization's admins; nobody else)."""
    return access.tickets_visible_to(user=user)


def tickets_of(*, user) -> QuerySet[Ticket]:
    """"My tickets": those `user` requested or participates in."""
    tickets = access.tickets_visible_to(user=user)
    return tickets if not user.is_org_admin else tickets.filter(
        access.requested_or_followed(user=user))


def participants_of(*, ticket: Ticket) -> QuerySet[TicketParticipant]:
    return ticket.participants.select_related("contact", "added_by").order_by("created_at", "id")


def participant_contacts(*, ticket: Ticket):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(participations__ticket=ticket)


def participant_candidates(*, ticket: Ticket):
    """Who may be added: active contacts of the ticket's organization, not the requester
    and not a participant yet."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects
            .filter(organization_id=ticket.organization_id, is_active=True, is_staff=False)
            .exclude(pk=ticket.requester_id)
            .exclude(participations__ticket=ticket).order_by("full_name", "email"))


PARTICIPANT_CHOICES_MAX = 100  # beyond that a page asks for the colleague's email address


def participant_choices(*, ticket: Ticket) -> list | None:
    """The candidates for a page's list, or None when the organization has more than
    PARTICIPANT_CHOICES_MAX of them (the page asks for an email address instead of
    drawing them all on every ticket)."""
    rows = list(participant_candidates(ticket=ticket)[:PARTICIPANT_CHOICES_MAX + 1])
    return rows if len(rows) <= PARTICIPANT_CHOICES_MAX else None


def participant_candidate_posted(*, ticket: Ticket, contact_id: str, email: str):
    """The candidate a form posted, by id (the list) or by email address; None if none."""
    candidates = participant_candidates(ticket=ticket)
    if email.strip():
        return candidates.filter(email__iexact=email.strip()[:254]).first()
    return candidates.filter(pk=int(contact_id)).first() if contact_id.isdigit() \
        and len(contact_id) < 12 else None


def organization_contact(*, ticket: Ticket, email: str):
    """The contact of the ticket's organization with this address (any other: None)."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects
            .filter(organization_id=ticket.organization_id, email__iexact=email.strip())
            .order_by("pk").first())


PAGE_RELATED = ("department__product", "requester", "deployment", "hardware_item",
                "module_licence", "billing_responsibility")


def ticket_get_for_contact(*, user, number: str, write: bool = False,
                           for_page: bool = True) -> Ticket:
    """The ticket, or 404 exactly as for a ticket that does not exist. `write`: the user
    is about to write to it (tickets.access.ticket_may_write decides too). `for_page`:
    with what its page shows joined; a form's POST that redirects reads the ticket alone
    (the six joins cost more to compile than the rest of a reply; a page shown again after
    an error reads them lazily)."""
    tickets = tickets_visible_to(user=user)
    try:
        ticket = (tickets.select_related(*PAGE_RELATED) if for_page else tickets
                  ).get(number=number)
    except Ticket.DoesNotExist as e:
        raise Http404 from e
    if write and not access.ticket_may_write(user=user, ticket=ticket):
        raise Http404
    return ticket


def ticket_messages_for_contact(*, ticket: Ticket) -> QuerySet[Message]:
    return (ticket.messages.filter(kind__in=Message.CUSTOMER_VISIBLE_KINDS)
            .select_related("author").prefetch_related("attachments")
            .order_by("created_at", "id"))


def attachment_get_for_contact(*, user, number: str, attachment_id: int) -> Attachment:
    ticket = ticket_get_for_contact(user=user, number=number)
    try:
        return Attachment.objects.select_related("message").get(
            pk=attachment_id, message__ticket=ticket,
            message__kind__in=Message.CUSTOMER_VISIBLE_KINDS)
    except Attachment.DoesNotExist as e:
        raise Http404 from e
