"""Read queries for credits."""

from .models import CreditAccount, LedgerEntry


def credit_balance_minutes(*, organization_id: int) -> int:
    """O(1): the cached balance of the account (0 when the organization has none)."""
    return (CreditAccount.objects.filter(organization_id=organization_id)
            .values_list("balance_minutes", flat=True).first()) or 0


def ledger_entries_for_ticket(*, ticket_id: int):
    return LedgerEntry.objects.filter(ticket_id=ticket_id).order_by("id")


def ticket_minutes_consumed(*, ticket_id: int) -> int:
    """Net minutes a ticket has consumed (debits less refunds), as a positive number."""
    from django.db.models import Sum

    total = (LedgerEntry.objects.filter(ticket_id=ticket_id,
                                        kind__in=[LedgerEntry.Kind.TIME_DEBIT,
                                                  LedgerEntry.Kind.REFUND])
             .aggregate(total=Sum("minutes"))["total"]) or 0
    return -total
