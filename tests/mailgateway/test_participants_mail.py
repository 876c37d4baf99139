"""Mail and participants: the requester's Cc adds same-organization contacts; participants
get the ticket's emails in Cc; whoever may not write is quarantined with the rule's reason,
and the notice reveals nothing."""

from __future__ import annotations

import pytest

from accounts.models import User
from mailgateway import services
from mailgateway.inbound import reasons
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory, UserFactory
from tests.factories.mailgateway import raw_email
from tickets import participant_services
from tickets import services as ticket_services
from tickets.models import Message, Ticket, TicketEvent, TicketParticipant

pytestmark = pytest.mark.django_db


def ingest(raw: bytes) -> InboundMessage:
    row, _created = services.inbound_message_store(raw=raw, source=InboundMessage.Source.PIPE)
    return services.inbound_message_process(inbound_id=row.pk)


def test_requester_cc_adds_same_organization_contacts_only(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    gone = UserFactory(organization=two_orgs.acme, email="gone@acme.example", is_active=False)
    cc = (f"Juan <JUAN@acme.example>, ana@globex.example, {gone.email}, "
          f"{two_orgs.agent.email}, stranger@else.example, support@helpdesk.example")
    row = ingest(raw_email(subject=f"Re: {ticket.subject_tag}", headers={"Cc": cc}))
    assert row.status == InboundMessage.Status.THREADED
    assert list(ticket.participants.values_list("contact__email", "source", "added_by")) == [
        ("juan@acme.example", TicketParticipant.Source.EMAIL_CC, two_orgs.maria.pk)]
    event = ticket.events.get(kind=TicketEvent.Kind.PARTICIPANT_ADDED)
    assert event.actor == two_orgs.maria and event.data["source"] == "email_cc"
    # Juan may now write by mail.
    reply = ingest(raw_email(from_addr="juan@acme.example", subject=f"Re: {ticket.subject_tag}"))
    assert reply.status == InboundMessage.Status.THREADED


def test_cc_from_anyone_but_the_requester_adds_nobody(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    carla = UserFactory(organization=two_orgs.acme, email="carla@acme.example")
    row = ingest(raw_email(from_addr="maria@acme.example",  # org admin: may write ...
                           subject=f"Re: {ticket.subject_tag}", headers={"Cc": carla.email}))
    assert row.status == InboundMessage.Status.THREADED
    assert not ticket.participants.exists()  # ... but only the requester's Cc adds


def test_colleague_mail_on_marias_ticket_is_quarantined_and_does_not_reopen(
        two_orgs, mailoutbox, django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Secret trunk outage")
    ticket_services.ticket_resolve(ticket=ticket, actor=two_orgs.maria)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        row = ingest(raw_email(from_addr="juan@acme.example",
                               subject=f"Re: {ticket.subject_tag} {ticket.subject}"))
    assert (row.status, row.reason) == (InboundMessage.Status.QUARANTINED,
                                        reasons.SENDER_NOT_PARTICIPANT)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert [m.to for m in mailoutbox] == [["juan@acme.example"]]
    notice = mailoutbox[0]
    for secret in (ticket.number, ticket.subject, "María", "maria@acme.example"):
        assert secret not in notice.subject + notice.body


def test_deactivated_requester_mail_is_quarantined(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    ticket_services.ticket_resolve(ticket=ticket, actor=two_orgs.juan)
    User.objects.filter(pk=two_orgs.juan.pk).update(is_active=False)
    row = ingest(raw_email(from_addr="juan@acme.example", subject=f"Re: {ticket.subject_tag}"))
    assert (row.status, row.reason) == (InboundMessage.Status.QUARANTINED,
                                        reasons.SENDER_INACTIVE)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.messages.filter(source=Message.Source.EMAIL).count() == 0


def test_participants_get_the_tickets_emails_in_cc(two_orgs, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    gone = UserFactory(organization=two_orgs.acme, email="gone@acme.example")
    for contact in (two_orgs.juan, gone):
        participant_services.ticket_participant_add(
            ticket=ticket, contact=contact, actor=two_orgs.maria,
            source=TicketParticipant.Source.SITE)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.agent_reply_create(ticket=ticket, agent=two_orgs.agent, body="Fixed.")
    assert [(m.to, m.cc) for m in mailoutbox] == [(["maria@acme.example"],
                                                   ["juan@acme.example"])]


def test_reason_labels_are_bilingual():
    from django.utils import translation

    with translation.override("es"):
        label = reasons.label(reasons.SENDER_NOT_PARTICIPANT + " — agent@helpdesk.example")
    assert label != reasons.SENDER_NOT_PARTICIPANT and label.endswith(
        " — agent@helpdesk.example")
    with translation.override("en"):
        assert reasons.label(reasons.SENDER_INACTIVE) == reasons.SENDER_INACTIVE
