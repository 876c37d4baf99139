"""API v1 for agents: the desk's queue and ticket, replies and notes, time, changes, the
quarantine; the same services and permissions as the workspace."""

from __future__ import annotations

import pytest

from credits.selectors import credit_balance_minutes
from mailgateway import services as mail_services
from mailgateway.models import InboundMessage
from tests.factories import TicketFactory, upload
from tests.factories.mailgateway import raw_email
from tests.tickets.agent_setup import freepbx_configuration_ticket, make_agent
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_api(two_orgs, api_for):
    return api_for(make_agent(two_orgs.agent))


def test_queue_filters_and_search(two_orgs, agent_api):
    TicketFactory.create(requester=two_orgs.maria, subject="Echo on trunk")
    TicketFactory.create(requester=two_orgs.ana, subject="Fax fails")
    rows = agent_api.get("/api/v1/agent/tickets/?q=echo").json()["results"]
    assert [r["subject"] for r in rows] == ["Echo on trunk"]
    rows = agent_api.get("/api/v1/agent/tickets/?organization=Globex").json()["results"]
    assert [r["subject"] for r in rows] == ["Fax fails"]
    assert agent_api.get("/api/v1/agent/tickets/?assignee=none").json()["results"]
    assert agent_api.get("/api/v1/agent/tickets/?status=bogus").status_code == 400
    assert agent_api.get("/api/v1/agent/tickets/?assignee=someone").status_code == 400
    assert agent_api.get("/api/v1/agent/tickets/?product=x").status_code == 400


def test_note_reply_time_and_changes(two_orgs, agent_api, api_for):
    paid = freepbx_configuration_ticket(two_orgs)
    number = paid.ticket.number
    url = f"/api/v1/agent/tickets/{number}/"
    note = agent_api.post(url + "messages/", {"body": "Check the trunk", "internal": True,
                                              "attachments": [upload("n.txt")]},
                          format="multipart")
    assert note.status_code == 201 and note.json()["kind"] == "note"
    assert agent_api.get(note.json()["attachments"][0]["download_url"]).status_code == 200
    reply = agent_api.post(url + "messages/", {"body": "Fixed?"})
    assert reply.json()["kind"] == "agent"
    customer_view = api_for(two_orgs.maria).get(f"/api/v1/tickets/{number}/").json()
    assert [m["kind"] for m in customer_view["messages"]] == ["customer", "agent"]
    before = credit_balance_minutes(organization_id=two_orgs.acme.pk)
    entry = agent_api.post(url + "time/", {"minutes": 30, "note": "call"}, format="json")
    assert entry.status_code == 201
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == before - 30
    reversal = agent_api.post(url + f"time/{entry.json()['id']}/reverse/",
                              {"reason": "wrong ticket"}, format="json")
    assert reversal.status_code == 201 and reversal.json()["minutes"] == -30
    assert credit_balance_minutes(organization_id=two_orgs.acme.pk) == before
    assert agent_api.post(url + "time/", {"minutes": 0}, format="json").status_code == 400

    changed = agent_api.patch(url, {"status": "on_hold", "priority": 4,
                                    "assignee": two_orgs.agent.pk}, format="json")
    assert changed.status_code == 200, changed.json()
    ticket = Ticket.objects.get(number=number)
    assert (ticket.status, ticket.priority, ticket.assignee_id) == ("on_hold", 4,
                                                                    two_orgs.agent.pk)
    data = agent_api.get(url).json()
    assert {"assigned", "priority_changed", "status_changed", "time_logged"} <= {
        e["kind"] for e in data["events"]}
    assert [m["kind"] for m in data["messages"]] == ["customer", "note", "agent"]
    assert agent_api.patch(url, {"assignee": two_orgs.maria.pk}, format="json"
                           ).status_code == 400


def test_contacts_and_plain_staff_get_404_like_a_missing_page(two_orgs, api_for):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    maria = api_for(two_orgs.maria)
    missing = maria.get("/api/v1/no-such-page/")
    for url in ("/api/v1/agent/tickets/", "/api/v1/agent/overview/",
                f"/api/v1/agent/tickets/{ticket.number}/merge/", "/api/v1/billing/credits/"):
        response = maria.post(url, {}, format="json")
        assert response.status_code == missing.status_code == 404, url
        assert response.json()["type"] == "client_error"
    plain_staff = api_for(two_orgs.agent)  # staff, not in the Agents group
    assert plain_staff.get(f"/api/v1/agent/tickets/{ticket.number}/").status_code == 404
    read_only = api_for(make_agent(two_orgs.agent), scopes=["read"])  # the role, not the scope
    assert read_only.post(f"/api/v1/agent/tickets/{ticket.number}/messages/",
                          {"body": "x"}).status_code == 403


def test_quarantine_actions(two_orgs, agent_api):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    row, _ = mail_services.inbound_message_store(
        raw=raw_email(from_addr="stranger@example.net", subject="Help"),
        source=InboundMessage.Source.PIPE)
    mail_services.inbound_message_process(inbound_id=row.pk)
    listed = agent_api.get("/api/v1/agent/quarantine/").json()["results"]
    assert [r["id"] for r in listed] == [row.pk]
    assert "reply_text" in agent_api.get(f"/api/v1/agent/quarantine/{row.pk}/").json()
    assert agent_api.post(f"/api/v1/agent/quarantine/{row.pk}/attach/",
                          {"ticket_number": "nope"}, format="json").status_code == 400
    done = agent_api.post(f"/api/v1/agent/quarantine/{row.pk}/attach/",
                          {"ticket_number": f"[#{ticket.number}]"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "attached"
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == 2
    assert agent_api.post(f"/api/v1/agent/quarantine/{row.pk}/discard/", {},
                          format="json").status_code == 404
