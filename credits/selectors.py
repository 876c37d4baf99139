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


def credit_account_for_admin(*, actor) -> CreditAccount | None:
    """The account an organization admin may see (None for anyone else, who gets a 404)."""
    if actor is None or not getattr(actor, "is_org_admin", False):
        return None
    account = (CreditAccount.objects.filter(organization_id=actor.organization_id)
               .select_related("organization").first())
    # No account yet: show an empty one without creating it (no writes on GET).
    return account or CreditAccount(organization=actor.organization)


def ledger_entries_for_account(*, account: CreditAccount):
    """Newest first, as the Credits page and its export show them."""
    if account.pk is None:
        return LedgerEntry.objects.none()
    return (LedgerEntry.objects.filter(account=account).select_related("actor")
            .order_by("-id"))


def purchase_orders_for_account(*, account: CreditAccount):
    from .models import PurchaseOrder

    if account.pk is None:
        return PurchaseOrder.objects.none()
    return PurchaseOrder.objects.filter(account=account).order_by("-requested_at", "-id")[:20]


def suggested_bundle_minutes(*, balance_minutes: int) -> int:
    """The bundle the "Buy credits" fix suggests: the smallest that brings an overdrawn
    balance back above zero (the largest when none does); the smallest when at zero."""
    from .models import BUNDLE_MINUTES

    needed = max(-balance_minutes, 0) + 1
    return next((m for m in BUNDLE_MINUTES if m >= needed), BUNDLE_MINUTES[-1])
