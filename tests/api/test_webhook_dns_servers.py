"""WEBHOOK_DNS_SERVERS: IPv4 and IPv6 servers, each with its own port (53 by default)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from webhooks import services


@pytest.mark.parametrize(("text", "server"), [
    ("10.0.0.2", ("10.0.0.2", 53)),
    ("10.0.0.2:5353", ("10.0.0.2", 5353)),
    ("fd00::53", ("fd00::53", 53)),
    ("[fd00::53]", ("fd00::53", 53)),
    ("[fd00::53]:5300", ("fd00::53", 5300)),
    (" 2001:db8::1 ", ("2001:db8::1", 53)),
])
def test_each_form_is_parsed(text, server):
    assert services.dns_server_parse(text) == server


@pytest.mark.parametrize("text", ["", "resolver.example", "10.0.0.2:", "10.0.0.2:x",
                                  "10.0.0.2:70000", "[fd00::53", "[10.0.0.2]:53",
                                  "fd00::53:5300:zz", "[fd00::53]5300"])
def test_anything_else_is_refused(text):
    with pytest.raises(ImproperlyConfigured):
        services.dns_server_parse(text)


def test_every_server_keeps_its_port(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    resolver = services._dns_resolver(["[fd00::53]:5300", "10.0.0.2", "fd00::54"])
    assert [(n.address, n.port) for n in resolver.nameservers] == [
        ("fd00::53", 5300), ("10.0.0.2", 53), ("fd00::54", 53)]
