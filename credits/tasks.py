"""Celery tasks of the credits app. They take ids and call services."""

from celery import shared_task
from django.db import transaction

from . import notices


@shared_task
def low_balance_notice_send(*, kind: str, organization_id: int, balance_minutes: int) -> int:
    """Kept for tasks queued before notices were recorded with the booking: records the
    notice in the outbox (which sends it once)."""
    with transaction.atomic():
        return notices.low_balance_record(kind=kind, organization_id=organization_id,
                                          balance_minutes=balance_minutes)


@shared_task
def credits_expire_all() -> int:
    """Daily (beat): expire credits older than CREDITS_EXPIRY_MONTHS, when configured.
    Idempotent: one expiry entry per account and cutoff day."""
    from django.utils import timezone

    from . import services
    from .models import CreditAccount

    cutoff = services.credits_expiry_cutoff(today=timezone.localdate())
    if cutoff is None:
        return 0
    expired = 0
    for organization_id in (CreditAccount.objects.filter(balance_minutes__gt=0)
                            .values_list("organization_id", flat=True).iterator()):
        if services.credit_expire(organization_id=organization_id, cutoff=cutoff):
            expired += 1
    return expired
