"""Mail the review found mishandled: a multipart body without its boundary, a From with a
name and no address, one message relayed twice without a Message-ID, a different message
reusing a Message-ID; and the quarantine notice's Message-ID and wording."""

import pytest

from mailgateway import services
from mailgateway.inbound import notice, parse, reasons
from mailgateway.models import InboundMessage
from outbox.models import OutboxEmail
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tests.mailgateway.corpus import corpus_dir

pytestmark = pytest.mark.django_db
Status = InboundMessage.Status


def ingest(raw: bytes, *, batch: bool = False) -> InboundMessage:
    if batch:
        [pk] = services.inbound_messages_store(raws=[raw], source="pipe")
        services.inbound_messages_process(inbound_ids=[pk])
        return InboundMessage.objects.get(pk=pk)
    row, _created = services.inbound_message_store(raw=raw, source="pipe")
    return services.inbound_message_process(inbound_id=row.pk)


def without_boundary(number: str) -> bytes:
    return (f"From: María <maria@acme.example>\r\nTo: support@helpdesk.example\r\n"
            f"Subject: RE: [#{number}] Impresora\r\nMessage-ID: <nob-1@acme.example>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="never-used"; charset=utf-8\r\n'
            "\r\nLa impresora sigue sin imprimir en la planta 3.\r\nGracias, María\r\n"
            ).encode()


def test_multipart_without_its_boundary_keeps_the_words(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row = ingest(without_boundary(ticket.number))
    assert row.status == Status.THREADED
    assert "La impresora sigue sin imprimir en la planta 3." in row.ticket_message.body
    assert "no text" not in row.ticket_message.body


def test_corpus_multipart_with_a_broken_boundary_keeps_its_text():
    """A real message (mikel-mail corpus) whose boundary parameter was mangled in transit:
    the text is still read (the MIME lines come with it; better than losing the words)."""
    raw = (corpus_dir() / "mikel-mail/spec/fixtures/emails/mime_emails/raw_email7.eml"
           ).read_bytes()
    original = parse.parse_message(raw)
    if not original.message.is_multipart():
        pytest.skip("corpus message is not multipart")
    boundary = original.message.get_boundary().encode()
    broken = raw.replace(b'boundary="' + boundary + b'"', b'boundary="gone"', 1) \
        .replace(b"boundary=" + boundary, b"boundary=gone", 1)
    words = original.text.strip().splitlines()[0]
    assert words and words in parse.parse_message(broken).text


@pytest.mark.parametrize("batch", [False, True])
def test_from_with_a_name_but_no_address_is_quarantined(two_orgs, batch):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_email(from_addr="María García", subject=f"RE: {ticket.subject_tag}")
    row = ingest(raw, batch=batch)
    assert (row.status, row.reason) == (Status.QUARANTINED, reasons.NO_SENDER)
    assert not row.is_automatic
    # No From at all stays what it was: a mail system's message.
    row = ingest(b"To: support@helpdesk.example\r\nSubject: report\r\n\r\nx\r\n", batch=batch)
    assert row.status == Status.AUTOMATIC


def relayed(raw: bytes, relay: str) -> bytes:
    return (f"Received: from {relay} ([192.0.2.7]) by mx.helpdesk.example; "
            f"Wed, 25 Nov 2026 10:00:0{len(relay) % 10} +0000\r\n"
            f"Delivered-To: support@helpdesk.example\r\n").encode() + raw


@pytest.mark.parametrize("batch", [False, True])
def test_same_mail_without_message_id_via_two_relays_threads_once(two_orgs, batch):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_email(subject=f"RE: {ticket.subject_tag}", body="Una vez.", message_id=None)
    first = ingest(relayed(raw, "relay-a.example"), batch=batch)
    services.inbound_message_store(raw=relayed(raw, "relay-b.example").replace(b"\r\n", b"\n"),
                                   source="imap")
    services.inbound_messages_store(raws=[relayed(raw, "relay-c.example")], source="imap")
    assert first.status == Status.THREADED
    assert InboundMessage.objects.count() == 1
    assert ticket.messages.filter(body="Una vez.").count() == 1


@pytest.mark.parametrize("batch", [False, True])
def test_different_message_reusing_a_message_id_is_kept_for_an_agent(two_orgs, batch):
    """Stored, flagged and quarantined (not threaded): a Message-ID is meant to be unique,
    so reuse is a broken client or a crafted message; an agent attaches it if genuine."""
    ticket = TicketFactory.create(requester=two_orgs.maria)
    subject = f"RE: {ticket.subject_tag}"
    first = ingest(raw_email(subject=subject, body="Primero.", message_id="<same@x.example>"),
                   batch=batch)
    again = raw_email(subject=subject, body="Segundo, distinto.", message_id="<same@x.example>")
    second = ingest(again, batch=batch)
    assert first.status == Status.THREADED and first.pk != second.pk
    assert (second.status, second.reason) == (Status.QUARANTINED, reasons.MESSAGE_ID_REUSED)
    assert second.message_id_reused and b"Segundo" in bytes(second.raw)
    # Delivered again, each of the two is still one row.
    services.inbound_message_store(raw=again, source="imap")
    services.inbound_messages_store(raws=[again, again], source="imap")
    assert InboundMessage.objects.count() == 2
    assert ticket.messages.filter(body__contains="Segundo").count() == 0


def test_quarantine_notice_has_our_message_id_and_the_sites_button(
        two_orgs, django_capture_on_commit_callbacks, settings, mailoutbox):
    settings.MAIL_MESSAGE_ID_DOMAIN = "soporte.acme-helpdesk.example"
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(subject="Hola, sin número"))
    assert row.status == Status.QUARANTINED
    recorded = OutboxEmail.objects.get(kind=notice.NOTICE_KIND)
    assert recorded.header_message_id.endswith("@soporte.acme-helpdesk.example>")
    assert "«Enviar un Ticket»" in recorded.body_text
    assert '"Submit a Ticket"' in recorded.body_text
    assert "Crear ticket" not in recorded.body_text
    [sent] = mailoutbox
    assert sent.extra_headers["Message-ID"] == recorded.header_message_id
    assert "localhost" not in sent.message()["Message-ID"]
