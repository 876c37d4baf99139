"""Verify every credit account: balance = sum of its entries, and every entry's
balance-after chains from the previous one. Exits non-zero on any mismatch."""

from django.core.management.base import BaseCommand, CommandError

from credits.models import CreditAccount, LedgerEntry


def account_problems(account: CreditAccount) -> list[str]:
    problems = []
    running = 0
    rows = (LedgerEntry.objects.filter(account=account).order_by("id")
            .values_list("id", "minutes", "balance_after_minutes").iterator(chunk_size=5000))
    for entry_id, minutes, balance_after in rows:
        running += minutes
        if balance_after != running:
            problems.append(f"entry {entry_id}: balance after {balance_after}, expected {running}")
            running = balance_after  # report each break once, not every row after it
    total = LedgerEntry.objects.filter(account=account).values_list("minutes", flat=True)
    total_sum = sum(total.iterator(chunk_size=5000)) if problems else running
    if account.balance_minutes != total_sum:
        problems.append(f"balance {account.balance_minutes}, sum of entries {total_sum}")
    return problems


class Command(BaseCommand):
    help = "Check that every credit account's balance equals the sum of its ledger."

    def handle(self, *args, **options):
        bad = 0
        accounts = CreditAccount.objects.select_related("organization").order_by("id")
        for account in accounts.iterator():
            problems = account_problems(account)
            if problems:
                bad += 1
                for problem in problems:
                    self.stderr.write(f"{account.organization} (account {account.pk}): {problem}")
        checked = accounts.count()
        if bad:
            raise CommandError(f"{bad} of {checked} accounts do not match their ledger.")
        self.stdout.write(self.style.SUCCESS(f"{checked} accounts checked: ledger consistent."))
