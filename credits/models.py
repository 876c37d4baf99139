"""Support credits: one account per organization and its append-only ledger of minutes.

1 credit = 1 minute of agent time. The account's balance_minutes is a cache of the sum of
its entries, changed only under a row lock in the same transaction as the entry.
"""

from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exceptions import LEDGER_IMMUTABLE, LedgerImmutableError


class BalanceState(models.TextChoices):
    OK = "ok", _("At or above the threshold")
    LOW = "low", _("Under the threshold")
    NEGATIVE = "negative", _("Overdrawn")


class CreditAccount(models.Model):
    organization = models.OneToOneField("accounts.Organization", on_delete=models.PROTECT,
                                        related_name="credit_account",
                                        verbose_name=_("organization"))
    balance_minutes = models.IntegerField(_("balance (minutes)"), default=0)
    low_balance_threshold_minutes = models.PositiveIntegerField(
        _("low-balance notice under (minutes)"), default=60)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Where the balance stood at the last booking, so that a low-balance notice goes out
    # once per crossing of the threshold (or of zero), not once per debit.
    balance_state = models.CharField(_("balance state"), max_length=8,
                                     choices=BalanceState.choices, default=BalanceState.OK)

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")

    def __str__(self) -> str:
        return f"{self.organization}: {self.balance_minutes}"

    @property
    def is_overdrawn(self) -> bool:
        return self.balance_minutes < 0


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        CONTRACT_GRANT = "contract_grant", _("Contract grant")
        TIME_DEBIT = "time_debit", _("Agent time")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        EXPIRY = "expiry", _("Expiry")

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="entries",
                                verbose_name=_("account"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    minutes = models.IntegerField(_("minutes (+/−)"))
    balance_after_minutes = models.IntegerField(_("balance after (minutes)"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # What customers read: a code and its parameters, rendered in the reader's language
    # (credits/reasons.py); `reason` above is staff text and may hold an internal note.
    reason_code = models.CharField(_("reason code"), max_length=32, blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    # References to higher layers are kept by id (credits sits below tickets/entitlements).
    ticket_id = models.BigIntegerField(_("ticket id"), null=True, blank=True)
    ticket_number = models.CharField(_("ticket"), max_length=16, blank=True)
    contract_id = models.BigIntegerField(_("contract id"), null=True, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        ordering = ["account", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(fields=["account", "idempotency_key"],
                                    name="credits_entry_idempotency_unique"),
            models.CheckConstraint(condition=~models.Q(minutes=0), name="credits_entry_nonzero"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["purchase", "contract_grant", "refund"], minutes__gt=0)
                    | models.Q(kind__in=["time_debit", "expiry"], minutes__lt=0)
                    | models.Q(kind="adjustment")
                ),
                name="credits_entry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="adjustment") | ~models.Q(reason=""),
                name="credits_adjustment_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="credits_entry_account_recent"),
            models.Index(fields=["ticket_id"], name="credits_entry_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerImmutableError(LEDGER_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError(LEDGER_IMMUTABLE)


BUNDLE_MINUTES = (120, 300, 600)


def _bundle_label(minutes: int) -> str:
    return gettext("%(minutes)s credits") % {"minutes": minutes}


# Lazy labels: translated when shown, not once at import in whatever language is active.
BUNDLE_CHOICES = [(m, lazy(_bundle_label, str)(m)) for m in BUNDLE_MINUTES]


class PrepaidCard(models.Model):
    """A prepaid credit card as distributors sell them: a public number plus a secret
    verification code. Only a keyed hash of the code is stored; a card works once."""

    number = models.CharField(_("card number"), max_length=24, unique=True)
    code_hash = models.CharField(_("verification code hash"), max_length=128)
    minutes = models.PositiveIntegerField(_("credits"), choices=BUNDLE_CHOICES)
    batch = models.CharField(_("batch"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("created by"))
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    redeemed_at = models.DateTimeField(_("redeemed"), null=True, blank=True)
    redeemed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("redeemed by"))
    redeemed_account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+",
                                         verbose_name=_("redeemed for"))

    class Meta:
        ordering = ["-created_at", "number"]
        verbose_name = _("prepaid credit card")
        verbose_name_plural = _("prepaid credit cards")

    def __str__(self) -> str:
        return self.number

    @property
    def is_redeemed(self) -> bool:
        return self.redeemed_at is not None


class PurchaseOrder(models.Model):
    """A customer's request for a bundle; the credits are booked when staff mark it paid."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT,
                                related_name="purchase_orders", verbose_name=_("account"))
    minutes = models.PositiveIntegerField(_("credits"), choices=BUNDLE_CHOICES)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=120, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        indexes = [models.Index(fields=["status", "-requested_at"], name="credits_po_status")]

    def __str__(self) -> str:
        return f"PO-{self.pk:06d}" if self.pk else "PO"


# The largest balance or entry the ledger stores (its integer columns); a booking that would
# go past it is refused (a form error), never a database error.
LEDGER_MINUTES_LIMIT = 2**31 - 1


class AdjustmentRequest(models.Model):
    """A manual adjustment above settings.CREDIT_ADJUSTMENT_MAX_MINUTES, waiting for a
    second staff member (not the one who asked) to approve or reject it (four-eyes). The
    row is the audit record: who asked, who decided, when, and the entry it booked."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved and booked")
        REJECTED = "rejected", _("Rejected")

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT,
                                related_name="adjustment_requests", verbose_name=_("account"))
    minutes = models.IntegerField(_("minutes (+/−)"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="adjustment_request",
                                 verbose_name=_("ledger entry"))

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("adjustment awaiting approval")
        verbose_name_plural = _("adjustments awaiting approval")
        permissions = [("adjust_decide", _("Can approve or reject another staff member's "
                                           "large credit adjustment"))]
        constraints = [
            models.CheckConstraint(condition=~models.Q(decided_by=models.F("requested_by")),
                                   name="credits_adjustment_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"ADJ-{self.pk:06d}" if self.pk else "ADJ"
