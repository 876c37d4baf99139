"""Inbound mail sources: ESP webhooks (anymail), IMAP polling, the SMTP listener.

Every source does the same two things, in this order: store the raw bytes
(`services.inbound_message_store`, unique by Message-ID or raw hash), then queue the
Celery task that processes the row, on commit. A source acknowledges its sender (HTTP
200, IMAP \\Deleted, SMTP 250) only after the row is stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ..models import InboundMessage


def inbound_accept(*, raw: bytes, source: str, auth=None) -> tuple[InboundMessage, bool]:
    """Store one raw message and queue its processing; returns (row, created). `auth`:
    the sender verdict the source computed (the SMTP listener), else None.

    A message we already hold that is still pending is queued again (processing is
    idempotent); one already processed is only acknowledged."""
    from .. import services
    from ..tasks import process_inbound

    with transaction.atomic():
        row, created = services.inbound_message_store(raw=raw, source=source, auth=auth)
        if created or row.status == InboundMessage.Status.PENDING:
            inbound_id = row.pk
            transaction.on_commit(lambda: process_inbound.delay(inbound_id))
    return row, created


def inbound_accept_many(*, raws: Iterable[bytes], source: str,
                        batch_size: int = 50) -> list[int]:
    """Store many raw messages (bulk imports, IMAP batches, benchmarks): each batch in one
    transaction (one INSERT), queued as one task after its commit. Returns the ids queued."""
    from .. import services
    from ..tasks import inbound_enqueue

    queued: list[int] = []
    batch: list[bytes] = []

    def flush() -> None:
        with transaction.atomic():
            pending = services.inbound_messages_store(raws=batch, source=source)
            if pending:
                transaction.on_commit(lambda: inbound_enqueue(pending, batch_size=batch_size))
        queued.extend(pending)
        batch.clear()

    for raw in raws:
        batch.append(raw)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return queued
