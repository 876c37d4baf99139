"""Property test: any sequence of purchases, grants, debits, refunds, adjustments,
expiries and retried keys keeps balance = sum of entries, and every balance-after chains."""

import datetime as dt

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Organization
from credits import services
from credits.management.commands.check_ledger import account_problems
from credits.models import CreditAccount, LedgerEntry

operation = st.one_of(
    st.tuples(st.just("purchase"), st.sampled_from([120, 300, 600])),
    st.tuples(st.just("grant"), st.integers(1, 600)),
    st.tuples(st.just("debit"), st.integers(1, 500)),
    st.tuples(st.just("refund"), st.integers(1, 200)),
    st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool)),
    st.tuples(st.just("retry"), st.integers(0, 1000)),
    st.tuples(st.just("expire"), st.integers(1, 3)),
)


class LedgerPropertyTest(TestCase):
    @settings(max_examples=60, deadline=None)
    @given(st.lists(operation, max_size=25))
    def test_balance_is_the_sum_of_the_chained_entries(self, operations):
        org = Organization.objects.create(name="Property Org")
        expected, keys = 0, []
        for n, (kind, value) in enumerate(operations):
            if kind == "retry":
                if not keys:
                    continue
                key, minutes = keys[value % len(keys)]
                # Whatever the retried call says, the key already booked wins.
                entry = services.ledger_entry_book(organization_id=org.pk, kind="adjustment",
                                                   minutes=minutes, idempotency_key=key,
                                                   reason="retry")
                assert entry.idempotency_key == key  # the original entry, nothing booked
                continue
            key = f"op:{n}"
            if kind == "expire":
                cutoff = timezone.localdate() + dt.timedelta(days=value)
                entry = services.credit_expire(organization_id=org.pk, cutoff=cutoff)
                if entry is not None:
                    assert entry.minutes < 0 and entry.balance_after_minutes >= 0
                    if entry.idempotency_key not in {k for k, _ in keys}:
                        keys.append((entry.idempotency_key, entry.minutes))
                        expected += entry.minutes
                continue
            if kind == "purchase":
                entry = services.credit_purchase(organization_id=org.pk, minutes=value,
                                                 idempotency_key=key)
            elif kind == "grant":
                entry = services.credit_contract_grant(organization_id=org.pk, minutes=value,
                                                       contract_id=1, term_number=n)
            elif kind == "debit":
                entry = services.credit_debit(organization_id=org.pk, minutes=value,
                                              idempotency_key=key, ticket_id=n)
            elif kind == "refund":
                entry = services.credit_refund(organization_id=org.pk, minutes=value,
                                               idempotency_key=key, reason="r")
            else:
                entry = services.credit_adjust(organization_id=org.pk, minutes=value,
                                               reason="fix", actor=None, idempotency_key=key)
            keys.append((entry.idempotency_key, entry.minutes))
            expected += entry.minutes
        account = CreditAccount.objects.filter(organization=org).first()
        entries = list(LedgerEntry.objects.filter(account__organization=org).order_by("id"))
        assert len(entries) == len(keys)
        assert sum(e.minutes for e in entries) == expected
        if account is not None:
            assert account.balance_minutes == expected
            assert account_problems(account) == []
        running = 0
        for e in entries:
            running += e.minutes
            assert e.balance_after_minutes == running
