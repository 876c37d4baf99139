"""Ledger reasons as customers read them: each entry's code and parameters rendered in the
reader's language. An agent's note (kept in LedgerEntry.reason for staff) never shows."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext_lazy as _

REASONS = {
    "time_debit": _("Agent time on %(ticket)s"),
    "time_reversed": _("Time entry reversed on %(ticket)s"),
    "ticket_moved_free": _("%(ticket)s moved to a department that does not use credits"),
    "prepaid_card": _("Prepaid card %(card)s"),
    "purchase_order": _("Purchase order %(order)s"),
    "bundle": _("Bundle of %(minutes)s credits"),
    "contract_grant": _("Credits included in the contract %(plan)s of %(deployment)s"),
    "expiry": _("Credits added before %(date)s expired"),
}
# Entries without a code: only a manual adjustment's text is shown (written for the
# customer and approved); other free text may be an agent's note, or in one language only.
LEGACY_SHOWN_KINDS = ("adjustment",)


def _param(value):
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    return value


def customer_reason(entry) -> str:
    """The entry's reason in the active language ("" when there is nothing to tell)."""
    template = REASONS.get(entry.reason_code)
    if template is not None:
        try:
            return str(template) % {k: _param(v) for k, v in (entry.reason_params or {}).items()}
        except (KeyError, TypeError, ValueError):
            return ""
    if not entry.reason_code and entry.kind in LEGACY_SHOWN_KINDS:
        return entry.reason
    return ""
