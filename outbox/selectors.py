"""Reads of the outbox: what is still pending, and the last heartbeats (for /readyz)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from .models import DRAIN_WAITING, Heartbeat, OutboxEmail, OutboxTask


def heartbeat_age_seconds(*, name: str = "worker") -> float | None:
    """Seconds since the last heartbeat of `name`; None when there never was one."""
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    return None if beat_at is None else (timezone.now() - beat_at).total_seconds()


def pending_older_than(*, minutes: float) -> dict[str, int]:
    """Outbox tasks not yet handed to the broker (or still waiting for a drain) and emails
    not yet sent (nor given up), recorded more than `minutes` ago."""
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    return {
        "tasks": OutboxTask.objects.filter(
            Q(dispatched_at__isnull=True) | Q(drain_run=DRAIN_WAITING, done_at__isnull=True),
            created_at__lt=cutoff).count(),
        "emails": OutboxEmail.objects.filter(sent_at__isnull=True, failed_at__isnull=True,
                                             created_at__lt=cutoff).count(),
    }


def email_recorded_since(*, kind: str, to_address: str, since) -> bool:
    """An email of this kind to exactly this address was recorded since `since`."""
    return OutboxEmail.objects.filter(kind=kind, to_address=to_address,
                                      created_at__gte=since).exists()
