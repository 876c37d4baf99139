"""Celery tasks of the mail gateway. Tasks take ids, call services, own their retries."""

from celery import shared_task

from . import outbound


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600,
             max_retries=8, acks_late=True)
def send_ticket_notification(self, *, kind: str, ticket_id: int, message_id: int | None = None):
    return outbound.ticket_notification_send(kind=kind, ticket_id=ticket_id,
                                             message_id=message_id)
