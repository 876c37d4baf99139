"""Ledger services: idempotency, append-only, adjustments, refunds of reclassified
tickets, low-balance notices once per crossing, cards and purchase orders."""

import pytest
from django.db import IntegrityError, transaction

from credits import exceptions as exc
from credits import services
from credits.models import BalanceState, CreditAccount, LedgerEntry, PrepaidCard, PurchaseOrder
from credits.selectors import credit_balance_minutes, ticket_minutes_consumed
from tests.factories.credits import book

pytestmark = pytest.mark.django_db


def balance(org):
    return credit_balance_minutes(organization_id=org.pk)


def test_same_idempotency_key_books_once(two_orgs):
    first = services.credit_debit(organization_id=two_orgs.acme.pk, minutes=10,
                                  idempotency_key="time:1")
    again = services.credit_debit(organization_id=two_orgs.acme.pk, minutes=10,
                                  idempotency_key="time:1")
    assert first.pk == again.pk
    assert balance(two_orgs.acme) == -10
    # Keys are per account: another organization may use the same key.
    services.credit_debit(organization_id=two_orgs.globex.pk, minutes=5, idempotency_key="time:1")
    assert LedgerEntry.objects.count() == 2


def test_entries_are_append_only_in_the_model(two_orgs):
    entry = book(two_orgs.acme, 120)
    entry.minutes = 999
    with pytest.raises(exc.LedgerImmutableError):
        entry.save()
    with pytest.raises(exc.LedgerImmutableError):
        entry.delete()


def test_database_refuses_a_wrong_sign_or_a_reasonless_adjustment(two_orgs):
    account = services.credit_account_ensure(organization_id=two_orgs.acme.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(account=account, kind="time_debit", minutes=5,
                                   balance_after_minutes=5, idempotency_key="bad")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(account=account, kind="adjustment", minutes=5,
                                   balance_after_minutes=5, idempotency_key="bad2")


def test_debit_may_overdraw_and_balance_after_chains(two_orgs):
    book(two_orgs.acme, 120)
    services.credit_debit(organization_id=two_orgs.acme.pk, minutes=150, idempotency_key="t")
    assert balance(two_orgs.acme) == -30
    assert list(LedgerEntry.objects.values_list("balance_after_minutes", flat=True)) == [120, -30]


@pytest.mark.parametrize("minutes,reason,expected", [
    (10, "", [exc.ADJUSTMENT_REASON_REQUIRED]),
    (0, "typo", [exc.ADJUSTMENT_ZERO]),
    (0, "  ", [exc.ADJUSTMENT_REASON_REQUIRED, exc.ADJUSTMENT_ZERO]),
])
def test_adjustment_needs_a_reason_and_minutes(two_orgs, minutes, reason, expected):
    with pytest.raises(exc.InvalidCreditInput) as caught:
        services.credit_adjust(organization_id=two_orgs.acme.pk, minutes=minutes,
                               reason=reason, actor=two_orgs.agent)
    assert caught.value.messages == [str(m) for m in expected]
    assert LedgerEntry.objects.count() == 0


def test_adjustment_is_a_new_entry_with_who_and_why(two_orgs):
    entry = services.credit_adjust(organization_id=two_orgs.acme.pk, minutes=-15,
                                   reason="Double-logged call", actor=two_orgs.agent)
    assert (entry.kind, entry.minutes, entry.actor, entry.reason) == (
        "adjustment", -15, two_orgs.agent, "Double-logged call")


@pytest.mark.parametrize("minutes", [119, 0, 1000])
def test_purchases_come_in_bundles(two_orgs, minutes):
    with pytest.raises(exc.InvalidCreditInput):
        services.credit_purchase(organization_id=two_orgs.acme.pk, minutes=minutes,
                                 idempotency_key="p")


def test_reclassification_refunds_a_tickets_net_debits_once(two_orgs):
    book(two_orgs.acme, 300)
    for n in (1, 2):
        services.credit_debit(organization_id=two_orgs.acme.pk, minutes=20, ticket_id=7,
                              ticket_number="ABC-123-45678", idempotency_key=f"te:{n}")
    services.credit_refund(organization_id=two_orgs.acme.pk, minutes=5, ticket_id=7,
                           reason="goodwill", idempotency_key="goodwill")
    refunds = services.credit_refund_ticket(ticket_id=7, ticket_number="ABC-123-45678",
                                            actor=two_orgs.agent,
                                            reason="Reclassified: it was a bug")
    assert [(r.minutes, r.reason) for r in refunds] == [(35, "Reclassified: it was a bug")]
    assert services.credit_refund_ticket(ticket_id=7, ticket_number="ABC-123-45678",
                                         actor=two_orgs.agent, reason="again") == []
    assert balance(two_orgs.acme) == 300
    assert ticket_minutes_consumed(ticket_id=7) == 0
    # Debited again after moving back to a paid department: only the new debit is refunded.
    services.credit_debit(organization_id=two_orgs.acme.pk, minutes=12, ticket_id=7,
                          idempotency_key="te:3")
    again = services.credit_refund_ticket(ticket_id=7, ticket_number="ABC-123-45678",
                                          actor=None, reason="Reclassified again")
    assert [r.minutes for r in again] == [12]


def test_refund_of_a_ticket_without_debits_books_nothing(two_orgs):
    assert services.credit_refund_ticket(ticket_id=99, ticket_number="", actor=None,
                                         reason="x") == []


# --- low-balance notices ------------------------------------------------------------------

def test_low_balance_notice_once_per_crossing(two_orgs, mailoutbox,
                                              django_capture_on_commit_callbacks):
    book(two_orgs.acme, 120)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):  # 120 → 100 → 80 → 60 → 40 (crosses 60) → 20
            services.credit_debit(organization_id=two_orgs.acme.pk, minutes=20,
                                  idempotency_key=f"d{n}")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["maria@acme.example"]  # admins only, not Juan
    assert "40" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.credit_debit(organization_id=two_orgs.acme.pk, minutes=30, idempotency_key="n")
        services.credit_debit(organization_id=two_orgs.acme.pk, minutes=5, idempotency_key="n2")
    assert len(mailoutbox) == 2  # going negative: one more, not per debit
    assert CreditAccount.objects.get(organization=two_orgs.acme).balance_state == "negative"
    with django_capture_on_commit_callbacks(execute=True):
        book(two_orgs.acme, 300)  # back above: resets, so the next fall notifies again
        services.credit_debit(organization_id=two_orgs.acme.pk, minutes=250, idempotency_key="x")
    assert len(mailoutbox) == 3


def test_notice_is_sent_only_after_commit(two_orgs, mailoutbox):
    book(two_orgs.acme, 61)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.credit_debit(organization_id=two_orgs.acme.pk, minutes=10, idempotency_key="r")
        raise RuntimeError
    assert mailoutbox == []
    assert CreditAccount.objects.get(organization=two_orgs.acme).balance_state == BalanceState.OK


def test_notice_in_the_admins_language(two_orgs, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.credit_debit(organization_id=two_orgs.globex.pk, minutes=1, idempotency_key="z")
    assert len(mailoutbox) == 1
    assert "overdrawn" in mailoutbox[0].subject  # Ana's language is English in the factory
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-generated"


# --- prepaid cards ------------------------------------------------------------------------

def test_card_batch_stores_only_a_hash_of_the_code(two_orgs):
    pairs = services.prepaid_card_batch_generate(count=3, minutes=300, actor=two_orgs.agent)
    assert len(pairs) == 3 == PrepaidCard.objects.count()
    for number, code in pairs:
        card = PrepaidCard.objects.get(number=number)
        assert code not in card.code_hash and code.replace("-", "") not in card.code_hash
        assert card.minutes == 300


def test_a_card_works_once(two_orgs):
    [(number, code)] = services.prepaid_card_batch_generate(count=1, minutes=120, actor=None)
    entry = services.prepaid_card_redeem(organization_id=two_orgs.acme.pk, number=number,
                                         code=code.lower().replace("-", " "), actor=two_orgs.maria)
    assert entry.minutes == 120 and balance(two_orgs.acme) == 120
    with pytest.raises(exc.CardRejected) as caught:
        services.prepaid_card_redeem(organization_id=two_orgs.globex.pk, number=number,
                                     code=code, actor=two_orgs.ana)
    assert caught.value.messages == [str(exc.CARD_ALREADY_REDEEMED)]
    assert balance(two_orgs.globex) == 0


def test_wrong_codes_count_and_block_the_card(two_orgs):
    [(number, code)] = services.prepaid_card_batch_generate(count=1, minutes=120, actor=None)
    for _ in range(services.CARD_MAX_FAILED_ATTEMPTS):
        with pytest.raises(exc.CardRejected) as caught:
            services.prepaid_card_redeem(organization_id=two_orgs.acme.pk, number=number,
                                         code="WRONG", actor=two_orgs.maria)
        assert caught.value.messages == [str(exc.CARD_INVALID)]
    with pytest.raises(exc.CardRejected) as caught:
        services.prepaid_card_redeem(organization_id=two_orgs.acme.pk, number=number,
                                     code=code, actor=two_orgs.maria)
    assert caught.value.messages == [str(exc.CARD_BLOCKED)]
    assert balance(two_orgs.acme) == 0


def test_unknown_card_is_rejected_like_a_wrong_code(two_orgs):
    with pytest.raises(exc.CardRejected) as caught:
        services.prepaid_card_redeem(organization_id=two_orgs.acme.pk, number="0000",
                                     code="X", actor=two_orgs.maria)
    assert caught.value.messages == [str(exc.CARD_INVALID)]


# --- purchase orders ----------------------------------------------------------------------

def test_purchase_order_books_only_when_paid_and_once(two_orgs):
    order = services.purchase_order_request(organization_id=two_orgs.acme.pk, minutes=600,
                                            actor=two_orgs.maria)
    assert balance(two_orgs.acme) == 0 and order.status == PurchaseOrder.Status.PENDING
    services.purchase_order_mark_paid(order_id=order.pk, actor=two_orgs.agent)
    services.purchase_order_mark_paid(order_id=order.pk, actor=two_orgs.agent)
    assert balance(two_orgs.acme) == 600
    assert LedgerEntry.objects.filter(idempotency_key=f"po:{order.pk}").count() == 1
    with pytest.raises(exc.OrderNotPending):
        services.purchase_order_cancel(order_id=order.pk, actor=two_orgs.agent)


def test_cancelled_order_cannot_be_paid(two_orgs):
    order = services.purchase_order_request(organization_id=two_orgs.acme.pk, minutes=120,
                                            actor=two_orgs.maria)
    services.purchase_order_cancel(order_id=order.pk, actor=two_orgs.agent)
    with pytest.raises(exc.OrderNotPending):
        services.purchase_order_mark_paid(order_id=order.pk, actor=two_orgs.agent)
    assert balance(two_orgs.acme) == 0
