import re
import uuid

import pytest
from django.core.files.base import ContentFile

from tests.factories import TicketFactory, department, upload
from tickets import exceptions as exc
from tickets import services
from tickets.models import Attachment, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"^[A-Z]{3}-\d{3}-\d{5}$")


def test_ticket_create_gives_a_number_of_the_documented_format(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload(), upload("b.log")])
    assert NUMBER.match(ticket.number)
    assert ticket.organization == two_orgs.acme
    assert ticket.status == Ticket.Status.NEW
    assert Attachment.objects.filter(message__ticket=ticket).count() == 2
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED]


def test_same_submission_key_creates_one_ticket(two_orgs):
    key = uuid.uuid4()
    first = TicketFactory.create(requester=two_orgs.maria, submission_key=key)
    second = TicketFactory.create(requester=two_orgs.maria, submission_key=key)
    assert first.pk == second.pk
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("subject,body,expected", [
    ("", "text", exc.SUBJECT_REQUIRED),
    ("Subject", "   ", exc.MESSAGE_REQUIRED),
])
def test_empty_subject_or_message_saves_nothing(two_orgs, subject, body, expected):
    with pytest.raises(exc.InvalidTicketInput) as caught:
        services.ticket_create(requester=two_orgs.maria, department=department("sipstation-general"),
                               subject=subject, body=body)
    assert str(expected) in caught.value.messages
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("name,content", [
    ("empty.txt", b""),
    ("virus.exe", b"MZ"),
    ("../etc/passwd", b"x"),
    ("C:\\temp\\x.txt", b"x"),
])
def test_refused_attachments_save_nothing(two_orgs, name, content):
    with pytest.raises(exc.AttachmentRejected):
        TicketFactory.create(requester=two_orgs.maria, files=[ContentFile(content, name=name)])
    assert Ticket.objects.count() == 0


def test_customer_reply_reopens_a_resolved_ticket(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    services.ticket_resolve(ticket=ticket, actor=two_orgs.maria)
    services.ticket_reply_create(ticket=ticket, author=two_orgs.maria, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.events.filter(kind=TicketEvent.Kind.REOPENED).count() == 1


def test_confirmation_email_is_written_after_commit(two_orgs, settings,
                                                   django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "helpdesk.mail_backends.EmlFileBackend"
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory.create(requester=two_orgs.maria)
    files = list(settings.MAIL_OUTBOX_DIR.glob("*.eml"))
    assert len(files) == 1
    raw = files[0].read_bytes().decode()
    assert f"[#{ticket.number}]" in raw
    assert "To: maria@acme.example" in raw


def test_reply_on_a_ticket_the_caller_locked_updates_that_instance(two_orgs,
                                                                   django_assert_num_queries):
    from django.db import transaction

    from tickets.models import Message

    ticket = TicketFactory.create(requester=two_orgs.maria)
    services.ticket_resolve(ticket=ticket, actor=two_orgs.agent)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        # No re-read, no savepoint, no attachment sum: the message, two events (message,
        # reopened), the ticket's changed fields; and the reopened email recorded with the
        # change: the requester's address, its OutboundMessage row and its outbox task;
        # the webhook endpoints that want the event (webhooks.receivers: from the
        # configuration memo where Redis keeps its generation, else one query).
        from django.conf import settings

        with django_assert_num_queries(7 if settings.CONFIG_MEMO else 8):
            services.ticket_reply_create(ticket=locked, author=two_orgs.maria, body="Again.",
                                         ticket_locked=True)
        assert locked.status == Ticket.Status.OPEN  # the caller's instance, up to date
        services.ticket_reply_create(ticket=locked, author=two_orgs.maria, body="More.",
                                     ticket_locked=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.resolved_at is None
    assert ticket.events.filter(kind=TicketEvent.Kind.REOPENED).count() == 1
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == 3


def test_reply_saves_only_the_ticket_fields_it_changes(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    stale = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(subject="Renamed meanwhile")
    services.ticket_reply_create(ticket=stale, author=two_orgs.maria, body="Hi")
    ticket.refresh_from_db()
    assert ticket.subject == "Renamed meanwhile"


def test_audit_events_are_append_only(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    event = ticket.events.get()
    event.data = {"forged": True}
    with pytest.raises(exc.TicketEventImmutable) as caught:
        event.save()
    assert caught.value.messages == [exc.TICKET_EVENT_IMMUTABLE]
    assert ticket.events.get().data != {"forged": True}


def test_another_contacts_submission_key_opens_a_new_ticket_with_a_new_key(two_orgs):
    key = uuid.uuid4()
    marias = TicketFactory.create(requester=two_orgs.maria, submission_key=key)
    anas = services.ticket_create(requester=two_orgs.ana,
                                  department=department("sipstation-general"),
                                  subject="Mine", body="m", submission_key=key)
    assert anas.pk != marias.pk and anas.requester == two_orgs.ana
    assert anas.submission_key != key
