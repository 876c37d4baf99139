"""Delivery of webhooks: retried with exponential backoff (outbox.tasks'), then given up
(the delivery stays in the log as failed, with its last response)."""

from __future__ import annotations

from celery import shared_task

from outbox.tasks import retry_countdown_seconds

from . import services

MAX_RETRIES = 8


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True, reject_on_worker_lost=True)
def webhook_deliver(self, *, delivery_id: int) -> str:
    try:
        return services.webhook_delivery_attempt(delivery_id=delivery_id)
    except services.DeliveryFailed as error:
        if self.request.retries >= MAX_RETRIES:
            services.webhook_delivery_give_up(delivery_id=delivery_id)
            return "failed"
        raise self.retry(exc=error,
                         countdown=retry_countdown_seconds(self.request.retries)) from error
