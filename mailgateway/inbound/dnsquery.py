"""DNS for the gateway's own sender checks (DKIM keys, SPF, DMARC records).

One dnspython resolver built from settings: MAIL_AUTH_DNS_SERVERS ("host" or "host:port";
empty: the system resolver) and MAIL_AUTH_DNS_TIMEOUT_SECONDS. dkimpy takes `dkim_txt` as
its `dnsfunc`; pyspf looks its records up through `spf_lookup` (installed as
`spf.DNSLookup`, the library's own hook for a DNS implementation).
"""

from __future__ import annotations

from functools import lru_cache

import dns.exception
import dns.resolver
import spf
from django.conf import settings


class DnsTempError(Exception):
    """The lookup could not be answered (timeout, no server): try again later."""


def resolver() -> dns.resolver.Resolver:
    servers = tuple(getattr(settings, "MAIL_AUTH_DNS_SERVERS", []) or [])
    return _resolver(servers, float(getattr(settings, "MAIL_AUTH_DNS_TIMEOUT_SECONDS", 5.0)))


@lru_cache(maxsize=8)
def _resolver(servers: tuple[str, ...], timeout: float) -> dns.resolver.Resolver:
    """One resolver per configuration (the system's reads /etc/resolv.conf once)."""
    result = dns.resolver.Resolver(configure=not servers)
    if servers:
        result.nameservers = [server.rsplit(":", 1)[0] if server.count(":") == 1 else server
                              for server in servers]
        ports = {server.rsplit(":", 1)[1] for server in servers if server.count(":") == 1}
        result.port = int(ports.pop()) if ports else 53
    result.lifetime = timeout
    result.timeout = timeout
    return result


def _answers(name: str, qtype: str):
    try:
        return list(resolver().resolve(name, qtype))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as error:
        raise DnsTempError(f"DNS {qtype} {name}: {error}") from error


def txt(name: str) -> list[str]:
    """The TXT records of `name` (each one's strings joined), [] when there are none."""
    return [b"".join(rdata.strings).decode("utf-8", "replace")
            for rdata in _answers(name, "TXT")]


def dkim_txt(name, timeout: float = 5):
    """dkimpy's `dnsfunc`: the first TXT record as bytes, None when there is none."""
    name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    found = _answers(name.rstrip("."), "TXT")
    return b"".join(found[0].strings) if found else None


def spf_lookup(name, qtype, strict=True, timeout=30):
    """pyspf's DNSLookup: [((name, qtype), value)] as its dnspython implementation."""
    try:
        found = _answers(name, qtype)
    except DnsTempError as error:
        raise spf.TempError(str(error)) from error
    values = []
    for rdata in found:
        if qtype in ("A", "AAAA"):
            values.append(((name, qtype), rdata.address))
        elif qtype == "MX":
            values.append(((name, qtype), (rdata.preference, rdata.exchange)))
        elif qtype == "PTR":
            values.append(((name, qtype), rdata.target.to_text(True)))
        elif qtype in ("TXT", "SPF"):
            values.append(((name, qtype), rdata.strings))
    return values


spf.DNSLookup = spf_lookup
