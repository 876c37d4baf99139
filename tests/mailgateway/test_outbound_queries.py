"""A ticket email costs the worker a fixed number of queries (issue 16): the row with its
ticket, requester, message and facts in one read, the claim, the thread's references and
the Cc addresses (on PostgreSQL in one UNION, both reads prepared once:
mailgateway/outbound_reads.py; three reads on SQLite), then the mark as sent with its
audit event."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Department
from mailgateway import outbound_services
from mailgateway.models import OutboundMessage
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
# Statements before the email is handed to the backend: read, claim, references + Cc.
BEFORE_BACKEND = {"postgresql": 3, "sqlite": 5}
# And after it: the row marked sent with its MAIL_SENT event (one statement on PostgreSQL).
WHOLE_SEND = {"postgresql": 4, "sqlite": 7}


def _statements(captured) -> list[str]:
    return [q["sql"] for q in captured if not q["sql"].startswith(TRANSACTION_CONTROL)]


def _recorded(two_orgs, kind: str) -> OutboundMessage:
    department = Department.objects.get(code="sipstation-general")
    ticket = services.ticket_create(requester=two_orgs.maria, department=department,
                                    subject="One-way audio", body="Details.")
    if kind == "agent_reply":
        services.agent_reply_create(ticket=Ticket.objects.get(pk=ticket.pk),
                                    agent=two_orgs.agent, body="Check the SIP timers.")
    return OutboundMessage.objects.get(ticket=ticket, kind=kind)


@pytest.mark.parametrize("kind", ["created", "agent_reply"])
def test_a_ticket_email_is_built_and_sent_in_a_fixed_number_of_queries(
        two_orgs, kind, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    row = _recorded(two_orgs, kind)
    mail.outbox = []
    handed: list[int] = []
    original = mail.get_connection().__class__.send_messages

    def send_messages(backend, messages):
        handed.append(len(_statements(queries.captured_queries)))
        return original(backend, messages)

    monkeypatch.setattr(mail.get_connection().__class__, "send_messages", send_messages)
    with CaptureQueriesContext(connection) as queries:
        outbound_services.outbound_message_send(
            kind=row.kind, ticket_id=row.ticket_id, message_id=row.ticket_message_id,
            header_message_id=row.header_message_id)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [two_orgs.maria.email]
    assert handed == [BEFORE_BACKEND[connection.vendor]]
    assert len(_statements(queries.captured_queries)) == WHOLE_SEND[connection.vendor], \
        _statements(queries.captured_queries)


def test_the_thread_and_the_copies_come_in_one_read(two_orgs, django_assert_num_queries):
    from mailgateway import outbound
    from tickets.models import TicketParticipant

    row = _recorded(two_orgs, "created")
    ticket = Ticket.objects.select_related("requester").get(pk=row.ticket_id)
    TicketParticipant.objects.create(ticket=ticket, contact=two_orgs.juan)
    OutboundMessage.objects.filter(pk=row.pk).update(sent_at=row.created_at)
    reads = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(reads):
        references, cc = outbound.thread_and_copies(ticket=ticket)
    assert references == outbound.thread_message_ids(ticket=ticket) == [row.header_message_id]
    assert cc == outbound.participant_addresses(ticket=ticket) == [two_orgs.juan.email]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared reads: PostgreSQL")
def test_the_prepared_read_says_what_the_orm_query_says(two_orgs):
    import datetime as dt

    from django.utils import timezone

    from mailgateway import outbound_reads
    from tests.factories import upload

    department = Department.objects.get(code="sipstation-general")
    ticket = services.ticket_create(requester=two_orgs.maria, department=department,
                                    subject="One-way audio", body="Details.")
    services.agent_reply_create(ticket=Ticket.objects.get(pk=ticket.pk), agent=two_orgs.agent,
                                body="See the trace.", files=[upload("trace.pcap")])
    row = OutboundMessage.objects.get(ticket=ticket, kind="agent_reply")
    created = OutboundMessage.objects.get(ticket=ticket, kind="created")
    OutboundMessage.objects.filter(pk=created.pk).update(sent_at=timezone.now())
    twin = OutboundMessage.objects.create(  # a second row about the same message, sent
        ticket=ticket, ticket_message_id=row.ticket_message_id, kind=row.kind,
        header_message_id="<twin@example>", to_address=row.to_address.upper(),
        subject=row.subject, is_automatic=True, sent_at=timezone.now())
    since = timezone.now() - dt.timedelta(minutes=10)
    for pk in (row.pk, twin.pk, created.pk):
        prepared = outbound_reads.row_for_send(since=since, pk=pk)
        orm = outbound_services._rows_for_send().get(pk=pk)
        facts = ("sent_duplicate", "recent_automatic", "has_attachments", "header_message_id",
                 "to_address", "kind", "sent_at", "is_automatic")
        assert [getattr(prepared, f) for f in facts] == [getattr(orm, f) for f in facts]
        assert (prepared.ticket.number, prepared.ticket.subject, prepared.ticket.requester.email,
                prepared.ticket.requester.language) == (
            orm.ticket.number, orm.ticket.subject, orm.ticket.requester.email,
            orm.ticket.requester.language)
        assert (prepared.ticket_message and prepared.ticket_message.body) == \
            (orm.ticket_message and orm.ticket_message.body)
    assert outbound_reads.row_for_send(since=since, header_message_id="<none@x>") is None


def _drained_statements(captured) -> list[str]:
    return [sql for sql in _statements(captured) if "helpdesk_cache" not in sql]


def test_a_drained_batch_of_ticket_emails_costs_one_statement_each_and_a_few_per_batch(
        two_orgs, monkeypatch, settings):
    """A drain's batch reads its rows, threads and Cc once, claims them in one transaction,
    then each email costs one statement on PostgreSQL (marked sent with its MAIL_SENT event):
    with six emails, at most 3 statements per email, and the thread still grows within the
    batch (the reply's References name the confirmation sent just before it)."""
    from django.core.cache import cache

    from mailgateway.models import OutboundMessage
    from outbox import drain
    from outbox import services as outbox_services
    from tickets.models import TicketEvent

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(outbox_services, "_eager", lambda: False)
    monkeypatch.setattr(outbox_services, "outbox_drain_request", lambda **kwargs: None)
    cache.delete(outbox_services.drain_flag_key())
    department = Department.objects.get(code="sipstation-general")
    tickets = [services.ticket_create(requester=two_orgs.maria, department=department,
                                      subject=f"Issue {n}", body="Details.") for n in range(4)]
    for ticket in tickets[:2]:
        services.agent_reply_create(ticket=Ticket.objects.get(pk=ticket.pk),
                                    agent=two_orgs.agent, body="Check the SIP timers.")
    mail.outbox = []
    with CaptureQueriesContext(connection) as queries:
        assert drain.outbox_drain(run_id="batch-run", batch=50) == 6
    statements = _drained_statements(queries.captured_queries)
    # Per batch: the drain's claim, the batch's read, claim and threads, the rows marked
    # done, and the drain's last two looks (before and after it clears its flag).
    per_batch = {"postgresql": 10, "sqlite": 10 + 6 * 4}[connection.vendor]
    assert len(statements) <= per_batch + 6, statements
    if connection.vendor == "postgresql":
        assert len(statements) / 6 <= 3
    assert len(mail.outbox) == 6
    assert not OutboundMessage.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboundMessage.objects.values_list("send_attempts", flat=True)) == {1}
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.MAIL_SENT).count() == 6
    for ticket in tickets[:2]:
        created, reply = (OutboundMessage.objects.get(ticket_id=ticket.pk, kind=kind)
                          for kind in ("created", "agent_reply"))
        sent = next(m for m in mail.outbox if m.extra_headers["Message-ID"]
                    == reply.header_message_id)
        assert created.header_message_id in sent.extra_headers["References"].split()
    event = TicketEvent.objects.filter(kind=TicketEvent.Kind.MAIL_SENT).latest("id")
    row = OutboundMessage.objects.get(pk=event.data["outbound_id"])
    assert event.data == {"outbound_id": row.pk, "mail_kind": row.kind, "to": row.to_address,
                          "message_id": row.header_message_id}
    assert event.actor_id is None and event.ticket_id == row.ticket_id


def test_a_batch_send_adds_to_the_references_of_tickets_read_with_it_only():
    """A ticket the batch did not read (its email went the single way) keeps being read
    alone: no thread made of the batch's sends only, without its Cc or older references."""
    row = OutboundMessage(pk=1, ticket_id=7, kind="created", header_message_id="<a@x>",
                          to_address="m@acme.example", is_automatic=True)
    batch = outbound_services.OutboundBatch(rows={}, claimed=set(),
                                            threads={8: (["<old@x>"], ["cc@acme.example"])})
    batch.sent(row)
    assert 7 not in batch.threads
    batch.sent(OutboundMessage(pk=2, ticket_id=8, kind="created", header_message_id="<b@x>",
                               to_address="m@acme.example", is_automatic=True))
    assert batch.threads[8] == (["<old@x>", "<b@x>"], ["cc@acme.example"])
    assert batch.automatic_sent[(7, "M@ACME.EXAMPLE")] == 1
