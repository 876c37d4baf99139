"""Ticket mail through the outbox: the OutboundMessage (with its signed Message-ID) and its
outbox task are written in the ticket change's transaction; sent after commit, once."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone

from mailgateway import outbound_services
from mailgateway.message_ids import message_id_ticket
from mailgateway.models import OutboundMessage
from mailgateway.tasks import send_ticket_notification
from outbox.models import OutboxEmail, OutboxTask
from tests.factories import TicketFactory
from tickets import services

pytestmark = pytest.mark.django_db


def test_the_ticket_and_its_email_row_commit_together(two_orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as hooks:
        with transaction.atomic():
            ticket = TicketFactory.create(requester=two_orgs.maria)
            row = OutboundMessage.objects.get(ticket=ticket)
            assert row.kind == "created" and row.sent_at is None
            assert message_id_ticket(row.header_message_id) == ticket.pk
            task = OutboxTask.objects.get(idempotency_key=f"ticket-mail:{row.header_message_id}")
            assert task.kwargs["header_message_id"] == row.header_message_id
            assert mail.outbox == []  # nothing leaves before the commit
    assert len(hooks) == 1
    row.refresh_from_db()
    assert row.sent_at is not None and row.send_attempts == 1
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [row.header_message_id]


def test_a_rolled_back_reply_records_no_email(two_orgs, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    before = OutboundMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="Hi",
                                         kind="agent", source="admin")
            assert OutboundMessage.objects.count() == before + 1
            raise RuntimeError
    assert OutboundMessage.objects.count() == before
    assert mail.outbox == []


def test_the_task_run_three_times_sends_once(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)  # row recorded, not sent
    task = OutboxTask.objects.get(name=outbound_services.SEND_TASK)
    for _ in range(3):
        send_ticket_notification.apply(kwargs=task.kwargs).get()
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.get(ticket=ticket).send_attempts == 1


def test_a_worker_killed_after_the_claim_sends_once_more_with_the_same_message_id(
        two_orgs, settings):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = OutboundMessage.objects.get(ticket=ticket)
    kwargs = OutboxTask.objects.get(name=outbound_services.SEND_TASK).kwargs
    OutboundMessage.objects.filter(pk=row.pk).update(  # claimed, then the worker died
        claimed_at=timezone.now() - dt.timedelta(seconds=5), send_attempts=1)
    assert send_ticket_notification.apply(kwargs=kwargs).get() == "busy"  # claim still fresh
    assert mail.outbox == []
    OutboundMessage.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - dt.timedelta(
        seconds=settings.OUTBOX_SEND_CLAIM_SECONDS + 1))
    for _ in range(2):
        send_ticket_notification.apply(kwargs=kwargs).get()
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [row.header_message_id]
    row.refresh_from_db()
    assert row.sent_at is not None and row.send_attempts == 2


def test_notices_are_recorded_in_the_change_transaction(two_orgs):
    from credits import services as credits_services

    credits_services.credit_debit(organization_id=two_orgs.globex.pk, minutes=1,
                                  idempotency_key="overdraw")  # not committed in this test
    email = OutboxEmail.objects.get()
    assert email.kind == "credits_negative_balance" and email.to_address == two_orgs.ana.email
    assert email.sent_at is None and mail.outbox == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent claims need real row locking (PostgreSQL)")
def test_concurrent_duplicates_of_the_task_send_once(two_orgs, settings):
    settings.EMAIL_BACKEND = "tests.support.mail_backends.SlowLocmemBackend"
    ticket = TicketFactory.create(requester=two_orgs.maria)  # autocommit: on-commit ran
    OutboundMessage.objects.filter(ticket=ticket).update(sent_at=None, claimed_at=None,
                                                         send_attempts=0)
    mail.outbox = []
    kwargs = OutboxTask.objects.get(name=outbound_services.SEND_TASK).kwargs
    barrier, outcomes = threading.Barrier(4), []

    def duplicate():
        try:
            barrier.wait()
            outcomes.append(send_ticket_notification.apply(kwargs=kwargs).get())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=duplicate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mail.outbox) == 1
    assert sorted(outcomes, key=str).count("busy") == 3
    assert OutboundMessage.objects.get(ticket=ticket).send_attempts == 1


def test_a_rolled_back_quarantine_leaves_the_notice_to_the_next_try(
        two_orgs, django_capture_on_commit_callbacks):
    from mailgateway import services as mail_services
    from tests.factories.mailgateway import raw_email

    row, _ = mail_services.inbound_message_store(
        raw=raw_email(from_addr="Stranger@Else.example", subject="question"), source="pipe")
    with pytest.raises(RuntimeError), transaction.atomic():  # e.g. a batch that failed
        mail_services.inbound_message_process(inbound_id=row.pk)
        assert OutboxEmail.objects.filter(kind="quarantine_notice").count() == 1
        raise RuntimeError
    with django_capture_on_commit_callbacks(execute=True):
        mail_services.inbound_message_process(inbound_id=row.pk)  # processed one by one
        mail_services.inbound_message_process(inbound_id=mail_services.inbound_message_store(
            raw=raw_email(from_addr="stranger@else.example", subject="again"),
            source="pipe")[0].pk)
    assert [m.to for m in mail.outbox] == [["stranger@else.example"]]  # once in the hour
