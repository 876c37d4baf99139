"""Ticket and credit events become webhook deliveries, recorded in the change's
transaction (tickets and credits never import this app)."""

from django.dispatch import receiver

from credits.signals import balance_notice
from tickets import signals as ticket_signals
from tickets.signals import ticket_notification

from .models import Event
from .services import webhook_deliveries_record

TICKET_EVENTS = {ticket_signals.CREATED: Event.TICKET_CREATED,
                 ticket_signals.AGENT_REPLY: Event.TICKET_REPLIED,
                 ticket_signals.RESOLVED: Event.TICKET_RESOLVED,
                 ticket_signals.REOPENED: Event.TICKET_REOPENED}


@receiver(ticket_notification, dispatch_uid="webhooks.ticket_notification")
def ticket_event(sender, *, kind: str, ticket=None, message_id=None, **kwargs) -> None:
    event = TICKET_EVENTS.get(kind)
    if event is None or ticket is None:
        return
    webhook_deliveries_record(event=event, organization_id=ticket.organization_id, data={
        "ticket": {"number": ticket.number, "subject": ticket.subject,
                   "status": ticket.status}, "message_id": message_id})


@receiver(balance_notice, dispatch_uid="webhooks.balance_notice")
def balance_event(sender, *, kind: str, organization_id: int, balance_minutes: int,
                  **kwargs) -> None:
    webhook_deliveries_record(event=Event.BALANCE_LOW, organization_id=organization_id,
                              data={"state": kind, "balance_minutes": balance_minutes})
