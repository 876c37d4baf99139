"""Periodic jobs of the tickets app (Celery beat)."""

from __future__ import annotations

from celery import shared_task

from . import workspace_selectors


@shared_task
def queue_overview_refresh() -> None:
    """The queue overview's counts (per department: new, open, unassigned, waiting on the
    customer), computed here every OVERVIEW_REFRESH_SECONDS rather than by a page: the
    overview, the admin's home page and the desk's department counts read them from the
    cache, so their cost does not grow with the number of tickets. Idempotent."""
    workspace_selectors.queue_overview_refresh()
