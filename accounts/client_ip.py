"""The client's IP address, the one rule every throttle and log line uses.

REMOTE_ADDR is the client unless it is one of settings.TRUSTED_PROXIES (addresses or
networks, e.g. the TLS proxy in front of gunicorn). Only then is X-Forwarded-For read, from
the right: each trusted proxy appends the address it received the request from, so the
rightmost hop that is not itself a trusted proxy is the client. Anything to its left was
written by the client and is never believed (a client cannot choose its own address by
sending X-Forwarded-For). A hop that is not an IP address ends the walk at the proxy that
forwarded it.

The same rule decides the other headers a proxy writes about the request (the scheme,
SECURE_PROXY_SSL_HEADER's X-Forwarded-Proto, and X-Request-ID): with TRUSTED_PROXIES set
they are believed only from one of them (helpdesk.middleware.ProxyHeadersMiddleware drops
them from any other peer); with it empty, SECURE_PROXY_SSL_HEADER and
REQUEST_ID_TRUST_HEADER alone decide."""

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


def peer_is_trusted_proxy(request) -> bool:
    """REMOTE_ADDR is one of settings.TRUSTED_PROXIES."""
    networks = settings.TRUSTED_PROXIES
    return bool(networks) and _trusted(_address(request.META.get("REMOTE_ADDR", "") or ""),
                                       networks)


def proxy_headers_believed(request) -> bool:
    """Whether a proxy's headers about the request (scheme, request id) may be read: from a
    trusted proxy when TRUSTED_PROXIES is set, from any peer when it is empty."""
    return not settings.TRUSTED_PROXIES or peer_is_trusted_proxy(request)


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = settings.TRUSTED_PROXIES
    if not peer_is_trusted_proxy(request):
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
