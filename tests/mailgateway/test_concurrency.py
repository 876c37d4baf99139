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


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks (select_for_update) are only real on PostgreSQL")
def test_concurrent_batches_over_shared_tickets_neither_deadlock_nor_duplicate(two_orgs):
    tickets = [TicketFactory.create(requester=two_orgs.maria) for _ in range(3)]
    ids = services.inbound_messages_store(
        raws=[raw_email(subject=f"Re: {tickets[n % 3].subject_tag}", body=f"reply {n}")
              for n in range(40)], source="pipe")
    # Each worker takes the batches in another order; one also goes message by message.
    orders = [ids, ids[::-1], ids[10:] + ids[:10], ids[::2] + ids[1::2]]
    barrier = threading.Barrier(len(orders) + 1)
    errors = []

    def worker(order):
        try:
            barrier.wait()
            for start in range(0, len(order), 8):
                services.inbound_messages_process(inbound_ids=order[start:start + 8])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def alone():
        try:
            barrier.wait()
            for inbound_id in ids:
                services.inbound_message_process(inbound_id=inbound_id)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(order,)) for order in orders]
    threads.append(threading.Thread(target=alone))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Message.objects.filter(source=Message.Source.EMAIL).count() == 40
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {"threaded"}
    assert set(InboundMessage.objects.values_list("attempts", flat=True)) == {1}
    for ticket in tickets:
        bodies = list(ticket.messages.filter(source=Message.Source.EMAIL)
                      .values_list("body", flat=True))
        assert len(bodies) == len(set(bodies))
