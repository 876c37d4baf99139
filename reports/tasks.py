"""Celery tasks of the reports (beat): the daily roll-ups."""

from __future__ import annotations

from celery import shared_task

from . import rollups


@shared_task
def rollups_refresh() -> int:
    """Recent, dirty and missing days computed again (idempotent; see reports.rollups)."""
    return len(rollups.rollups_refresh())
