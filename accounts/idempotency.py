"""Idempotency keys of API writes: claim a key (or find the answer it already has), keep
the answer, release a key whose request failed. Keys are kept IDEMPOTENCY_KEY_DAYS."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ApiIdempotencyKey, User

IDEMPOTENCY_KEY_DAYS = 7


def idempotency_claim(*, user: User, key: str, method: str, path: str
                      ) -> tuple[ApiIdempotencyKey, bool]:
    """(the row, True) when this request is the first with the key; (the existing row,
    False) otherwise: answered (status_code set) or still running (0)."""
    try:
        with transaction.atomic():
            return ApiIdempotencyKey.objects.create(user=user, key=key, method=method,
                                                    path=path[:300]), True
    except IntegrityError:
        return ApiIdempotencyKey.objects.get(user=user, key=key), False


def idempotency_answer(*, row: ApiIdempotencyKey, status_code: int, response) -> None:
    ApiIdempotencyKey.objects.filter(pk=row.pk).update(status_code=status_code,
                                                       response=response)


def idempotency_release(*, row: ApiIdempotencyKey) -> None:
    """The request failed: the key may be used again."""
    ApiIdempotencyKey.objects.filter(pk=row.pk, status_code=0).delete()


def idempotency_keys_prune() -> int:
    cutoff = timezone.now() - timedelta(days=IDEMPOTENCY_KEY_DAYS)
    return ApiIdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
