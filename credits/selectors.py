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


def monthly_balances(*, account: CreditAccount, today, months: int = 12
                     ) -> list[tuple[object, int]]:
    """(first day of month, balance at the month's end or today) for the last `months`
    months, oldest first: two queries whatever the number of entries."""
    from django.db.models import Max
    from django.db.models.functions import TruncMonth

    firsts = []
    year, month = today.year, today.month
    for _ in range(months):
        firsts.append(today.replace(year=year, month=month, day=1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    if account.pk is None:
        return [(first, 0) for first in firsts]
    last_ids = dict(LedgerEntry.objects.filter(account=account)
                    .annotate(month=TruncMonth("created_at")).values("month")
                    .annotate(last_id=Max("id")).values_list("month", "last_id"))
    by_month = {(m.year, m.month): pk for m, pk in last_ids.items()}
    balances = dict(LedgerEntry.objects.filter(pk__in=by_month.values())
                    .values_list("id", "balance_after_minutes"))
    before = [pk for (y, m), pk in by_month.items() if (y, m) < (firsts[0].year, firsts[0].month)]
    balance = balances.get(max(before), 0) if before else 0
    points = []
    for first in firsts:
        pk = by_month.get((first.year, first.month))
        if pk is not None:
            balance = balances[pk]
        points.append((first, balance))
    return points
