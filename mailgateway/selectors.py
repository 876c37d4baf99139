"""Reads of the mail gateway used outside it (health checks)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import OutboundMessage


def outbound_pending_count(*, older_than_minutes: float) -> int:
    """Ticket emails recorded more than N minutes ago and still neither sent nor given up."""
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    return OutboundMessage.objects.filter(sent_at__isnull=True, failure_reason="",
                                          created_at__lt=cutoff).count()
