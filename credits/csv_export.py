"""CSV downloads that a spreadsheet cannot turn into formulas: the one writer every export
uses (the ledger export, the prepaid card batch, any later one).

A text cell that starts with =, +, -, @, a tab or a carriage return is read as a formula
(or shifts into one) by Excel, LibreOffice and Google Sheets; such a cell gets a leading
apostrophe, which the spreadsheet shows as text. A plain signed number ("-5", "+300") is
left alone: it is a number, not a formula. Numbers written as numbers are never touched.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")


def csv_cell(value: object) -> object:
    """The value as a CSV cell: text that a spreadsheet would evaluate gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) \
            and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer with every cell passed through csv_cell."""

    def __init__(self, stream) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[object]):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream) -> SafeCsvWriter:
    return SafeCsvWriter(stream)


class _Echo:
    def write(self, value):
        return value


def _ledger_rows(account):
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from . import selectors
    from .reasons import customer_reason

    writer = csv_writer(_Echo())
    yield writer.writerow([_("Date"), _("What"), _("Ticket"), _("Minutes"),
                           _("Balance after"), _("Reason"), _("By")])
    for entry in selectors.ledger_entries_for_account(account=account).iterator(chunk_size=2000):
        yield writer.writerow([
            timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
            entry.get_kind_display(), entry.ticket_number, f"{entry.minutes:+d}",
            entry.balance_after_minutes, customer_reason(entry),
            entry.actor.get_full_name() if entry.actor else "",
        ])


def ledger_csv_response(*, account):
    """The account's ledger as a CSV download (the Credits page and the API)."""
    from django.http import StreamingHttpResponse
    from django.utils import timezone

    response = StreamingHttpResponse(_ledger_rows(account),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="credits-{timezone.localdate():%Y-%m-%d}.csv"')
    return response
