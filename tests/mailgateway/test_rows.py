"""mailgateway.rows: one new row unless its unique key is held (prepared on PostgreSQL,
the ORM's save elsewhere), many rows' fields in one executemany."""

from contextlib import nullcontext

import pytest
from django.db import transaction
from django.utils import timezone

from mailgateway import rows, services
from mailgateway.models import InboundMessage
from tests.factories.mailgateway import raw_email

pytestmark = pytest.mark.django_db


def _values(row: InboundMessage) -> dict:
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    values["raw"] = bytes(values["raw"])
    return values


@pytest.mark.parametrize("inside_transaction", [False, True])
def test_a_new_row_is_saved_once_and_a_held_key_writes_nothing(inside_transaction):
    raw = raw_email()
    new = services._row_new(raw, InboundMessage.Source.PIPE, None)
    again = services._row_new(raw, InboundMessage.Source.PIPE, None)
    with transaction.atomic() if inside_transaction else nullcontext():
        saved = rows.row_insert(new)
        assert rows.row_insert(again) is None  # the same key: held
    assert saved.pk and InboundMessage.objects.count() == 1
    assert _values(saved) == _values(InboundMessage.objects.get(pk=saved.pk))
    saved.reason = "checked"
    saved.save(update_fields=["reason"])  # an instance of a saved row, not a new one
    assert InboundMessage.objects.get().reason == "checked"


def test_many_rows_fields_are_written_at_once():
    first, _ = services.inbound_message_store(raw=raw_email(), source="pipe")
    second, _ = services.inbound_message_store(raw=raw_email(), source="pipe")
    now = timezone.now()
    for row, reason in ((first, "one"), (second, "two")):
        row.reason, row.processed_at = reason, now
    rows.rows_update([first, second], ["reason", "processed_at"])
    assert sorted(InboundMessage.objects.values_list("reason", "processed_at")) == [
        ("one", now), ("two", now)]
    rows.rows_update([], ["reason"])  # nothing to write

