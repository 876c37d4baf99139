"""The send service: idempotent per Message-ID, rate-limited automatic mail, recorded."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from mailgateway import outbound_services
from mailgateway.message_ids import message_id_make
from mailgateway.models import OutboundMessage
from mailgateway.tasks import send_ticket_notification
from tests.factories import TicketFactory
from tickets import services
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(two_orgs):
    return TicketFactory.create(requester=two_orgs.maria)  # confirmation not run (no commit)


def test_same_message_id_is_sent_once(ticket):
    header = message_id_make(ticket_id=ticket.pk)
    for _ in range(3):
        send_ticket_notification.apply(kwargs={"kind": "resolved", "ticket_id": ticket.pk,
                                               "header_message_id": header}).get()
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.filter(header_message_id=header).count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.MAIL_SENT).count() == 1


def test_a_ticket_message_is_emailed_once_even_when_queued_twice(ticket, two_orgs):
    reply = services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="Done.",
                                         kind="agent", source="admin", notify=False)
    for _ in range(2):
        outbound_services.outbound_message_send(
            kind="agent_reply", ticket_id=ticket.pk, message_id=reply.pk,
            header_message_id=message_id_make(ticket_id=ticket.pk))
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.filter(ticket_message=reply).count() == 1


def test_failed_send_is_retried_with_the_same_message_id(ticket, settings, monkeypatch):
    header = message_id_make(ticket_id=ticket.pk)
    calls = []

    def flaky_send(self, fail_silently=False):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionRefusedError("ESP down")
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", flaky_send)
    with pytest.raises(ConnectionRefusedError):
        outbound_services.outbound_message_send(kind="reopened", ticket_id=ticket.pk,
                                                header_message_id=header)
    row = OutboundMessage.objects.get(header_message_id=header)
    assert row.sent_at is None
    outbound_services.outbound_message_send(kind="reopened", ticket_id=ticket.pk,
                                            header_message_id=header)
    row.refresh_from_db()
    assert row.sent_at is not None and len(calls) == 2


def test_automatic_mail_is_rate_limited_and_the_suppression_recorded(ticket):
    for _ in range(12):
        outbound_services.outbound_message_send(
            kind="reopened", ticket_id=ticket.pk,
            header_message_id=message_id_make(ticket_id=ticket.pk))
    assert len(mail.outbox) == 10
    suppressed = OutboundMessage.objects.filter(
        ticket=ticket, failure_reason=outbound_services.REASON_RATE_LIMITED)
    assert suppressed.count() == 2 and not suppressed.filter(sent_at__isnull=False).exists()
    failed = ticket.events.filter(kind=TicketEvent.Kind.MAIL_FAILED)
    assert failed.count() == 2
    assert {e.data["reason"] for e in failed} == {"rate_limited"}


def test_rate_limit_window_slides_and_agent_replies_are_not_limited(ticket, two_orgs):
    for _ in range(10):
        outbound_services.outbound_message_send(
            kind="reopened", ticket_id=ticket.pk,
            header_message_id=message_id_make(ticket_id=ticket.pk))
    reply = services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="Hi",
                                         kind="agent", source="admin", notify=False)
    outbound_services.outbound_message_send(kind="agent_reply", ticket_id=ticket.pk,
                                            message_id=reply.pk)
    assert len(mail.outbox) == 11
    OutboundMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=11))
    outbound_services.outbound_message_send(
        kind="resolved", ticket_id=ticket.pk,
        header_message_id=message_id_make(ticket_id=ticket.pk))
    assert len(mail.outbox) == 12


def test_unknown_kind_is_refused(ticket):
    with pytest.raises(ValueError):
        outbound_services.outbound_message_send(kind="newsletter", ticket_id=ticket.pk)
