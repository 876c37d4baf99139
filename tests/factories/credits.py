"""Credits are booked through the services, as the site books them."""

import itertools

from credits import services
from credits.models import LedgerEntry

_keys = itertools.count()


def book(organization, minutes: int, kind: str | None = None, **kwargs) -> LedgerEntry:
    """Book `minutes` (+ or −) for the organization with a fresh idempotency key."""
    kind = kind or (LedgerEntry.Kind.PURCHASE if minutes > 0 else LedgerEntry.Kind.TIME_DEBIT)
    return services.ledger_entry_book(organization_id=organization.pk, kind=kind,
                                      minutes=minutes,
                                      idempotency_key=kwargs.pop("idempotency_key",
                                                                 f"test:{next(_keys)}"),
                                      **kwargs)
