"""Listens to the tickets app's domain signal (sent inside the ticket's transaction) and
records the email there: its OutboundMessage, with the signed Message-ID chosen now, and
the outbox task that sends it after commit (`outbound_services.outbound_message_record`)."""

from django.dispatch import receiver

from tickets.signals import ticket_notification


@receiver(ticket_notification, dispatch_uid="mailgateway.record_ticket_notification")
def record_ticket_notification(sender, *, kind: str, ticket_id: int, message_id: int | None,
                               ticket=None, **kwargs) -> None:
    from .outbound_services import outbound_message_record

    outbound_message_record(kind=kind, ticket_id=ticket_id, message_id=message_id,
                            ticket=ticket)
