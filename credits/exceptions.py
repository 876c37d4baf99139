"""Errors of the credits app; messages are constants the tests assert."""

from django.utils.translation import gettext_lazy as _

LEDGER_IMMUTABLE = "Ledger entries are append-only: book a correcting entry instead."
ADJUSTMENT_REASON_REQUIRED = _("A manual adjustment needs a reason.")
ADJUSTMENT_ZERO = _("An adjustment must add or remove at least one minute.")
ADJUSTMENT_TOO_LARGE = _("An adjustment may add or remove at most %(limit)s minutes.")
ADJUSTMENT_NEEDS_APPROVAL = _("An adjustment of more than %(limit)s minutes needs a second "
                              "staff member's approval.")
ADJUSTMENT_OWN_REQUEST = _("A second staff member must decide: you asked for this adjustment.")
ADJUSTMENT_NOT_PENDING = _("This adjustment has already been decided.")
BALANCE_OUT_OF_RANGE = _("This booking would take the balance beyond what the ledger can hold.")
BUNDLE_INVALID = _("Credits are sold in bundles of 120, 300 or 600.")
CARD_INVALID = _("This card number and verification code do not match a valid card.")
CARD_ALREADY_REDEEMED = _("This card has already been redeemed.")
CARD_BLOCKED = _("This card is blocked after too many wrong codes. Please contact support.")
ORDER_NOT_PENDING = _("This purchase order is no longer awaiting payment.")
NO_ORGANIZATION = _("Only contacts of an organization hold credits.")


class CreditsError(Exception):
    """Base of every credits error."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = [str(m) for m in messages]


class LedgerImmutableError(CreditsError):
    pass


class InvalidCreditInput(CreditsError):
    pass


class CardRejected(CreditsError):
    pass


class OrderNotPending(CreditsError):
    pass
