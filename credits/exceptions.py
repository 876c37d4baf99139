"""Errors of the credits app; messages are constants the tests assert."""

LEDGER_IMMUTABLE = "Ledger entries are append-only: book a correcting entry instead."


class CreditsError(Exception):
    """Base of every credits error."""


class LedgerImmutableError(CreditsError):
    pass
