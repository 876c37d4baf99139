"""Periodic jobs of the accounts app."""

from celery import shared_task


@shared_task(acks_late=True)
def user_sessions_prune() -> dict:
    """Beat (with the session retention): forget the index rows of sessions that no longer
    exist (expired and cleared, or ended without a logout). Idempotent."""
    from . import services

    return {"deleted": services.user_sessions_prune()}


@shared_task(acks_late=True)
def api_idempotency_keys_prune() -> dict:
    """Beat (with the retention jobs): forget API idempotency keys older than
    accounts.idempotency.IDEMPOTENCY_KEY_DAYS. Idempotent."""
    from . import idempotency

    return {"deleted": idempotency.idempotency_keys_prune()}
