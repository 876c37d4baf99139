"""Business actions on credits. The only code that writes the ledger.

Every booking locks the account row, appends one entry and moves the cached balance in
the same transaction. The idempotency key (unique per account) makes a retried booking
return the entry it already made instead of booking twice.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import logging
import secrets
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac

from . import exceptions as exc
from . import notices, signals
from .models import (
    BUNDLE_MINUTES,
    LEDGER_MINUTES_LIMIT,
    AdjustmentRequest,
    BalanceState,
    CreditAccount,
    LedgerEntry,
    PrepaidCard,
    PurchaseOrder,
)

audit_logger = logging.getLogger("credits.audit")


def credit_account_ensure(*, organization_id: int) -> CreditAccount:
    account, _ = CreditAccount.objects.get_or_create(organization_id=organization_id)
    return account


def _entry_existing(*, organization_id: int, idempotency_key: str) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(account__organization_id=organization_id,
                                      idempotency_key=idempotency_key).first()


def balance_state_for(*, balance_minutes: int, threshold_minutes: int) -> str:
    if balance_minutes < 0:
        return BalanceState.NEGATIVE
    if balance_minutes < threshold_minutes:
        return BalanceState.LOW
    return BalanceState.OK


def _balance_state_move(account: CreditAccount) -> str | None:
    """Set the account's new state; return the notice to send for this crossing, if any.

    A notice goes out when the balance falls under the threshold from above it, and when
    it goes negative from zero or above; improving (or staying) sends nothing.
    """
    old = account.balance_state
    new = balance_state_for(balance_minutes=account.balance_minutes,
                            threshold_minutes=account.low_balance_threshold_minutes)
    account.balance_state = new
    if new == BalanceState.NEGATIVE and old != BalanceState.NEGATIVE:
        return notices.NEGATIVE
    if new == BalanceState.LOW and old == BalanceState.OK:
        return notices.LOW
    return None


def ledger_entry_book(*, organization_id: int, kind: str, minutes: int, idempotency_key: str,
                      actor=None, reason: str = "", ticket_id: int | None = None,
                      ticket_number: str = "", contract_id: int | None = None,
                      reason_code: str = "", reason_params: dict | None = None) -> LedgerEntry:
    """Append one entry (minutes signed: + credit, − debit). Idempotent by key.

    `reason` is the staff's text (may hold an agent's internal note); customers read
    `reason_code` with `reason_params`, rendered in their language (credits/reasons.py)."""
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
            if abs(account.balance_minutes) > LEDGER_MINUTES_LIMIT:
                raise exc.InvalidCreditInput(exc.BALANCE_OUT_OF_RANGE)
            account.updated_at = now
            notice = _balance_state_move(account)
            account.save(update_fields=["balance_minutes", "updated_at", "balance_state"])
            entry = LedgerEntry.objects.create(
                account=account, kind=kind, minutes=minutes,
                balance_after_minutes=account.balance_minutes, idempotency_key=idempotency_key,
                actor=actor, reason=reason, ticket_id=ticket_id, ticket_number=ticket_number,
                contract_id=contract_id, created_at=now, reason_code=reason_code,
                reason_params=reason_params or {},
            )
            if notice:
                notices.low_balance_record(kind=notice, organization_id=organization_id,
                                           balance_minutes=account.balance_minutes)
                signals.balance_notice.send(sender=CreditAccount, kind=notice,
                                            organization_id=organization_id,
                                            balance_minutes=account.balance_minutes)
            return entry
    except IntegrityError:
        existing = _entry_existing(organization_id=organization_id,
                                   idempotency_key=idempotency_key)
        if existing is None:
            raise
        return existing


def credit_debit(*, organization_id: int, minutes: int, idempotency_key: str, actor=None,
                 reason: str = "", ticket_id: int | None = None,
                 ticket_number: str = "", reason_code: str = "", reason_params: dict | None = None) -> LedgerEntry:
    """Debit agent time. Work done is always recorded: the balance may go below zero."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    return ledger_entry_book(organization_id=organization_id, kind=LedgerEntry.Kind.TIME_DEBIT,
                             minutes=-minutes, idempotency_key=idempotency_key, actor=actor,
                             reason=reason, ticket_id=ticket_id, ticket_number=ticket_number,
                             reason_code=reason_code, reason_params=reason_params)


def credit_refund(*, organization_id: int, minutes: int, idempotency_key: str, actor=None,
                  reason: str, ticket_id: int | None = None,
                  ticket_number: str = "", reason_code: str = "", reason_params: dict | None = None) -> LedgerEntry:
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    return ledger_entry_book(organization_id=organization_id, kind=LedgerEntry.Kind.REFUND,
                             minutes=minutes, idempotency_key=idempotency_key, actor=actor,
                             reason=reason, ticket_id=ticket_id, ticket_number=ticket_number,
                             reason_code=reason_code, reason_params=reason_params)


def credit_purchase(*, organization_id: int, minutes: int, idempotency_key: str, actor=None,
                    reason: str = "", reason_code: str = "bundle") -> LedgerEntry:
    """Book a bought bundle (120, 300 or 600 credits)."""
    if minutes not in BUNDLE_MINUTES:
        raise exc.InvalidCreditInput(exc.BUNDLE_INVALID)
    return ledger_entry_book(organization_id=organization_id, kind=LedgerEntry.Kind.PURCHASE,
                             minutes=minutes, idempotency_key=idempotency_key, actor=actor,
                             reason=reason, reason_code=reason_code,
                             reason_params={"minutes": minutes})


def credit_contract_grant(*, organization_id: int, minutes: int, contract_id: int,
                          term_number: int, actor=None, reason: str = "",
                          reason_code: str = "", reason_params: dict | None = None) -> LedgerEntry | None:
    """Grant a contract term's included credits, once per term."""
    if minutes <= 0:
        return None
    return ledger_entry_book(
        organization_id=organization_id, kind=LedgerEntry.Kind.CONTRACT_GRANT, minutes=minutes,
        idempotency_key=f"contract:{contract_id}:term:{term_number}", actor=actor,
        reason=reason, contract_id=contract_id, reason_code=reason_code or "contract_grant",
        reason_params=reason_params)


def _adjustment_problems(*, minutes: int, reason: str, approved: bool) -> list:
    problems = []
    if not reason:
        problems.append(exc.ADJUSTMENT_REASON_REQUIRED)
    if not minutes:
        problems.append(exc.ADJUSTMENT_ZERO)
    elif abs(minutes) > settings.CREDIT_ADJUSTMENT_LIMIT_MINUTES:
        problems.append(exc.ADJUSTMENT_TOO_LARGE % {
            "limit": settings.CREDIT_ADJUSTMENT_LIMIT_MINUTES})
    elif abs(minutes) > settings.CREDIT_ADJUSTMENT_MAX_MINUTES and not approved:
        problems.append(exc.ADJUSTMENT_NEEDS_APPROVAL % {
            "limit": settings.CREDIT_ADJUSTMENT_MAX_MINUTES})
    return problems


def credit_adjust(*, organization_id: int, minutes: int, reason: str, actor,
                  idempotency_key: str | None = None) -> LedgerEntry:
    """A manual correction by staff: a new entry (+ or −) with a required reason, of at
    most CREDIT_ADJUSTMENT_MAX_MINUTES (a larger one goes through adjustment_request)."""
    reason = (reason or "").strip()
    problems = _adjustment_problems(minutes=minutes, reason=reason, approved=False)
    if problems:
        raise exc.InvalidCreditInput(*problems)
    return ledger_entry_book(organization_id=organization_id, kind=LedgerEntry.Kind.ADJUSTMENT,
                             minutes=minutes, reason=reason[:500], actor=actor,
                             idempotency_key=idempotency_key or f"adjust:{uuid.uuid4()}")


def adjustment_submit(*, organization_id: int, minutes: int, reason: str, actor
                      ) -> LedgerEntry | AdjustmentRequest:
    """What the staff form does: book an adjustment within CREDIT_ADJUSTMENT_MAX_MINUTES at
    once, or record a larger one (up to CREDIT_ADJUSTMENT_LIMIT_MINUTES) for a second staff
    member to approve."""
    reason = (reason or "").strip()
    problems = _adjustment_problems(minutes=minutes, reason=reason, approved=True)
    if problems:
        raise exc.InvalidCreditInput(*problems)
    if abs(minutes) <= settings.CREDIT_ADJUSTMENT_MAX_MINUTES:
        return credit_adjust(organization_id=organization_id, minutes=minutes, reason=reason,
                             actor=actor)
    account = credit_account_ensure(organization_id=organization_id)
    request = AdjustmentRequest.objects.create(account=account, minutes=minutes,
                                               reason=reason[:500], requested_by=actor)
    audit_logger.info("Adjustment %s of %+d minutes for organization %s requested by %s",
                      request, minutes, organization_id, actor.pk)
    return request


def _adjustment_request_locked(*, request_id: int, actor) -> AdjustmentRequest:
    request = AdjustmentRequest.objects.select_for_update().get(pk=request_id)
    if request.status != AdjustmentRequest.Status.PENDING:
        raise exc.InvalidCreditInput(exc.ADJUSTMENT_NOT_PENDING)
    if request.requested_by_id == actor.pk:
        raise exc.InvalidCreditInput(exc.ADJUSTMENT_OWN_REQUEST)
    return request


def adjustment_request_decide(*, request_id: int, actor, approve: bool) -> AdjustmentRequest:
    """A second staff member (never the requester) approves (the entry is booked, in the
    same transaction) or rejects a pending adjustment; either decision is recorded once."""
    with transaction.atomic():
        request = _adjustment_request_locked(request_id=request_id, actor=actor)
        if approve:
            request.entry = ledger_entry_book(
                organization_id=request.account.organization_id,
                kind=LedgerEntry.Kind.ADJUSTMENT, minutes=request.minutes,
                reason=request.reason, actor=request.requested_by,
                idempotency_key=f"adjust-request:{request.pk}")
        request.status = (AdjustmentRequest.Status.APPROVED if approve
                          else AdjustmentRequest.Status.REJECTED)
        request.decided_by, request.decided_at = actor, timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at", "entry"])
    audit_logger.info("Adjustment %s %s by %s", request, request.status, actor.pk)
    return request


def credit_refund_ticket(*, ticket_id: int, ticket_number: str, actor, reason: str,
                         reason_code: str = "", reason_params: dict | None = None) -> list[LedgerEntry]:
    """Refund a ticket's net debits (debits less refunds), on every account it debited.

    Idempotent: once refunded the net is zero and nothing more is booked; if the ticket
    is debited again later, a new call refunds only the new debits.
    """
    refunds = []
    account_ids = (LedgerEntry.objects.filter(ticket_id=ticket_id)
                   .values_list("account_id", flat=True).distinct())
    for account_id in sorted(set(account_ids)):
        with transaction.atomic():
            account = CreditAccount.objects.select_for_update().get(pk=account_id)
            entries = LedgerEntry.objects.filter(
                account=account, ticket_id=ticket_id,
                kind__in=[LedgerEntry.Kind.TIME_DEBIT, LedgerEntry.Kind.REFUND])
            net = entries.aggregate(total=Sum("minutes"))["total"] or 0
            if net >= 0:
                continue
            last_id = entries.order_by("-id").values_list("id", flat=True).first()
            refunds.append(credit_refund(
                organization_id=account.organization_id, minutes=-net, actor=actor,
                reason=reason, ticket_id=ticket_id, ticket_number=ticket_number,
                idempotency_key=f"ticket:{ticket_id}:refund-through:{last_id}",
                reason_code=reason_code, reason_params=reason_params))
    return refunds


# --- prepaid cards ------------------------------------------------------------------------

CARD_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CARD_CODE_LENGTH = 12
CARD_MAX_FAILED_ATTEMPTS = 5


CARD_HASH_SALT = "credits.prepaid_card.code"
CARD_HASH_PREFIX = "s1$"


def _card_secrets() -> list[str]:
    """SECRET_KEY, then the SECRET_KEY_FALLBACKS still accepted (key rotation)."""
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _code_normalized(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").upper()


def _card_key_id(secret: str) -> str:
    """A short public id of the key a hash was made with (never the key itself)."""
    return salted_hmac(CARD_HASH_SALT + ".key-id", "", secret=secret,
                       algorithm="sha256").hexdigest()[:8]


def card_code_hash(*, number: str, code: str, secret: str | None = None) -> str:
    """A keyed hash of the verification code (salted by the card number), with a key
    derived from SECRET_KEY by salted_hmac: "s1$<key id>$<hex>"."""
    secret = secret or settings.SECRET_KEY
    digest = salted_hmac(CARD_HASH_SALT, f"{number}:{_code_normalized(code)}", secret=secret,
                         algorithm="sha256").hexdigest()
    return f"{CARD_HASH_PREFIX}{_card_key_id(secret)}${digest}"


def _legacy_code_hash(*, number: str, code: str, secret: str) -> str:
    """The hash of cards generated before keys were derived (a plain HMAC keyed by the
    secret key itself): such rows still redeem, no migration needed."""
    return hmac.new(secret.encode(), f"card:{number}:{_code_normalized(code)}".encode(),
                    hashlib.sha256).hexdigest()


def card_code_matches(*, stored_hash: str, number: str, code: str) -> bool:
    """Whether `code` is the card's, under the current key or any fallback key."""
    for secret in _card_secrets():
        if stored_hash.startswith(CARD_HASH_PREFIX):
            candidate = card_code_hash(number=number, code=code, secret=secret)
        else:
            candidate = _legacy_code_hash(number=number, code=code, secret=secret)
        if hmac.compare_digest(stored_hash, candidate):
            return True
    return False


def _card_number_new() -> str:
    digits = "".join(str(secrets.randbelow(10)) for _ in range(16))
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))


def prepaid_card_batch_generate(*, count: int, minutes: int, actor, batch: str = ""
                                ) -> list[tuple[str, str]]:
    """Create `count` cards of a bundle size; return (number, code) pairs.

    The codes are shown this one time only: the database keeps their hash.
    """
    if minutes not in BUNDLE_MINUTES:
        raise exc.InvalidCreditInput(exc.BUNDLE_INVALID)
    if count < 1 or count > 10000:
        raise ValueError("count must be between 1 and 10000")
    batch = batch or f"{timezone.now():%Y%m%d-%H%M%S}-{minutes}"
    pairs: list[tuple[str, str]] = []
    with transaction.atomic():
        numbers: set[str] = set()
        while len(numbers) < count:
            number = _card_number_new()
            if number not in numbers and not PrepaidCard.objects.filter(number=number).exists():
                numbers.add(number)
        cards = []
        for number in sorted(numbers):
            code = "".join(secrets.choice(CARD_CODE_ALPHABET) for _ in range(CARD_CODE_LENGTH))
            code = "-".join(code[i:i + 4] for i in range(0, CARD_CODE_LENGTH, 4))
            pairs.append((number, code))
            cards.append(PrepaidCard(number=number, code_hash=card_code_hash(number=number,
                                                                              code=code),
                                     minutes=minutes, batch=batch, created_by=actor))
        PrepaidCard.objects.bulk_create(cards)
    return pairs


def prepaid_card_ensure(*, number: str, code: str, minutes: int, batch: str) -> PrepaidCard:
    """A card of a known number and code (the demo card), created once; an existing card
    of that number is left as it is (redeemed or not)."""
    if minutes not in BUNDLE_MINUTES:
        raise exc.InvalidCreditInput(exc.BUNDLE_INVALID)
    card, _created = PrepaidCard.objects.get_or_create(number=number, defaults={
        "code_hash": card_code_hash(number=number, code=code), "minutes": minutes,
        "batch": batch})
    return card


def prepaid_card_redeem(*, organization_id: int | None, number: str, code: str, actor
                        ) -> LedgerEntry:
    """Redeem a card for the organization: books its credits once.

    A wrong code counts against the card; after CARD_MAX_FAILED_ATTEMPTS it is blocked.
    """
    if organization_id is None:
        raise exc.CardRejected(exc.NO_ORGANIZATION)
    number = "".join((number or "").split())
    account = credit_account_ensure(organization_id=organization_id)
    failure = None
    with transaction.atomic():
        card = PrepaidCard.objects.select_for_update().filter(number=number).first()
        if card is None:
            raise exc.CardRejected(exc.CARD_INVALID)
        if card.is_redeemed:
            raise exc.CardRejected(exc.CARD_ALREADY_REDEEMED)
        if card.failed_attempts >= CARD_MAX_FAILED_ATTEMPTS:
            raise exc.CardRejected(exc.CARD_BLOCKED)
        if not card_code_matches(stored_hash=card.code_hash, number=number, code=code or ""):
            card.failed_attempts += 1
            card.save(update_fields=["failed_attempts"])
            failure = exc.CARD_INVALID
        else:
            entry = ledger_entry_book(
                organization_id=organization_id, kind=LedgerEntry.Kind.PURCHASE,
                minutes=card.minutes, idempotency_key=f"card:{card.pk}", actor=actor,
                reason=f"Prepaid card {card.number}", reason_code="prepaid_card",
                reason_params={"card": card.number})
            card.redeemed_at = timezone.now()
            card.redeemed_by = actor
            card.redeemed_account = account
            card.save(update_fields=["redeemed_at", "redeemed_by", "redeemed_account"])
    if failure is not None:  # raised after commit, so that the failed attempt is kept
        raise exc.CardRejected(failure)
    return entry


# --- purchase orders ----------------------------------------------------------------------

def purchase_order_request(*, organization_id: int, minutes: int, actor):
    """A customer asks for a bundle; nothing is booked until staff mark it paid."""
    if minutes not in BUNDLE_MINUTES:
        raise exc.InvalidCreditInput(exc.BUNDLE_INVALID)
    account = credit_account_ensure(organization_id=organization_id)
    return PurchaseOrder.objects.create(account=account, minutes=minutes, requested_by=actor)


def purchase_order_mark_paid(*, order_id: int, actor, payment_reference: str = ""):
    """Book the order's bundle, once. Marking an already paid order again changes nothing."""
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().select_related("account").get(
            pk=order_id)
        if order.status == PurchaseOrder.Status.PAID:
            return order
        if order.status != PurchaseOrder.Status.PENDING:
            raise exc.OrderNotPending(exc.ORDER_NOT_PENDING)
        ledger_entry_book(organization_id=order.account.organization_id,
                          kind=LedgerEntry.Kind.PURCHASE, minutes=order.minutes,
                          idempotency_key=f"po:{order.pk}", actor=actor,
                          reason=f"{order} {payment_reference}".strip(),
                          reason_code="purchase_order", reason_params={"order": str(order)})
        order.status = PurchaseOrder.Status.PAID
        order.decided_by = actor
        order.decided_at = timezone.now()
        order.payment_reference = payment_reference[:120]
        order.save(update_fields=["status", "decided_by", "decided_at", "payment_reference"])
    return order


def purchase_order_cancel(*, order_id: int, actor):
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=order_id)
        if order.status != PurchaseOrder.Status.PENDING:
            raise exc.OrderNotPending(exc.ORDER_NOT_PENDING)
        order.status = PurchaseOrder.Status.CANCELLED
        order.decided_by = actor
        order.decided_at = timezone.now()
        order.save(update_fields=["status", "decided_by", "decided_at"])
    return order


# --- expiry (only when settings.CREDITS_EXPIRY_MONTHS is set) ------------------------------

def credit_expire(*, organization_id: int, cutoff) -> LedgerEntry | None:
    """Expire what is left of credits added before `cutoff`, oldest first.

    Credits are spent first-in, first-out: every credit ever added (purchase, grant,
    refund, positive adjustment) is a lot, every minute ever removed (debits, negative
    adjustments, earlier expiries) consumes the oldest lot. What remains of the lots added
    before the cutoff expires; that never exceeds the balance, so expiry cannot overdraw.
    One entry per account and cutoff day (idempotency key expiry:<cutoff>).
    """
    with transaction.atomic():
        account = CreditAccount.objects.select_for_update().filter(
            organization_id=organization_id).first()
        if account is None:
            return None
        entries = LedgerEntry.objects.filter(account=account)
        old_lots = entries.filter(minutes__gt=0, created_at__date__lt=cutoff).aggregate(
            total=Sum("minutes"))["total"] or 0
        consumed = -(entries.filter(minutes__lt=0).aggregate(total=Sum("minutes"))["total"]
                     or 0)
        remaining = min(old_lots - consumed, account.balance_minutes)
        if remaining <= 0:
            return None
        return ledger_entry_book(
            organization_id=organization_id, kind=LedgerEntry.Kind.EXPIRY, minutes=-remaining,
            idempotency_key=f"expiry:{cutoff.isoformat()}",
            reason=f"Credits added before {cutoff.isoformat()} expired",
            reason_code="expiry", reason_params={"date": cutoff.isoformat()})


def credits_expiry_cutoff(*, today):
    """The day before which added credits expire, or None when expiry is not configured."""
    months = getattr(settings, "CREDITS_EXPIRY_MONTHS", None)
    if not months:
        return None
    index = today.year * 12 + (today.month - 1) - int(months)
    year, month = divmod(index, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return today.replace(year=year, month=month + 1, day=day)
