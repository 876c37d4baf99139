"""Listens to the tickets app's domain signals (sent on commit) and queues the email.

The Message-ID is chosen here, when the notification is queued: it is the task's
idempotency key, so a retried or redelivered task never sends a second copy.
"""

from django.dispatch import receiver

from tickets.signals import ticket_notification

from .message_ids import message_id_make


@receiver(ticket_notification, dispatch_uid="mailgateway.queue_ticket_notification")
def queue_ticket_notification(sender, *, kind: str, ticket_id: int, message_id: int | None,
                              **kwargs) -> None:
    from .tasks import send_ticket_notification

    send_ticket_notification.delay(kind=kind, ticket_id=ticket_id, message_id=message_id,
                                   header_message_id=message_id_make(ticket_id=ticket_id))
