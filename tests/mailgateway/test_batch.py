"""Bulk processing: many messages in one transaction with their lookups prefetched, the same
outcomes as one by one; failed attempts are counted and a message that keeps failing is
given up into the quarantine instead of staying pending forever."""

import pytest

from mailgateway import services, tasks
from mailgateway.inbound import reasons
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tickets import services as ticket_services
from tickets.models import Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
Status = InboundMessage.Status


def stored(*raws: bytes) -> list[int]:
    return services.inbound_messages_store(raws=list(raws), source=InboundMessage.Source.PIPE)


def test_bulk_store_skips_duplicates_and_returns_pending_ids(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    first = raw_email(subject=f"Re: {ticket.subject_tag}", message_id="<bulk-1@client.example>")
    second = raw_email(subject=f"Re: {ticket.subject_tag}", message_id="<bulk-2@client.example>")
    ids = stored(first, second, first)
    assert len(ids) == 2 and InboundMessage.objects.count() == 2
    assert stored(first) == [ids[0]]  # held and still pending: queued again
    services.inbound_messages_process(inbound_ids=ids)
    assert stored(first, second) == []  # processed already: nothing to queue
    assert InboundMessage.objects.count() == 2


def test_batch_gives_every_outcome_of_one_by_one_processing(two_orgs, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    other = TicketFactory.create(requester=two_orgs.maria)
    ids = stored(
        raw_email(subject=f"Re: {ticket.subject_tag}", body="First."),
        raw_email(subject=f"Re: {other.subject_tag}", body="Other ticket."),
        raw_email(subject=f"Re: {ticket.subject_tag}", body="Second."),
        raw_email(from_addr="stranger@evil.example", subject=f"Re: {ticket.subject_tag}"),
        raw_email(subject="Re: [#ZZZ-999-99999] nothing"),
        raw_email(subject=f"Automatic reply: {ticket.subject_tag}",
                  headers={"Auto-Submitted": "auto-replied"}),
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        statuses = services.inbound_messages_process(inbound_ids=ids)
    assert [statuses[i] for i in ids] == [Status.THREADED, Status.THREADED, Status.THREADED,
                                          Status.QUARANTINED, Status.QUARANTINED,
                                          Status.AUTOMATIC]
    rows = {row.pk: row for row in InboundMessage.objects.filter(pk__in=ids)}
    assert rows[ids[3]].reason == reasons.SENDER_UNKNOWN
    assert rows[ids[4]].reason == reasons.UNKNOWN_TICKET
    assert rows[ids[0]].ticket == ticket and rows[ids[1]].ticket == other
    assert [m.body for m in ticket.messages.filter(kind=Message.Kind.CUSTOMER,
                                                   source=Message.Source.EMAIL)] == \
        ["First.", "Second."]
    assert rows[ids[5]].ticket_message.kind == Message.Kind.AUTOMATIC
    assert all(row.attempts == 1 and row.processed_at for row in rows.values())
    assert ticket.events.filter(kind=TicketEvent.Kind.MESSAGE_ADDED).count() == 3
    # Only the stranger gets the notice (the unknown-ticket sender is maria: one too).
    assert {m.to[0] for m in mailoutbox} <= {"stranger@evil.example", "maria@acme.example"}
    # Running the batch again does nothing: each message is processed exactly once.
    assert services.inbound_messages_process(inbound_ids=ids) == {}
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 3


def test_batch_reopens_a_resolved_ticket_once_and_automatic_mail_never(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ticket_services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    auto = stored(raw_email(subject=f"Out of office: {ticket.subject_tag}",
                            headers={"Auto-Submitted": "auto-replied"}))
    services.inbound_messages_process(inbound_ids=auto)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    ids = stored(raw_email(subject=f"Re: {ticket.subject_tag}", body="Broken again."),
                 raw_email(subject=f"Re: {ticket.subject_tag}", body="Still broken."))
    services.inbound_messages_process(inbound_ids=ids)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.resolved_at is None
    assert ticket.events.filter(kind=TicketEvent.Kind.REOPENED).count() == 1


def test_batch_queries_do_not_grow_per_lookup(two_orgs, django_assert_max_num_queries):
    tickets = [TicketFactory.create(requester=two_orgs.maria) for _ in range(3)]
    ids = stored(*[raw_email(subject=f"Re: {tickets[n % 3].subject_tag} n{n}")
                   for n in range(30)])
    # Per message: INSERT message, INSERT event, UPDATE ticket; per batch: a few more.
    with django_assert_max_num_queries(3 * 30 + 8):
        services.inbound_messages_process(inbound_ids=ids)
    assert InboundMessage.objects.filter(status=Status.THREADED).count() == 30


def test_a_failing_message_rolls_the_batch_back_and_only_it_stays_pending(
        two_orgs, monkeypatch):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ids = stored(raw_email(subject=f"Re: {ticket.subject_tag}", body="Good one."),
                 raw_email(subject=f"Re: {ticket.subject_tag} poison", body="Bad one."),
                 raw_email(subject=f"Re: {ticket.subject_tag}", body="Good two."))
    real = services.reply_body

    def reply_body(parsed):
        if "poison" in parsed.subject:
            raise OSError("disk full")
        return real(parsed)

    monkeypatch.setattr(services, "reply_body", reply_body)
    with pytest.raises(OSError):
        services.inbound_messages_process(inbound_ids=ids)
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 0  # all or nothing
    alone = []
    monkeypatch.setattr(tasks.process_inbound, "apply_async",
                        lambda args, countdown: alone.append(args[0]))
    assert tasks.process_inbound_batch.apply(args=[ids]).get() == 2
    assert alone == [ids[1]]
    rows = {row.pk: row for row in InboundMessage.objects.filter(pk__in=ids)}
    assert rows[ids[1]].status == Status.PENDING and "disk full" in rows[ids[1]].last_error
    assert rows[ids[1]].attempts == 1
    assert {rows[ids[0]].status, rows[ids[2]].status} == {Status.THREADED}
    assert sorted(ticket.messages.filter(source=Message.Source.EMAIL)
                  .values_list("body", flat=True)) == ["Good one.", "Good two."]


def test_recording_an_error_counts_the_attempt(two_orgs):
    ids = stored(raw_email(subject="Re: anything"))
    services.inbound_message_record_error(inbound_id=ids[0], error="OSError('one')")
    row = services.inbound_message_record_error(inbound_id=ids[0], error="OSError('two')")
    assert row.status == Status.PENDING and row.attempts == 2 and row.last_error == "OSError('two')"


def test_a_message_failing_repeatedly_is_given_up_into_the_quarantine(two_orgs, settings,
                                                                      monkeypatch, mailoutbox):
    settings.MAIL_INBOUND_MAX_ATTEMPTS = 3
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ids = stored(raw_email(subject=f"Re: {ticket.subject_tag}"))
    monkeypatch.setattr(services, "reply_body",
                        lambda parsed: (_ for _ in ()).throw(OSError("disk full")))
    mailoutbox.clear()
    for _attempt in range(2):
        with pytest.raises(OSError):
            tasks._process_one(ids[0])
    assert InboundMessage.objects.get(pk=ids[0]).status == Status.PENDING
    with pytest.raises(OSError):
        tasks._process_one(ids[0])
    row = InboundMessage.objects.get(pk=ids[0])
    assert row.status == Status.QUARANTINED and row.reason == reasons.PROCESSING_FAILED
    assert row.attempts == 3 and "disk full" in row.last_error
    assert mailoutbox == []  # giving up sends no notice
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 0
    # Quarantined: an agent can still attach it (and the processing is never retried).
    assert tasks._process_one(ids[0]) == Status.QUARANTINED


def test_give_up_only_touches_pending_rows(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ids = stored(raw_email(subject=f"Re: {ticket.subject_tag}"))
    services.inbound_messages_process(inbound_ids=ids)
    row = services.inbound_message_give_up(inbound_id=ids[0])
    assert row.status == Status.THREADED
    assert services.inbound_message_give_up(inbound_id=987654) is None


def test_requeue_job_gives_up_rows_over_the_attempt_limit(two_orgs, settings, monkeypatch):
    settings.MAIL_INBOUND_MAX_ATTEMPTS = 5
    ids = stored(raw_email(subject="Re: poison"), raw_email(subject="Re: fine"))
    InboundMessage.objects.filter(pk=ids[0]).update(attempts=5)
    queued = []
    monkeypatch.setattr(tasks.process_inbound, "delay", queued.append)
    assert tasks.requeue_stale_inbound.apply(kwargs={"older_than_minutes": 0}).get() == 1
    assert queued == [ids[1]]
    row = InboundMessage.objects.get(pk=ids[0])
    assert row.status == Status.QUARANTINED and row.reason == reasons.PROCESSING_FAILED
