"""Concurrency and append-only guarantees on PostgreSQL (real row locks, real triggers).

On SQLite these skip with "needs PostgreSQL": CI runs the same suite on PostgreSQL too,
where they run.
"""

import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from accounts.models import Organization
from credits import services
from credits.models import CreditAccount, LedgerEntry

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _run_at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; return results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # reported by the caller's assertions
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.fixture
def org(transactional_db):
    organization = Organization.objects.create(name="Concurrent Co")
    services.credit_purchase(organization_id=organization.pk, minutes=600,
                             idempotency_key="start")
    return organization


def test_fifty_concurrent_debits_all_count(org, capsys):
    results = _run_at_once(50, lambda i: services.credit_debit(
        organization_id=org.pk, minutes=10, idempotency_key=f"thread:{i}"))
    assert not [r for r in results if isinstance(r, Exception)], results
    debits = LedgerEntry.objects.filter(account__organization=org, kind="time_debit")
    assert debits.count() == 50
    assert -sum(debits.values_list("minutes", flat=True)) == 500
    assert CreditAccount.objects.get(organization=org).balance_minutes == 100
    assert sorted(debits.values_list("balance_after_minutes", flat=True)) == list(
        range(100, 600, 10))
    call_command("check_ledger")
    assert "ledger consistent" in capsys.readouterr().out


def test_same_key_ten_times_at_once_books_once(org):
    results = _run_at_once(10, lambda i: services.credit_debit(
        organization_id=org.pk, minutes=10, idempotency_key="the-same-key"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.pk for r in results}) == 1
    assert LedgerEntry.objects.filter(idempotency_key="the-same-key").count() == 1
    assert CreditAccount.objects.get(organization=org).balance_minutes == 590


def test_first_booking_of_a_new_account_at_once(transactional_db):
    fresh = Organization.objects.create(name="Fresh Co")
    results = _run_at_once(10, lambda i: services.credit_debit(
        organization_id=fresh.pk, minutes=1, idempotency_key=f"k{i}"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert CreditAccount.objects.get(organization=fresh).balance_minutes == -10


@pytest.mark.parametrize("sql", [
    "UPDATE credits_ledgerentry SET minutes = 1000 WHERE id = %s",
    "UPDATE credits_ledgerentry SET reason = 'edited' WHERE id = %s",
    "DELETE FROM credits_ledgerentry WHERE id = %s",
])
def test_the_database_refuses_update_and_delete(org, sql):
    entry = LedgerEntry.objects.get(account__organization=org)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).minutes == 600


def test_queryset_bulk_update_is_refused_too(org):
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(account__organization=org).update(reason="bulk")
