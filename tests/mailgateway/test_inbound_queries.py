"""The MTA pipe's synchronous path (`ingest_email --sync`: store, then process the row just
stored) costs a fixed number of statements (issue 16): the INSERT, then the row's status
locked, the ticket with its requester locked, the reply (message, event, ticket) and the
row's outcome. The stored row is not read again, nor the ticket twice; the two locking
reads are prepared once on PostgreSQL (mailgateway/inbound_reads.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mailgateway import inbound_reads, services
from mailgateway.message_ids import message_id_make
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
Status = InboundMessage.Status
# INSERT row; SELECT row state, SELECT tickets; INSERT message, INSERT event, UPDATE ticket;
# UPDATE row.
PIPE_STATEMENTS = 7


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(TRANSACTION_CONTROL)]


def _pipe(raw: bytes) -> InboundMessage:
    row, _created = services.inbound_message_store(raw=raw, source=InboundMessage.Source.PIPE)
    return services.inbound_message_process(inbound_id=row.pk, stored=row)


@pytest.mark.parametrize("by", ["tag", "message_id"])
def test_the_pipe_threads_a_reply_in_a_fixed_number_of_statements(two_orgs, by):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    _pipe(raw_email(subject=f"Re: {ticket.subject_tag}", body="Warm."))  # first-use reads
    raw = raw_email(subject=f"Re: {ticket.subject_tag}", body="It works now.") if by == "tag" \
        else raw_email(subject="Re: your ticket", body="It works now.",
                       in_reply_to=message_id_make(ticket_id=ticket.pk))
    with CaptureQueriesContext(connection) as queries:
        row = _pipe(raw)
    statements = _statements(queries.captured_queries)
    assert row.status == Status.THREADED and row.ticket == ticket
    assert row.ticket_message.body == "It works now."
    assert len(statements) == PIPE_STATEMENTS, statements
    # The row just stored is not read again (its raw bytes least of all), the ticket once.
    table = InboundMessage._meta.db_table
    reads = [sql for sql in statements if sql.startswith("SELECT")]
    assert len(reads) == 2 and table in reads[0] and '"raw"' not in reads[0], reads
    assert sum(Ticket._meta.db_table in sql for sql in reads) == 1
    stored = InboundMessage.objects.get(pk=row.pk)
    assert (stored.status, stored.attempts, stored.ticket_message_id) == (
        Status.THREADED, 1, row.ticket_message_id)


def test_processing_by_id_alone_costs_no_more(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row, _created = services.inbound_message_store(
        raw=raw_email(subject=f"Re: {ticket.subject_tag}"), source=InboundMessage.Source.PIPE)
    with CaptureQueriesContext(connection) as queries:
        row = services.inbound_message_process(inbound_id=row.pk)
    assert row.status == Status.THREADED
    assert len(_statements(queries.captured_queries)) == PIPE_STATEMENTS - 1


def test_a_stored_row_processed_meanwhile_is_not_processed_again(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    stale, _created = services.inbound_message_store(
        raw=raw_email(subject=f"Re: {ticket.subject_tag}"), source=InboundMessage.Source.PIPE)
    services.inbound_message_process(inbound_id=stale.pk)  # another process did it
    row = services.inbound_message_process(inbound_id=stale.pk, stored=stale)
    assert row.status == Status.THREADED and row.attempts == 1
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 1


def test_a_stored_row_counts_the_attempts_made_meanwhile(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row, _created = services.inbound_message_store(
        raw=raw_email(subject=f"Re: {ticket.subject_tag}"), source=InboundMessage.Source.PIPE)
    services.inbound_message_record_error(inbound_id=row.pk, error="OperationalError()")
    row = services.inbound_message_process(inbound_id=row.pk, stored=row)
    assert row.status == Status.THREADED
    stored = InboundMessage.objects.get(pk=row.pk)
    assert (stored.attempts, stored.last_error) == (2, "")


def test_a_stored_row_must_be_the_one_named(two_orgs):
    first, _ = services.inbound_message_store(raw=raw_email(), source="pipe")
    second, _ = services.inbound_message_store(raw=raw_email(), source="pipe")
    with pytest.raises(ValueError):
        services.inbound_message_process(inbound_id=first.pk, stored=second)
    assert InboundMessage.objects.filter(status=Status.PENDING).count() == 2


def test_the_locking_reads_say_what_the_orm_queries_say(two_orgs, monkeypatch):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    other = TicketFactory.create(requester=two_orgs.juan)
    merged = TicketFactory.create(requester=two_orgs.maria)
    Ticket.objects.filter(pk=merged.pk).update(merged_into=ticket)
    row, _ = services.inbound_message_store(raw=raw_email(), source="pipe")
    ids, numbers = {ticket.pk, 10 ** 9}, {other.number, merged.number, "ZZZ-999-99999"}

    def read():
        tickets = inbound_reads.tickets_locked(ids=ids, numbers=numbers)
        return ([[getattr(t, f.attname) for f in Ticket._meta.concrete_fields]
                 + [getattr(t.requester, f.attname) for f in t.requester._meta.concrete_fields]
                 for t in tickets],
                inbound_reads.row_state_locked(pk=row.pk),
                inbound_reads.row_state_locked(pk=10 ** 9))

    answer = read()
    monkeypatch.setattr(inbound_reads, "prepared", lambda: False)
    assert answer == read()
    assert [values[0] for values in answer[0]] == sorted([ticket.pk, other.pk, merged.pk])
    assert answer[1:] == ((Status.PENDING, 0), None)
