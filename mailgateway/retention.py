"""Retention of inbound mail: raw messages older than RETENTION_INBOUND_RAW_DAYS are reduced
to their parsed form. The header block stays in `raw` (so the admin and an audit still
show who sent what, when, with which Message-ID); the body and the attachments' bytes are
dropped: their parsed text is the ticket message, the attachments are stored on it. The
row is marked (`raw_reduced_at`) and the admin says so.

Only rows done with: threaded, automatic, attached, opened or discarded. Pending rows
(not processed yet) and quarantined ones (an agent may still attach them or open a ticket
from them, which needs the whole message) keep their bytes. Idempotent.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import InboundMessage

Status = InboundMessage.Status
REDUCIBLE = (Status.THREADED, Status.AUTOMATIC, Status.ATTACHED, Status.OPENED,
             Status.DISCARDED)
CHUNK = 500
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def header_block(raw: bytes) -> bytes:
    """The header section of a raw message (up to the first empty line), CRLF-terminated."""
    match = _HEADER_END.search(raw)
    head = raw[:match.start()] if match else raw
    return head.rstrip(b"\r\n") + b"\r\n\r\n"


def inbound_raw_reduce(*, older_than_days: int | None = None) -> int:
    """Reduce the raw bytes of every finished inbound message received more than N days
    ago to its header block; returns how many rows were reduced."""
    if older_than_days is None:
        older_than_days = settings.RETENTION_INBOUND_RAW_DAYS
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    todo = InboundMessage.objects.filter(received_at__lt=cutoff, raw_reduced_at__isnull=True,
                                         status__in=REDUCIBLE)
    reduced = 0
    while True:
        ids = list(todo.order_by("id").values_list("id", flat=True)[:CHUNK])
        if not ids:
            return reduced
        with transaction.atomic():
            rows = (InboundMessage.objects.select_for_update()
                    .filter(pk__in=ids, raw_reduced_at__isnull=True).only("id", "raw"))
            now = timezone.now()
            for row in rows:
                row.raw = header_block(bytes(row.raw))
                row.raw_reduced_at = now
                row.save(update_fields=["raw", "raw_reduced_at"])
                reduced += 1
