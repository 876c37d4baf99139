"""Celery tasks of the tickets app (Celery beat): service-level warnings (every minute) and
the queue overview's counts (every OVERVIEW_REFRESH_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from . import sla_warnings, workspace_selectors


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


@shared_task
def queue_overview_refresh() -> None:
    """The queue overview's counts (per department: new, open, unassigned, waiting on the
    customer), computed here every OVERVIEW_REFRESH_SECONDS rather than by a page: the
    overview, the admin's home page and the desk's department counts read them from the
    cache, so their cost does not grow with the number of tickets. Idempotent."""
    workspace_selectors.queue_overview_refresh()
