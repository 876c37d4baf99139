"""Read queries for tickets. Each starts from what the actor may see."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import Attachment, Message, Ticket


def tickets_visible_to(*, user) -> QuerySet[Ticket]:
    """A contact sees their own tickets; an organization admin every ticket of the
    organization; nobody else sees any through the customer site."""
    if not user.is_authenticated or user.organization_id is None:
        return Ticket.objects.none()
    qs = Ticket.objects.filter(organization_id=user.organization_id)
    if not user.is_org_admin:
        qs = qs.filter(requester=user)
    return qs


def ticket_get_for_contact(*, user, number: str) -> Ticket:
    """The ticket, or 404 exactly as for a ticket that does not exist."""
    try:
        return (tickets_visible_to(user=user)
                .select_related("department__product", "requester", "deployment",
                                "hardware_item", "module_licence", "billing_responsibility")
                .get(number=number))
    except Ticket.DoesNotExist as e:
        raise Http404 from e


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
