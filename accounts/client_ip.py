"""The client's IP address, the one rule every throttle and log line uses.

REMOTE_ADDR is the client unless it is one of settings.TRUSTED_PROXIES (addresses or
networks, e.g. the TLS proxy in front of gunicorn). Only then is X-Forwarded-For read, from
the right: each trusted proxy appends the address it received the request from, so the
rightmost hop that is not itself a trusted proxy is the client. Anything to its left was
written by the client and is never believed (a client cannot choose its own address by
sending X-Forwarded-For). A hop that is not an IP address ends the walk at the proxy that
forwarded it."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address

from django.conf import settings

UNKNOWN = "unknown"


def _address(value: str):
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address, networks: list[IPv4Network | IPv6Network]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = settings.TRUSTED_PROXIES
    if not networks or not _trusted(_address(remote), networks):
        return remote or UNKNOWN
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    client = remote
    for hop in reversed([hop for hop in hops if hop]):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _trusted(address, networks):
            break
    return client
