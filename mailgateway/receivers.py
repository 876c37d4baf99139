"""Listens to the tickets app's domain signals and queues the matching email."""

from django.dispatch import receiver

from tickets.signals import ticket_notification


@receiver(ticket_notification, dispatch_uid="mailgateway.queue_ticket_notification")
def queue_ticket_notification(sender, *, kind: str, ticket_id: int, message_id: int | None,
                              **kwargs) -> None:
    from .tasks import send_ticket_notification

    send_ticket_notification.delay(kind=kind, ticket_id=ticket_id, message_id=message_id)
