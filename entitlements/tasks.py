"""Celery tasks of the entitlements app: contract reminders (beat, daily)."""

import datetime as dt

from celery import shared_task
from django.db import transaction

from . import services


@shared_task
def contract_reminder_send(contract_id: int) -> int | None:
    """Mark the due reminder sent (once per end date) and queue its email on commit."""
    return services.contract_reminder_send(contract_id=contract_id)


@shared_task
def contract_reminder_email_send(*, contract_id: int, days: int, ends_on: str) -> int:
    """Kept for tasks queued before reminders were recorded with the change: records the
    emails in the outbox (which sends each once)."""
    with transaction.atomic():
        return services.contract_reminder_email(contract_id=contract_id, days=days,
                                                ends_on=dt.date.fromisoformat(ends_on))


@shared_task
def contract_reminders_dispatch() -> int:
    """Queue one reminder task per contract ending in 30 or 7 days (each sent once)."""
    ids = services.contracts_needing_reminder()
    for contract_id in ids:
        contract_reminder_send.delay(contract_id)
    return len(ids)
