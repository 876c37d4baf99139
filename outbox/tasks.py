"""Celery tasks of the outbox: send one recorded email, the beat jobs (sweep of pending
tasks, worker heartbeat, retention of outbox rows and sessions).

Retry countdowns stay under the broker's visibility timeout (`retry_countdown_seconds`): a
Redis broker hands a message held longer than that to another worker again."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError

from . import drain, services

logger = logging.getLogger(__name__)

RETRYABLE = (OSError, DatabaseError, InterfaceError)  # smtplib and requests errors are OSError
SEND_MAX_RETRIES = 8
BUSY_MAX_RETRIES = SEND_MAX_RETRIES + 10  # waits for another run's claim (each ≤ the claim)


def retry_while_claimed(task, busy: services.SendInProgress):
    """Another run is sending this row: look again once its claim has expired (it will
    have marked the row sent by then, or died). In-process (eager) there is no later: the
    other run is the one that sends."""
    if task.request.is_eager:
        return "busy"
    raise task.retry(countdown=busy.retry_in_seconds, max_retries=BUSY_MAX_RETRIES) from busy


def retry_countdown_seconds(retries: int) -> int:
    """10 s, 20 s, 40 s … capped at TASK_RETRY_MAX_COUNTDOWN_SECONDS."""
    return min(settings.TASK_RETRY_MAX_COUNTDOWN_SECONDS, 10 * 2 ** retries)


@shared_task(bind=True, max_retries=SEND_MAX_RETRIES, acks_late=True, reject_on_worker_lost=True)
def outbox_email_send(self, *, email_id: int) -> str:
    """Send one recorded email exactly once (claimed before the backend, marked after)."""
    try:
        return services.outbox_email_send(email_id=email_id)
    except services.SendInProgress as busy:
        return retry_while_claimed(self, busy)
    except RETRYABLE as error:
        if self.request.retries >= self.max_retries:
            services.outbox_email_give_up(email_id=email_id, reason=repr(error))
            raise
        raise self.retry(exc=error, countdown=retry_countdown_seconds(self.request.retries)
                         ) from error


@drain.batch_handler("outbox.tasks.outbox_email_send")
def _email_send_drained(*, connection, email_id: int) -> None:
    services.outbox_email_send(email_id=email_id, connection=connection)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def outbox_drain(self) -> int:
    """Send the emails waiting for a drain, in batches (outbox.drain); a redelivery of a
    killed run (same id) takes back the rows it had claimed. No waiting window: a drain
    that sleeps (or a countdown) keeps its message in flight, and a worker whose ack
    fails when Redis goes away stopped consuming in the Redis-outage e2e test (kombu 5.x
    AttributeError in the Redis transport's ack/restore)."""
    return drain.outbox_drain(run_id=self.request.id or "")


@shared_task(acks_late=True)
def outbox_sweep() -> int:
    """Beat: dispatch the tasks still undispatched after OUTBOX_DISPATCH_AFTER_SECONDS."""
    return services.outbox_tasks_sweep()


@shared_task(acks_late=True)
def worker_heartbeat() -> str:
    """Beat: a worker ran this, now (read by /readyz)."""
    return services.heartbeat_record().beat_at.isoformat()


@shared_task(acks_late=True)
def outbox_prune() -> dict:
    """Beat (daily): delete outbox rows done more than OUTBOX_RETENTION_DAYS ago."""
    from django.core.management import call_command

    call_command("outbox_prune")
    return {}


@shared_task(acks_late=True)
def sessions_clear() -> None:
    """Beat (daily): Django's clearsessions (expired sessions out of the database)."""
    from django.core.management import call_command

    call_command("clearsessions")
