"""One access rule, three channels: every role × channel (web, API, mail) × ticket state
gets the answer of tickets.access — the requester, participants and the organization's
admins may read and write; a plain colleague, an inactive contact (even one added as a
participant), another organization's contact, an agent (on the customer channels) and an
unknown sender may not, and a refused request changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts.models import User
from mailgateway import services as mail_services
from mailgateway.inbound import reasons
from mailgateway.models import InboundMessage
from tests.factories import StaffFactory, TicketFactory, UserFactory
from tests.factories.mailgateway import raw_email
from tickets import access, participant_services
from tickets import services as ticket_services
from tickets.models import Message, Ticket, TicketParticipant

pytestmark = pytest.mark.django_db

UNKNOWN = "nobody@nowhere.example"
# role: (the policy's reason, allowed)
EXPECTED = {
    "requester": (access.REQUESTER, True),
    "participant": (access.PARTICIPANT, True),
    "org_admin": (access.ORG_ADMIN, True),
    "colleague": (access.NOT_PARTICIPANT, False),
    "inactive": (access.INACTIVE, False),
    "other_org": (access.OTHER_ORGANIZATION, False),
    "agent": (access.STAFF, False),
    "anonymous": (access.NO_USER, False),
}
STATES = ("open", "waiting", "resolved")


@dataclass
class World:
    ticket: Ticket
    users: dict


def _ticket_in(state: str, requester, agent) -> Ticket:
    ticket = TicketFactory.create(requester=requester)
    ticket_services.ticket_status_change(ticket=ticket, actor=agent, status=Ticket.Status.OPEN)
    if state == "waiting":
        ticket_services.agent_reply_create(ticket=ticket, agent=agent, body="Try this.")
    elif state == "resolved":
        ticket_services.ticket_resolve(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    return ticket


def world(two_orgs, state: str) -> World:
    acme = two_orgs.acme
    carla = UserFactory(email="carla@acme.example", organization=acme)
    pedro = UserFactory(email="pedro@acme.example", organization=acme)
    ines = UserFactory(email="ines@acme.example", organization=acme)
    ticket = _ticket_in(state, carla, two_orgs.agent)
    for contact in (pedro, ines):
        participant_services.ticket_participant_add(
            ticket=ticket, contact=contact, actor=carla,
            source=TicketParticipant.Source.SITE)
    User.objects.filter(pk=ines.pk).update(is_active=False)  # deactivated afterwards
    ines.refresh_from_db()
    users = {"requester": carla, "participant": pedro, "org_admin": two_orgs.maria,
             "colleague": two_orgs.juan, "inactive": ines, "other_org": two_orgs.ana,
             "agent": two_orgs.agent, "anonymous": None}
    return World(ticket=ticket, users=users)


def _snapshot(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return (ticket.status, ticket.updated_at, ticket.messages.count(), ticket.events.count())


def _login(client, user) -> None:
    if user is not None:
        client.force_login(user)


def web_answer(client, ticket: Ticket, user) -> tuple[bool, bool]:
    """(may read, wrote). Refused: 404 as for a missing ticket, or the login page for
    whoever is not signed in (anonymous; an inactive account's session is not one)."""
    _login(client, user)
    detail = reverse("tickets:detail", args=[ticket.number])
    read = client.get(detail)
    write = client.post(reverse("tickets:reply", args=[ticket.number]),
                        {"message": "From the site."})
    for response in (read, write):
        if response.status_code == 302 and response.url != detail:
            assert response.url.startswith(reverse("accounts:login"))
        else:
            assert response.status_code in (200, 302, 404)
    return read.status_code == 200, write.status_code == 302 and write.url == detail


def api_answer(client, ticket: Ticket, user) -> tuple[bool, bool]:
    _login(client, user)
    read = client.get(reverse("api-ticket-detail", args=[ticket.number]))
    write = client.post(reverse("api-ticket-reply", args=[ticket.number]),
                        {"body": "From the API."}, content_type="application/json")
    assert read.status_code in (200, 401, 403, 404)
    assert write.status_code in (201, 401, 403, 404)
    # API v1 reads under the same rule.
    v1 = client.get(reverse("api-v1-ticket", args=[ticket.number]))
    assert (v1.status_code == 200) == (read.status_code == 200)
    return read.status_code == 200, write.status_code == 201


def mail_answer(ticket: Ticket, user) -> tuple[bool, str]:
    address = user.email if user is not None else UNKNOWN
    row, _created = mail_services.inbound_message_store(
        raw=raw_email(from_addr=address, subject=f"Re: {ticket.subject_tag} {ticket.subject}",
                      body="From my mail client."),
        source=InboundMessage.Source.PIPE)
    row = mail_services.inbound_message_process(inbound_id=row.pk)
    assert row.status in (InboundMessage.Status.THREADED, InboundMessage.Status.QUARANTINED)
    return row.status == InboundMessage.Status.THREADED, row.reason


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_channel_gives_the_policy_answer(client, two_orgs, role, state, mailoutbox):
    w = world(two_orgs, state)
    user, (reason, allowed) = w.users[role], EXPECTED[role]
    policy = access.ticket_may_write(user=user, ticket=w.ticket)
    assert (policy.allowed, policy.reason) == (allowed, reason)
    assert access.ticket_may_read(user=user, ticket=w.ticket) == policy
    listed = user is not None and access.tickets_visible_to(user=user).filter(
        pk=w.ticket.pk).exists()
    assert listed == allowed

    before = _snapshot(w.ticket)
    answers = {"web": web_answer(client, w.ticket, user)}
    if not allowed:
        assert _snapshot(w.ticket) == before, "a refused web request changed the ticket"
    client.logout()
    answers["api"] = api_answer(client, w.ticket, user)
    if not allowed:
        assert _snapshot(w.ticket) == before, "a refused API request changed the ticket"
    threaded, mail_reason = mail_answer(w.ticket, user)
    assert answers == {"web": (allowed, allowed), "api": (allowed, allowed)}
    assert threaded == allowed
    if allowed:
        w.ticket.refresh_from_db()
        assert w.ticket.status == Ticket.Status.OPEN  # a customer reply reopens / reopens
        assert w.ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == 4
    else:
        assert mail_reason == reasons.SENDER_REFUSED[reason]
        assert _snapshot(w.ticket) == before, "a refused mail changed the ticket"


def test_my_tickets_lists_a_ticket_for_its_participant(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, subject="Trunk flapping")
    client.force_login(two_orgs.juan)
    assert ticket.number not in client.get(reverse("tickets:my_tickets")).text
    participant_services.ticket_participant_add(ticket=ticket, contact=two_orgs.juan,
                                                actor=two_orgs.maria,
                                                source=TicketParticipant.Source.SITE)
    assert ticket.number in client.get(reverse("tickets:my_tickets")).text
    api = client.get(reverse("api-ticket-list")).json()
    assert [t["number"] for t in api["results"]] == [ticket.number]


def test_staff_with_an_organization_is_still_refused_on_customer_channels(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    staff = StaffFactory(organization=two_orgs.acme)
    assert access.ticket_may_write(user=staff, ticket=ticket).reason == access.STAFF
    assert not access.tickets_visible_to(user=staff).exists()


@pytest.mark.parametrize("state", STATES)
def test_agents_write_in_the_workspace_under_the_agents_permissions(client, two_orgs, state):
    """The agent's channel is the workspace: the Agents group may reply in any state; staff
    without the permission are refused there too, and nothing changes."""
    from django.contrib.auth.models import Group

    ticket = _ticket_in(state, two_orgs.maria, two_orgs.agent)
    url = reverse("admin:desk_action", args=[ticket.pk, "reply"])
    client.force_login(two_orgs.agent)
    before = _snapshot(ticket)
    assert client.post(url, {"action": "reply", "kind": "reply", "send_anyway": "on",
                             "body": "Without the group."}).status_code == 403
    assert _snapshot(ticket) == before
    two_orgs.agent.groups.add(Group.objects.get(name="Agents"))
    client.force_login(type(two_orgs.agent).objects.get(pk=two_orgs.agent.pk))
    response = client.post(url, {"action": "reply", "kind": "reply", "body": "From us.",
                                 "send_anyway": "on"})
    assert response.status_code == 302
    assert ticket.messages.filter(kind=Message.Kind.AGENT, body="From us.").exists()
