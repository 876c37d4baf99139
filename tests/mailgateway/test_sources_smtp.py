"""The local SMTP listener (aiosmtpd) stores each DATA as raw bytes before answering 250."""

import smtplib

import pytest

from mailgateway.models import InboundMessage
from mailgateway.sources import smtp as smtp_source
from tests.factories import TicketFactory
from tickets.models import Message

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def listener(smtp_listen):
    return smtp_listen()


def raw_reply(number: str, *, message_id: str = "<smtp-1@acme.example>") -> bytes:
    return (f"From: María <maria@acme.example>\r\nTo: support@helpdesk.example\r\n"
            f"Subject: RE: [#{number}] Audio\r\nMessage-ID: {message_id}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
            f"\r\nYa funciona, gracias.\r\n").encode()


def test_message_sent_with_smtplib_is_stored_raw_and_threaded(listener, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_reply(ticket.number)
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        refused = client.sendmail("maria@acme.example", ["support@helpdesk.example"], raw)
    assert refused == {}
    row = InboundMessage.objects.get()
    assert row.source == InboundMessage.Source.SMTP
    stored = bytes(row.raw)
    assert stored.startswith(b"Return-Path: <maria@acme.example>\r\n")
    assert stored.endswith(raw.rstrip(b"\r\n") + b"\r\n")
    assert "Ya funciona, gracias." in Message.objects.filter(ticket=ticket).last().body


def test_empty_envelope_sender_is_kept_as_an_empty_return_path(listener):
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        client.sendmail("<>", ["support@helpdesk.example"],
                        b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nbounce\r\n")
    assert bytes(InboundMessage.objects.get().raw).startswith(b"Return-Path: <>\r\n")


def test_storage_failure_answers_451_so_the_client_retries(listener, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(smtp_source, "inbound_accept", broken)
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as caught:
            client.sendmail("a@b.example", ["support@helpdesk.example"], b"Subject: x\r\n\r\nx\r\n")
    assert caught.value.smtp_code == 451
    assert InboundMessage.objects.count() == 0


def test_existing_return_path_is_not_doubled():
    raw = b"Return-Path: <x@y.example>\r\nSubject: s\r\n\r\nbody\r\n"
    assert smtp_source.with_return_path(raw, "other@z.example") == raw
    lf = smtp_source.with_return_path(b"Subject: s\n\nbody\n", "a@b.example")
    assert lf == b"Return-Path: <a@b.example>\nSubject: s\n\nbody\n"
