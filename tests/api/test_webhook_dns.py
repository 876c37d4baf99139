"""Webhook deliveries and DNS rebinding, against a real DNS server (dnslib, as the mail
authentication tests use) whose answer changes from one lookup to the next: a delivery
resolves the host once, checks every address, connects to a checked one (never to a
second lookup's answer) and keeps the host name for the Host header, the TLS SNI and the
certificate check."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.factories import OrganizationFactory
from tests.support.mail_auth import DnsTestServer, self_signed_certificate
from webhooks import services
from webhooks.models import Event, WebhookDelivery

pytestmark = pytest.mark.django_db
HOST = "hooks.example.test"


class Receiver:
    """An HTTP(S) server on `address` that keeps each request's headers and TLS SNI."""

    def __init__(self, address: str, port: int = 0, *, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.sni: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer((address, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def dns_server():
    server = DnsTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def zone(dns_server, settings):
    dns_server.zone.clear()
    settings.WEBHOOK_DNS_SERVERS = [dns_server.address]
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    yield dns_server.zone
    dns_server.zone.clear()


def a_lookups(zone) -> int:
    return zone.queries.count((HOST, "A"))


def deliver(url: str) -> WebhookDelivery:
    organization = OrganizationFactory()
    services.webhook_endpoint_create(actor=None, organization_id=organization.pk, url=url,
                                     events=[Event.TICKET_CREATED])
    services.webhook_deliveries_record(event=Event.TICKET_CREATED,
                                       organization_id=organization.pk, data={})
    delivery = WebhookDelivery.objects.get(endpoint__organization=organization)
    try:
        services.webhook_delivery_attempt(delivery_id=delivery.pk)
    except services.DeliveryFailed:
        pass
    delivery.refresh_from_db()
    return delivery


def test_the_registration_answer_is_public_the_deliverys_is_loopback(zone, settings):
    """The classic rebinding: public while the URL is checked, loopback when it is used."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    inside = Receiver("127.0.0.1")
    try:
        zone.a_sequence(HOST, ["93.184.215.14", "127.0.0.1"])
        delivery = deliver(f"http://{HOST}:{inside.port}/hook")
    finally:
        inside.close()
    assert inside.requests == []
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 1
    assert delivery.last_error == str(services.URL_PRIVATE)
    assert a_lookups(zone) == 2  # one at the registration, one at the attempt


def test_one_private_address_among_public_ones_is_refused(zone, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    zone.a(HOST, "93.184.215.14")
    zone.a(HOST, "10.0.0.7")
    assert services.url_problems(f"https://{HOST}/hook") == [services.URL_PRIVATE]


def test_the_connection_goes_to_the_address_that_was_checked(zone, settings):
    """Loopback allowed here (the test's receivers): the attempt's one lookup answers
    127.0.0.1, any later one 127.0.0.2. The request must reach 127.0.0.1."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    checked = Receiver("127.0.0.1")
    other = Receiver("127.0.0.2", checked.port)
    try:
        zone.a_sequence(HOST, ["127.0.0.1", "127.0.0.1", "127.0.0.2"])
        delivery = deliver(f"http://{HOST}:{checked.port}/hook?x=1")
    finally:
        checked.close()
        other.close()
    assert delivery.status == WebhookDelivery.Status.DELIVERED, delivery.last_error
    assert other.requests == []
    assert [r["Host"] for r in checked.requests] == [f"{HOST}:{checked.port}"]
    assert a_lookups(zone) == 2  # the registration's and the attempt's: no second lookup


def test_tls_names_the_host_and_checks_its_certificate(zone, settings, tmp_path,
                                                       monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    cert, key = self_signed_certificate(tmp_path, host=HOST, name="hook")
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # the receiver's certificate is trusted
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    receiver = Receiver("127.0.0.1", tls=context)
    try:
        zone.a(HOST, "127.0.0.1")
        zone.a("impostor.example.test", "127.0.0.1")
        delivered = deliver(f"https://{HOST}:{receiver.port}/hook")
        refused = deliver(f"https://impostor.example.test:{receiver.port}/hook")
    finally:
        receiver.close()
    assert delivered.status == WebhookDelivery.Status.DELIVERED, delivered.last_error
    assert receiver.sni[0] == HOST
    assert [r["Host"] for r in receiver.requests] == [f"{HOST}:{receiver.port}"]
    assert refused.status == WebhookDelivery.Status.PENDING
    assert "certificate" in refused.last_error.lower()  # issued to another name
