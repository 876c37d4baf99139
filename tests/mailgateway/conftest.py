import socket
import uuid

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Start every test with an empty cache, without flushing a shared Redis database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"mailgateway-tests-{uuid.uuid4().hex}"}}


@pytest.fixture(scope="session")
def dns_server():
    """One real DNS server (tests/support/mail_auth.py) for the session."""
    from tests.support.mail_auth import DnsTestServer

    server = DnsTestServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def dns_zone(dns_server, settings):
    """The gateway's sender checks ask the test DNS server, which starts every test
    empty (every name NXDOMAIN); a test publishes the records it needs."""
    dns_server.zone.clear()
    settings.MAIL_AUTH_DNS_SERVERS = [dns_server.address]
    settings.MAIL_AUTH_DNS_TIMEOUT_SECONDS = 2.0
    yield dns_server.zone
    dns_server.zone.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_listen():
    """Start SMTP listeners with the settings of the moment: smtp_listen() -> port."""
    from mailgateway.sources import smtp as smtp_source

    started = []

    def start() -> int:
        port = free_port()
        controller = smtp_source.smtp_controller(host="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()
