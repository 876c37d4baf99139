import pytest
from django.urls import reverse

from tests.factories import TicketFactory, upload
from tickets import services
from tickets.models import Message

pytestmark = pytest.mark.django_db


def test_api_lists_visible_tickets_with_a_status_filter(client, two_orgs,
                                                        django_assert_max_num_queries):
    open_ticket = TicketFactory.create(requester=two_orgs.maria)
    done = TicketFactory.create(requester=two_orgs.juan)
    services.ticket_resolve(ticket=done, actor=two_orgs.juan)
    TicketFactory.create(requester=two_orgs.ana)
    client.force_login(two_orgs.maria)
    with django_assert_max_num_queries(6):
        everything = client.get(reverse("api-ticket-list")).json()
    assert {t["number"] for t in everything["results"]} == {open_ticket.number, done.number}
    resolved = client.get(reverse("api-ticket-list") + "?status=resolved").json()
    assert [t["number"] for t in resolved["results"]] == [done.number]


def test_api_detail_has_the_customer_visible_conversation(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria, files=[upload("a.txt")])
    services.ticket_reply_create(ticket=ticket, author=two_orgs.agent, body="internal",
                                 kind=Message.Kind.NOTE)
    client.force_login(two_orgs.maria)
    data = client.get(reverse("api-ticket-detail", args=[ticket.number])).json()
    assert [m["kind"] for m in data["messages"]] == ["customer"]
    assert data["messages"][0]["attachments"][0]["original_name"] == "a.txt"


def test_api_requires_login_and_hides_other_organizations(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    # 401 with WWW-Authenticate: Bearer since the personal access tokens (API v1)
    assert client.get(reverse("api-ticket-list")).status_code == 401
    client.force_login(two_orgs.ana)
    assert client.get(reverse("api-ticket-detail", args=[ticket.number])).status_code == 404


def test_api_reply_reopens_and_is_recorded_as_api(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    services.ticket_resolve(ticket=ticket, actor=two_orgs.maria)
    client.force_login(two_orgs.maria)
    url = reverse("api-ticket-reply", args=[ticket.number])
    response = client.post(url, {"body": "  Still broken.  "}, content_type="application/json")
    assert response.status_code == 201 and response.json()["body"] == "Still broken."
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.messages.order_by("id").last().source == Message.Source.API


def test_api_reply_needs_a_body_and_changes_nothing_without_one(client, two_orgs):
    ticket = TicketFactory.create(requester=two_orgs.maria)
    client.force_login(two_orgs.maria)
    response = client.post(reverse("api-ticket-reply", args=[ticket.number]), {"body": "  "},
                           content_type="application/json")
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["body"]
    assert ticket.messages.count() == 1


def test_api_reply_enforces_csrf_on_the_session(two_orgs):
    from django.test import Client

    ticket = TicketFactory.create(requester=two_orgs.maria)
    client = Client(enforce_csrf_checks=True)
    client.force_login(two_orgs.maria)
    response = client.post(reverse("api-ticket-reply", args=[ticket.number]), {"body": "x"},
                           content_type="application/json")
    assert response.status_code == 403
    assert ticket.messages.count() == 1
