"""Participants: who may add and remove them (the requester on the site, an agent in the
workspace), whom (active contacts of the ticket's organization), each change audited."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from tests.factories import StaffFactory, TicketFactory, UserFactory
from tests.tickets.agent_setup import make_agent
from tickets import exceptions as exc
from tickets import participant_services as ps
from tickets.models import TicketEvent, TicketParticipant

pytestmark = pytest.mark.django_db
Source = TicketParticipant.Source


def _events(ticket, kind):
    return list(ticket.events.filter(kind=kind).values_list("actor__email", "data"))


def test_requester_adds_and_removes_a_colleague_with_an_audit_trail(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    participant, created = ps.ticket_participant_add(ticket=ticket, contact=two_orgs.maria,
                                                     actor=two_orgs.juan, source=Source.SITE)
    assert created and participant.added_by == two_orgs.juan
    again, created = ps.ticket_participant_add(ticket=ticket, contact=two_orgs.maria,
                                               actor=two_orgs.juan, source=Source.SITE)
    assert not created and again == participant
    assert _events(ticket, TicketEvent.Kind.PARTICIPANT_ADDED) == [
        ("juan@acme.example", {"contact_id": two_orgs.maria.pk, "email": "maria@acme.example",
                               "source": "site"})]
    ps.ticket_participant_remove(ticket=ticket, contact=two_orgs.maria, actor=two_orgs.juan,
                                 source=Source.SITE)
    assert not ticket.participants.exists()
    assert _events(ticket, TicketEvent.Kind.PARTICIPANT_REMOVED) == [
        ("juan@acme.example", {"contact_id": two_orgs.maria.pk, "email": "maria@acme.example",
                               "source": "site"})]
    with pytest.raises(exc.ParticipantRefused) as error:
        ps.ticket_participant_remove(ticket=ticket, contact=two_orgs.maria,
                                     actor=two_orgs.juan, source=Source.SITE)
    assert error.value.messages == [str(exc.PARTICIPANT_NOT_FOUND)]


@pytest.mark.parametrize("who, message", [
    ("ana", exc.PARTICIPANT_OTHER_ORGANIZATION),
    ("agent", exc.PARTICIPANT_OTHER_ORGANIZATION),
    ("inactive", exc.PARTICIPANT_INACTIVE),
    ("requester", exc.PARTICIPANT_IS_REQUESTER),
])
def test_only_active_contacts_of_the_organization_may_follow(two_orgs, who, message):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    contact = {"ana": two_orgs.ana, "agent": two_orgs.agent, "requester": two_orgs.juan,
               "inactive": UserFactory(organization=two_orgs.acme, is_active=False)}[who]
    with pytest.raises(exc.ParticipantRefused) as error:
        ps.ticket_participant_add(ticket=ticket, contact=contact, actor=two_orgs.juan,
                                  source=Source.SITE)
    assert error.value.messages == [str(message)]
    assert not ticket.participants.exists() and not ticket.events.filter(
        kind=TicketEvent.Kind.PARTICIPANT_ADDED).exists()


def test_only_the_requester_or_an_agent_may_change_participants(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    colleague = UserFactory(organization=two_orgs.acme)
    for actor, source in ((two_orgs.maria, Source.SITE), (colleague, Source.SITE),
                          (two_orgs.agent, Source.AGENT),  # staff outside the Agents group
                          (two_orgs.agent, Source.SITE), (two_orgs.juan, Source.AGENT)):
        with pytest.raises(exc.ParticipantRefused):
            ps.ticket_participant_add(ticket=ticket, contact=colleague, actor=actor,
                                      source=source)
    make_agent(two_orgs.agent)
    agent = type(two_orgs.agent).objects.get(pk=two_orgs.agent.pk)  # fresh permission cache
    _participant, created = ps.ticket_participant_add(ticket=ticket, contact=colleague,
                                                      actor=agent, source=Source.AGENT)
    assert created


def test_one_row_per_ticket_and_contact(two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    TicketParticipant.objects.create(ticket=ticket, contact=two_orgs.maria, source=Source.SITE)
    with pytest.raises(IntegrityError):
        TicketParticipant.objects.create(ticket=ticket, contact=two_orgs.maria,
                                         source=Source.AGENT)


def test_requester_adds_and_removes_on_the_ticket_page(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    client.force_login(two_orgs.juan)
    detail = reverse("tickets:detail", args=[ticket.number])
    page = client.get(detail).text
    assert 'name="contact"' in page and "maria@acme.example" in page
    assert "ana@globex.example" not in page
    response = client.post(reverse("tickets:participant_add", args=[ticket.number]),
                           {"contact": two_orgs.maria.pk})
    assert response.status_code == 302 and response.url == detail
    assert list(ticket.participants.values_list("contact__email", "source")) == [
        ("maria@acme.example", "site")]
    # Another organization's contact is not a choice: nothing is added.
    client.post(reverse("tickets:participant_add", args=[ticket.number]),
                {"contact": two_orgs.ana.pk})
    assert ticket.participants.count() == 1
    assert 'data-participant="maria@acme.example"' in client.get(detail).text
    client.post(reverse("tickets:participant_remove", args=[ticket.number]),
                {"contact": two_orgs.maria.pk})
    assert not ticket.participants.exists()


def test_org_admin_sees_the_list_but_may_not_change_it(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    other = UserFactory(organization=two_orgs.acme, email="carla@acme.example")
    client.force_login(two_orgs.maria)
    assert 'name="contact"' not in client.get(
        reverse("tickets:detail", args=[ticket.number])).text
    client.post(reverse("tickets:participant_add", args=[ticket.number]),
                {"contact": other.pk})
    assert not ticket.participants.exists()


def test_other_organization_gets_404_on_participant_urls(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.juan)
    client.force_login(two_orgs.ana)
    for name in ("tickets:participant_add", "tickets:participant_remove"):
        assert client.post(reverse(name, args=[ticket.number]),
                           {"contact": two_orgs.ana.pk}).status_code == 404
    assert not ticket.participants.exists()


def test_agent_adds_and_removes_in_the_workspace(client, two_orgs):
    make_agent(two_orgs.agent)
    ticket = TicketFactory.create(requester=two_orgs.juan)
    client.force_login(two_orgs.agent)
    url = reverse("admin:desk_ticket", args=[ticket.pk])
    add = reverse("admin:desk_action", args=[ticket.pk, "participant_add"])
    remove = reverse("admin:desk_action", args=[ticket.pk, "participant_remove"])
    assert 'value="participant_add"' in client.get(url).text
    assert client.post(add, {"action": "participant_add",
                             "contact": two_orgs.maria.pk}).status_code == 302
    assert list(ticket.participants.values_list("contact__email", "source", "added_by")) == [
        ("maria@acme.example", "agent", two_orgs.agent.pk)]
    assert 'data-participant="maria@acme.example"' in client.get(url).text
    assert client.post(remove, {"action": "participant_remove",
                                "contact": two_orgs.maria.pk}).status_code == 302
    assert not ticket.participants.exists()
    assert ticket.events.filter(kind=TicketEvent.Kind.PARTICIPANT_REMOVED,
                                actor=two_orgs.agent).exists()


def test_staff_without_change_permission_cannot_add_in_the_workspace(client, two_orgs):
    viewer = StaffFactory()
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    ticket = TicketFactory.create(requester=two_orgs.juan)
    client.force_login(viewer)
    url = reverse("admin:desk_action", args=[ticket.pk, "participant_add"])
    assert client.post(url, {"action": "participant_add",
                             "contact": two_orgs.maria.pk}).status_code == 403
    assert not ticket.participants.exists()


def test_a_large_organization_is_asked_by_email_not_listed(client, two_orgs, monkeypatch):
    """Beyond PARTICIPANT_CHOICES_MAX candidates a page asks for the colleague's email
    address (the site and the desk), instead of drawing every contact on every ticket."""
    from tickets import selectors

    monkeypatch.setattr(selectors, "PARTICIPANT_CHOICES_MAX", 1)
    carla = UserFactory(organization=two_orgs.acme, email="carla@acme.example")
    ticket = TicketFactory.create(requester=two_orgs.juan)  # candidates: María and Carla
    client.force_login(two_orgs.juan)
    detail = reverse("tickets:detail", args=[ticket.number])
    page = client.get(detail).text
    assert 'name="email"' in page and 'name="contact"' not in page
    assert "carla@acme.example" not in page
    add = reverse("tickets:participant_add", args=[ticket.number])
    client.post(add, {"email": "ana@globex.example"})  # another organization's: refused
    client.post(add, {"email": " CARLA@acme.example "})
    assert list(ticket.participants.values_list("contact__email", flat=True)) == [carla.email]

    make_agent(two_orgs.agent)
    client.force_login(two_orgs.agent)
    monkeypatch.setattr(selectors, "PARTICIPANT_CHOICES_MAX", 0)
    desk = client.get(reverse("admin:desk_ticket", args=[ticket.pk])).text
    assert 'type="email" name="email"' in desk and "maria@acme.example" not in desk
    client.post(reverse("admin:desk_action", args=[ticket.pk, "participant_add"]),
                {"action": "participant_add", "email": "maria@acme.example"})
    assert ticket.participants.count() == 2
