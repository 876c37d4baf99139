"""Read queries for credits."""

from .models import CreditAccount, LedgerEntry


def credit_balance_minutes(*, organization_id: int) -> int:
    """O(1): the cached balance of the account (0 when the organization has none)."""
    return (CreditAccount.objects.filter(organization_id=organization_id)
            .values_list("balance_minutes", flat=True).first()) or 0


def ledger_entries_for_ticket(*, ticket_id: int):
    return LedgerEntry.objects.filter(ticket_id=ticket_id).order_by("id")
