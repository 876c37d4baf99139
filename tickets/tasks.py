"""Celery tasks of the tickets app: service-level warnings (beat, every minute)."""

from celery import shared_task

from . import sla_warnings


@shared_task
def sla_warning_send(ticket_id: int) -> str:
    return sla_warnings.sla_warning_send(ticket_id=ticket_id)


@shared_task
def sla_warnings_dispatch() -> int:
    """One task per ticket whose at-risk or breach warning is due (each sent once)."""
    ids = sla_warnings.tickets_needing_warning()
    for ticket_id in ids:
        sla_warning_send.delay(ticket_id)
    return len(ids)
