"""API v1 for customers: the same rules as the pages, through a personal access token."""

from __future__ import annotations

import pytest

from tests.factories import TicketFactory, upload
from tests.factories.credits import book
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def test_open_a_ticket_with_an_attachment_reply_and_resolve(two_orgs, api_for):
    api = api_for(two_orgs.juan)
    response = api.post("/api/v1/tickets/", {
        "department": "sipstation-general", "subject": "  One-way   audio ",
        "message": "Since Monday.", "attachments": [upload("trace.txt")]},
        format="multipart", HTTP_IDEMPOTENCY_KEY="first-try")
    assert response.status_code == 201, response.json()
    data = response.json()
    number = data["number"]
    assert data["subject"] == "One-way audio"
    attachment = data["messages"][0]["attachments"][0]
    assert attachment["original_name"] == "trace.txt"
    assert api.get(attachment["download_url"]).status_code == 200
    again = api.post("/api/v1/tickets/", {
        "department": "sipstation-general", "subject": "One-way audio",
        "message": "Since Monday."}, format="multipart", HTTP_IDEMPOTENCY_KEY="first-try")
    assert again.status_code == 200 and again.json()["number"] == number
    assert Ticket.objects.filter(requester=two_orgs.juan).count() == 1
    ticket = Ticket.objects.get(number=number)
    assert ticket.messages.get().source == Message.Source.API

    reply = api.post(f"/api/v1/tickets/{number}/messages/", {"body": "More logs",
                     "attachments": [upload("more.txt")]}, format="multipart")
    assert reply.status_code == 201, reply.json()
    assert reply.json()["attachments"][0]["original_name"] == "more.txt"
    assert api.post(f"/api/v1/tickets/{number}/resolve/").json()["status"] == "resolved"
    history = api.get(f"/api/v1/tickets/{number}/").json()["history"]
    # The page's timeline: the reply is told, the customer's words and any internals are not.
    assert [e["kind"] for e in history] == ["created", "message_added", "resolved"]
    assert history[1]["text"] == "Replied by Juan Pérez."
    api.post(f"/api/v1/tickets/{number}/messages/", {"body": "Back again"})
    assert Ticket.objects.get(number=number).status != "resolved"


def test_the_wizard_rules_apply(two_orgs, api_for):
    api = api_for(two_orgs.juan)
    response = api.post("/api/v1/tickets/", {"department": "sipstation-general",
                                             "subject": " ", "message": "x"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert {e["attr"] for e in body["errors"]} == {"subject"}
    refused = api.post("/api/v1/tickets/", {"department": "sipstation-general",
                                            "subject": "s", "message": "m",
                                            "attachments": [upload("x.exe")]},
                       format="multipart")
    assert refused.status_code == 400 and "exe" in str(refused.json())
    assert not Ticket.objects.exists()


def test_list_filters_are_validated(two_orgs, api_for):
    TicketFactory.create(requester=two_orgs.juan, subject="Echo on calls")
    api = api_for(two_orgs.juan)
    assert [t["subject"] for t in api.get("/api/v1/tickets/?q=echo").json()["results"]] == [
        "Echo on calls"]
    assert api.get("/api/v1/tickets/?status=resolved").json()["results"] == []
    assert api.get("/api/v1/tickets/?status=closed").status_code == 400
    assert api.get("/api/v1/tickets/?created_after=yesterday").status_code == 400


def test_errors_in_the_users_language(two_orgs, api_for):
    two_orgs.juan.language = "es"
    two_orgs.juan.save()
    api = api_for(two_orgs.juan)
    response = api.post("/api/v1/tickets/", {"department": "sipstation-general",
                                             "subject": "", "message": "x"})
    assert response.status_code == 400
    assert "Este campo" in str(response.json()) or "asunto" in str(response.json())


def test_balance_and_ledger_for_organization_admins_only(two_orgs, api_for):
    book(two_orgs.acme, 300)
    admin, colleague = api_for(two_orgs.maria), api_for(two_orgs.juan)
    assert admin.get("/api/v1/credits/").json()["balance_minutes"] == 300
    assert admin.get("/api/v1/credits/ledger/").json()["results"][0]["minutes"] == 300
    assert admin.get("/api/v1/credits/ledger.csv").status_code == 200
    assert colleague.get("/api/v1/credits/").status_code == 404
    order = admin.post("/api/v1/credits/bundles/", {"minutes": 120}, format="json")
    assert order.status_code == 201 and order.json()["status"] == "pending"
    assert admin.post("/api/v1/credits/bundles/", {"minutes": 7}, format="json"
                      ).status_code == 400
    card = admin.post("/api/v1/credits/cards/redeem/", {"number": "1", "code": "2"},
                      format="json")
    assert card.status_code == 400


def test_scopes_and_revocation(two_orgs, api_for):
    from accounts import api_tokens

    reader = api_for(two_orgs.juan, scopes=["read"])
    assert reader.get("/api/v1/tickets/").status_code == 200
    refused = reader.post("/api/v1/tickets/", {}, format="json")
    assert refused.status_code == 403
    token = two_orgs.juan.api_tokens.get()
    api_tokens.api_token_revoke(user=two_orgs.juan, token_id=token.pk)
    assert reader.get("/api/v1/tickets/").status_code == 401


def test_departments_with_decision_and_fields(two_orgs, api_for):
    data = {d["code"]: d for d in api_for(two_orgs.ana).get("/api/v1/departments/").json()}
    assert data["sipstation-general"]["decision"]["allowed"] is True
    config = data["pbxact-ucc-configuration"]
    assert config["decision"]["allowed"] is False
    assert [r["code"] for r in config["decision"]["reasons"]] == ["no_credits"]
    assert api_for(two_orgs.ana).get("/api/v1/departments/?deployment=NOPE").status_code == 404
