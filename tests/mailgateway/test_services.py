import pytest

from mailgateway import services
from mailgateway.inbound import reasons
from mailgateway.message_ids import message_id_make
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email
from tickets.models import Message

pytestmark = pytest.mark.django_db


def ingest(raw: bytes) -> InboundMessage:
    row, _created = services.inbound_message_store(raw=raw, source=InboundMessage.Source.PIPE)
    return services.inbound_message_process(inbound_id=row.pk)


def test_reply_with_tag_threads(two_orgs, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(subject=f"RE: {ticket.subject_tag} {ticket.subject}",
                               body="It works now.\n\nOn Mon, Maria wrote:\n> old text"))
    assert row.status == InboundMessage.Status.THREADED
    assert row.ticket == ticket
    assert row.ticket_message.body == "It works now."
    assert row.ticket_message.kind == Message.Kind.CUSTOMER
    assert row.ticket_message.source == Message.Source.EMAIL


def test_same_message_twice_is_stored_once(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_email(subject=f"Re: {ticket.subject_tag}", message_id="<dup-1@client.example>")
    first, created = services.inbound_message_store(raw=raw, source="pipe")
    second, created_again = services.inbound_message_store(raw=raw, source="smtp")
    assert created and not created_again and first.pk == second.pk
    services.inbound_message_process(inbound_id=first.pk)
    services.inbound_message_process(inbound_id=first.pk)
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 1


def test_message_without_message_id_twice(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    raw = raw_email(subject=f"Re: {ticket.subject_tag}", message_id=None)
    first, created = services.inbound_message_store(raw=raw, source="pipe")
    second, created_again = services.inbound_message_store(raw=raw.replace(b"\n", b"\r\n"),
                                                           source="pipe")
    assert created and not created_again and first.pk == second.pk
    assert first.header_message_id == ""


def test_signed_message_id_threads_without_tag(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    ours = message_id_make(ticket_id=ticket.pk)
    row = ingest(raw_email(subject="Re: your question", in_reply_to=ours, references=ours))
    assert row.status == InboundMessage.Status.THREADED and row.ticket == ticket
    assert row.reason == reasons.THREADED_BY_MESSAGE_ID


def test_forged_message_id_is_quarantined(two_orgs, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    forged = f"<t{ticket.pk}.0123456789abcdef.{'0' * 32}@helpdesk.example>"
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(subject="Re: hi", in_reply_to=forged))
    assert row.status == InboundMessage.Status.QUARANTINED
    assert row.reason == reasons.NO_REFERENCE
    assert row.ticket is None
    assert not ticket.messages.filter(source=Message.Source.EMAIL).exists()
