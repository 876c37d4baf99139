"""Celery tasks of the entitlements app: contract reminders (beat, daily)."""

from smtplib import SMTPException

from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError, SMTPException), retry_backoff=True, max_retries=5)
def contract_reminder_send(contract_id: int) -> int | None:
    return services.contract_reminder_send(contract_id=contract_id)


@shared_task
def contract_reminders_dispatch() -> int:
    """Queue one reminder task per contract ending in 30 or 7 days (each sent once)."""
    ids = services.contracts_needing_reminder()
    for contract_id in ids:
        contract_reminder_send.delay(contract_id)
    return len(ids)
