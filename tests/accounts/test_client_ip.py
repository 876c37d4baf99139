"""The client's address: X-Forwarded-For believed only from trusted proxies, rightmost
untrusted hop wins; the login throttle keys on it."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.client_ip import client_ip

PROXY = "10.0.0.5"


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/8"), ip_network("2001:db8::/32")]


def request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_peer_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(proxies):
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_forwarded_client_is_used(proxies):
    assert client_ip(request(PROXY, "198.51.100.1")) == "198.51.100.1"


def test_the_rightmost_untrusted_hop_wins(proxies):
    # The client wrote "1.2.3.4" itself; the proxy appended what it saw (198.51.100.1);
    # an inner trusted proxy (10.1.1.1) appended its own peer.
    assert client_ip(request(PROXY, "1.2.3.4, 198.51.100.1, 10.1.1.1")) == "198.51.100.1"


def test_only_trusted_hops_give_the_leftmost(proxies):
    assert client_ip(request(PROXY, "10.9.9.9, 10.1.1.1")) == "10.9.9.9"


def test_a_garbage_hop_stops_at_the_proxy(proxies):
    assert client_ip(request(PROXY, "198.51.100.1, not-an-ip")) == PROXY


def test_ipv6_proxy_and_client(proxies):
    assert client_ip(request("2001:db8::1", "2001:db9::77")) == "2001:db9::77"


def test_no_forwarded_header_from_a_proxy_is_the_proxy(proxies):
    assert client_ip(request(PROXY)) == PROXY


def _login(client, *, email: str, password: str, remote: str, forwarded: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password},
                       REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
def test_login_throttle_behind_a_trusted_proxy_keys_on_the_real_client(client, two_orgs,
                                                                        proxies, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    email = two_orgs.maria.email
    attacker, customer = "198.51.100.66", "198.51.100.77"
    for _ in range(3):
        _login(client, email=email, password="wrong", remote=PROXY, forwarded=attacker)
    refused = _login(client, email=email, password=two_orgs.password, remote=PROXY,
                     forwarded=attacker)
    assert "Too many failed attempts" in refused.content.decode()
    # The same proxy, another client: not throttled by the attacker's failures.
    allowed = _login(client, email=email, password=two_orgs.password, remote=PROXY,
                     forwarded=customer)
    assert allowed.status_code == 302


@pytest.mark.django_db
def test_an_untrusted_client_cannot_spoof_forwarded_for(client, two_orgs, proxies, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    email, attacker = two_orgs.maria.email, "203.0.113.66"
    for n in range(3):
        _login(client, email=email, password="wrong", remote=attacker,
               forwarded=f"198.51.100.{n + 1}")
    refused = _login(client, email=email, password=two_orgs.password, remote=attacker,
                     forwarded="198.51.100.200")
    assert "Too many failed attempts" in refused.content.decode()


def test_proxy_headers_are_believed_only_from_trusted_proxies_when_some_are_set(proxies):
    from accounts.client_ip import proxy_headers_believed

    assert proxy_headers_believed(request(PROXY))
    assert proxy_headers_believed(request("2001:db8::1"))
    assert not proxy_headers_believed(request("203.0.113.9"))
    assert not proxy_headers_believed(request("not-an-address"))


def test_without_trusted_proxies_proxy_headers_are_left_to_their_settings(settings):
    from accounts.client_ip import proxy_headers_believed

    settings.TRUSTED_PROXIES = []
    assert proxy_headers_believed(request("203.0.113.9"))
