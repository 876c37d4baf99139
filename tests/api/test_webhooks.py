"""Outgoing webhooks: registered through the API, recorded with the ticket's change,
delivered after commit by the Celery task (in-process here) to a real HTTP server, signed
with HMAC-SHA256, logged with the response, retried then given up, never to a private
address unless the setting allows it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.factories import TicketFactory
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self, status: int = 200):
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def test_private_addresses_are_refused_by_default(two_orgs, api_for):
    response = api_for(two_orgs.maria).post("/api/v1/webhooks/", {
        "url": "http://127.0.0.1:9/hook", "events": ["ticket.created"]}, format="json")
    assert response.status_code == 400
    assert "public addresses" in str(response.json())


def test_a_signed_delivery_for_a_new_ticket(settings, two_orgs, api_for, receiver,
                                            django_capture_on_commit_callbacks):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    admin = api_for(two_orgs.maria)
    created = admin.post("/api/v1/webhooks/", {"url": receiver.url,
                                               "events": ["ticket.created"]}, format="json")
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert "secret" not in admin.get("/api/v1/webhooks/").json()["results"][0]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = TicketFactory.create(requester=two_orgs.juan, subject="Hook me")
    with django_capture_on_commit_callbacks(execute=True):
        TicketFactory.create(requester=two_orgs.ana, subject="Not Acme's")
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    timestamp, digest = [part.split("=", 1)[1]
                         for part in headers["X-Helpdesk-Signature"].split(",")]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(digest, expected.hexdigest())
    payload = json.loads(body)
    assert payload["event"] == "ticket.created"
    assert payload["data"]["ticket"]["number"] == ticket.number
    deliveries = admin.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").json()
    assert [(d["status"], d["response_status"], d["response_body"])
            for d in deliveries["results"]] == [("delivered", 200, "thanks")]
    assert api_for(two_orgs.ana).get(
        f"/api/v1/webhooks/{created.json()['id']}/deliveries/").status_code == 404


def test_failures_are_retried_then_given_up(settings, two_orgs, api_for,
                                            django_capture_on_commit_callbacks):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    failing = Receiver(status=500)
    try:
        api_for(two_orgs.maria).post("/api/v1/webhooks/", {
            "url": failing.url, "events": ["ticket.created"]}, format="json")
        with django_capture_on_commit_callbacks(execute=True):
            TicketFactory.create(requester=two_orgs.juan)
    finally:
        failing.close()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.response_status == 500
    assert delivery.attempts == len(failing.requests) > 1
