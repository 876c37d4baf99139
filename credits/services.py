"""Business actions on credits. The only code that writes the ledger.

Every booking locks the account row, appends one entry and moves the cached balance in
the same transaction. The idempotency key (unique per account) makes a retried booking
return the entry it already made instead of booking twice.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import CreditAccount, LedgerEntry


def credit_account_ensure(*, organization_id: int) -> CreditAccount:
    account, _ = CreditAccount.objects.get_or_create(organization_id=organization_id)
    return account


def _entry_existing(*, organization_id: int, idempotency_key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(account__organization_id=organization_id,
                                      idempotency_key=idempotency_key).first()


def ledger_entry_book(*, organization_id: int, kind: str, minutes: int, idempotency_key: str,
                      actor=None, reason: str = "", ticket_id: int | None = None,
                      ticket_number: str = "", contract_id: int | None = None) -> LedgerEntry:
    """Append one entry (minutes signed: + credit, − debit). Idempotent by key."""
    credit_account_ensure(organization_id=organization_id)
    try:
        with transaction.atomic():
            account = CreditAccount.objects.select_for_update().get(
                organization_id=organization_id)
            existing = LedgerEntry.objects.filter(account=account,
                                                  idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
            now = timezone.now()
            account.balance_minutes += minutes
            account.updated_at = now
            account.save(update_fields=["balance_minutes", "updated_at"])
            return LedgerEntry.objects.create(
                account=account, kind=kind, minutes=minutes,
                balance_after_minutes=account.balance_minutes, idempotency_key=idempotency_key,
                actor=actor, reason=reason, ticket_id=ticket_id, ticket_number=ticket_number,
                contract_id=contract_id, created_at=now,
            )
    except IntegrityError:
        existing = _entry_existing(organization_id=organization_id,
                                   idempotency_key=idempotency_key)
        if existing is None:
            raise
        return existing


def credit_debit(*, organization_id: int, minutes: int, idempotency_key: str, actor=None,
                 reason: str = "", ticket_id: int | None = None,
                 ticket_number: str = "") -> LedgerEntry:
    """Debit agent time. Work done is always recorded: the balance may go below zero."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    return ledger_entry_book(organization_id=organization_id, kind=LedgerEntry.Kind.TIME_DEBIT,
                             minutes=-minutes, idempotency_key=idempotency_key, actor=actor,
                             reason=reason, ticket_id=ticket_id, ticket_number=ticket_number)


def credit_refund(*, organization_id: int, minutes: int, idempotency_key: str, actor=None,
                  reason: str, ticket_id: int | None = None,
                  ticket_number: str = "") -> LedgerEntry:
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    return ledger_entry_book(organization_id=organization_id, kind=LedgerEntry.Kind.REFUND,
                             minutes=minutes, idempotency_key=idempotency_key, actor=actor,
                             reason=reason, ticket_id=ticket_id, ticket_number=ticket_number)
