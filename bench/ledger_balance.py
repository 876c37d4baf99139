"""Benchmark: reading a credit balance costs the same with 1,000,000 ledger entries as
with 10 (the balance is the account row's cached value, kept under a row lock).

Not a test: it prints figures. Needs PostgreSQL:

    createdb -h 127.0.0.1 -U postgres bench_hd_credits
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_hd_credits \
        .venv/bin/python bench/ledger_balance.py [--entries 1000000] [--reads 500] [--keep]

It migrates the database, creates two organizations, and loads their ledgers with COPY:
1,000,000 entries (chained balance-after, alternating purchases and debits) for one and
10 for the other, then sets each account's cached balance to the sum, and checks it with
the same code as `manage.py check_ledger`. The append-only trigger only refuses UPDATE and
DELETE, so COPY (an INSERT) needs no bypass. Cleaning up afterwards does DELETE ledger rows:
that runs with `SET LOCAL session_replication_role = replica` (superuser only), which
disables the trigger for that one transaction; use --keep to leave the rows instead.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization  # noqa: E402
from credits.management.commands.check_ledger import account_problems  # noqa: E402
from credits.models import CreditAccount, LedgerEntry  # noqa: E402
from credits.selectors import credit_balance_minutes  # noqa: E402

COLUMNS = ("account_id", "kind", "minutes", "balance_after_minutes", "idempotency_key",
           "reason", "ticket_number", "created_at")
BATCH = 100_000


def _rows(account_id: int, start: int, stop: int, balance: int, now: str):
    buffer = io.StringIO()
    for n in range(start, stop):
        if n % 2 == 0:
            kind, minutes = "purchase", 120
        else:
            kind, minutes = "time_debit", -100
        balance += minutes
        buffer.write(f"{account_id}\t{kind}\t{minutes}\t{balance}\tbench:{n}\t\t\t{now}\n")
    buffer.seek(0)
    return buffer, balance


def load(account: CreditAccount, entries: int) -> int:
    """COPY `entries` chained entries into the account; set its cached balance."""
    now = timezone.now().isoformat()
    balance = 0
    with transaction.atomic():
        CreditAccount.objects.select_for_update().get(pk=account.pk)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg2 cursor, for COPY
            for start in range(0, entries, BATCH):
                buffer, balance = _rows(account.pk, start, min(entries, start + BATCH),
                                        balance, now)
                raw.copy_from(buffer, LedgerEntry._meta.db_table, columns=COLUMNS)
        CreditAccount.objects.filter(pk=account.pk).update(balance_minutes=balance)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LedgerEntry._meta.db_table}")
    return balance


def timed(fn, reads: int) -> tuple[float, object]:
    samples, value = [], None
    for _ in range(reads):
        started = time.perf_counter()
        value = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6, value


def cleanup(organizations) -> None:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        LedgerEntry.objects.filter(account__organization__in=organizations)._raw_delete("default")
        CreditAccount.objects.filter(organization__in=organizations).delete()
        Organization.objects.filter(pk__in=[o.pk for o in organizations]).delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="leave the bench rows in place")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    tag = uuid.uuid4().hex[:8]
    big_org = Organization.objects.create(name=f"bench-big-{tag}")
    small_org = Organization.objects.create(name=f"bench-small-{tag}")
    big = CreditAccount.objects.create(organization=big_org)
    small = CreditAccount.objects.create(organization=small_org)
    try:
        started = time.perf_counter()
        load(big, args.entries)
        load(small, args.small)
        print(f"loaded {args.entries:,} + {args.small:,} entries in "
              f"{time.perf_counter() - started:.1f} s")
        for label, account in (("big", big), ("small", small)):
            account.refresh_from_db()
            started = time.perf_counter()
            problems = account_problems(account)
            print(f"check_ledger on {label}: {'clean' if not problems else problems[:3]} "
                  f"({time.perf_counter() - started:.2f} s)")
        print(f"\nbalance read (credit_balance_minutes), median of {args.reads} reads:")
        for org, count in ((big_org, args.entries), (small_org, args.small)):
            micros, value = timed(lambda o=org: credit_balance_minutes(organization_id=o.pk),
                                  args.reads)
            print(f"  {count:>9,} entries: {micros:8.1f} µs  (balance {value})")
        print("\nfor comparison, SUM over the ledger (what the cached balance avoids), "
              "median of 5:")
        for account, count in ((big, args.entries), (small, args.small)):
            micros, value = timed(lambda a=account: LedgerEntry.objects.filter(
                account_id=a.pk).aggregate(s=Sum("minutes"))["s"], 5)
            print(f"  {count:>9,} entries: {micros / 1000:8.2f} ms  (sum {value})")
    finally:
        if not args.keep:
            cleanup([big_org, small_org])
    return 0


if __name__ == "__main__":
    sys.exit(main())
