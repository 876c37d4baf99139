"""Threading rules (mailgateway/inbound/thread.py, identify.py)."""

import pytest

from mailgateway.inbound import identify, parse, thread
from mailgateway.message_ids import message_id_make
from tests.factories import TicketFactory
from tests.factories.mailgateway import raw_email


@pytest.mark.parametrize("subject, number", [
    ("RE: [#KXJ-482-19375] audio", "KXJ-482-19375"),
    ("re: re: [#kxj-482-19375]", "KXJ-482-19375"),
    ("AW: [ # KXJ - 482 - 19375 ] x", "KXJ-482-19375"),
    ("[External] RV: Fwd: [#KXJ-482-19375]", "KXJ-482-19375"),
    ("KXJ-482-19375 without brackets", None),
    ("[#KXJ-482-1937] too short", None),
    ("", None),
])
def test_subject_number(subject, number):
    assert thread.subject_number(subject) == number


def test_newest_signed_reference_wins(two_orgs):
    old = TicketFactory.create(requester=two_orgs.maria)
    new = TicketFactory.create(requester=two_orgs.maria)
    old_id, new_id = message_id_make(ticket_id=old.pk), message_id_make(ticket_id=new.pk)
    raw = raw_email(references=f"{old_id} <x@y.example> {new_id}")
    parsed = parse.parse_message(raw)
    assert thread.signed_ticket_id(thread.reference_ids(parsed)) == new.pk
    raw = raw_email(in_reply_to=old_id, references=f"{new_id} {old_id}")
    assert thread.signed_ticket_id(thread.reference_ids(parse.parse_message(raw))) == old.pk


def test_sender_is_from_never_reply_to():
    parsed = parse.parse_message(raw_email(from_addr="Real <Real@Sender.Example>",
                                           headers={"Reply-To": "boss@acme.example"}))
    assert identify.sender_address(parsed) == "real@sender.example"


def test_sender_may_write(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    may = thread.sender_may_write
    assert may(ticket=ticket, address="juan@acme.example", user=None)
    assert may(ticket=ticket, address="maria@acme.example", user=two_orgs.maria)
    assert not may(ticket=ticket, address="ana@globex.example", user=two_orgs.ana)
    assert not may(ticket=ticket, address="", user=None)


def test_sender_access_names_the_refusing_rule(two_orgs):
    from accounts.models import User
    from tests.factories import UserFactory
    from tickets import access

    ticket = TicketFactory.create(requester=two_orgs.maria)
    colleague = UserFactory(organization=two_orgs.acme, email="carla@acme.example")
    gone = UserFactory(organization=two_orgs.acme, email="gone@acme.example")
    User.objects.filter(pk=gone.pk).update(is_active=False)

    def reason(address):
        user = identify.SenderUser(address)
        return thread.sender_access(ticket=ticket, address=address, user=user).reason

    assert reason("maria@acme.example") == access.REQUESTER
    assert reason(colleague.email) == access.NOT_PARTICIPANT
    assert reason("gone@acme.example") == access.INACTIVE  # looked up among inactive ones
    assert reason("ana@globex.example") == access.OTHER_ORGANIZATION
    assert reason("agent@helpdesk.example") == access.STAFF
    assert reason("someone@else.example") == access.NO_USER
    assert reason("") == access.NO_USER
