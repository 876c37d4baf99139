"""Two workers processing the same stored message at once: one reply, never two."""

import threading

import pytest
from django.db import connection, connections

from mailgateway import services
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks (select_for_update) are only real on PostgreSQL")
def test_concurrent_processing_records_one_reply(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    rows = [services.inbound_message_store(
        raw=raw_email(subject=f"Re: {ticket.subject_tag}", body=f"reply {n}"),
        source="pipe")[0] for n in range(5)]
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            for row in rows:
                services.inbound_message_process(inbound_id=row.pk)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 5
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {"threaded"}
    assert set(InboundMessage.objects.values_list("attempts", flat=True)) == {1}
