"""Outgoing webhooks: register and remove endpoints, record a delivery for every endpoint
that wants an event (inside the transaction of the change: outbox task, sent after commit),
and attempt a delivery: signed POST, response logged, never to a loopback, private,
link-local or reserved address unless settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES.

DNS rebinding: each attempt resolves the host once (the system's resolver, or the servers
of settings.WEBHOOK_DNS_SERVERS), checks every address it got, and connects to a checked
address itself (urllib3, no second lookup), while the Host header, the TLS SNI and the
certificate check stay on the URL's host name."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from urllib.parse import urlsplit

import dns.exception
import dns.nameserver
import dns.resolver
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog import config_memo
from outbox.services import outbox_task_record

from .models import Event, WebhookDelivery, WebhookEndpoint

SIGNATURE_HEADER = "X-Helpdesk-Signature"  # t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">
EVENT_HEADER = "X-Helpdesk-Event"
DELIVERY_HEADER = "X-Helpdesk-Delivery"
MAX_ENDPOINTS_PER_ORGANIZATION = 10
RESPONSE_KEPT_CHARS = 2000

URL_INVALID = _("Enter an http or https URL.")
URL_PRIVATE = _("This address is not reachable from the internet (loopback, private or "
                "reserved): webhooks are only sent to public addresses.")
URL_UNRESOLVED = _("This host name could not be resolved.")
EVENTS_REQUIRED = _("Choose at least one event.")
TOO_MANY_ENDPOINTS = _("This organization already has %(limit)s webhooks.")


class WebhookError(Exception):
    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = [str(m) for m in messages]


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx (or could not be reached): retried with backoff."""


DNS_PORT = 53
DNS_SERVER_INVALID = ("WEBHOOK_DNS_SERVERS: %r is not an IP address with an optional port "
                      "(10.0.0.2, 10.0.0.2:5353, fd00::53, [fd00::53]:5353).")


def dns_server_parse(text: str) -> tuple[str, int]:
    """One WEBHOOK_DNS_SERVERS entry: "v4", "v4:port", "v6", "[v6]" or "[v6]:port"."""
    text = text.strip()
    if text.startswith("["):
        address, bracket, rest = text[1:].partition("]")
        version, port = 6, (rest[1:] if rest else None)
        if not bracket or (rest and not rest.startswith(":")):
            raise ImproperlyConfigured(DNS_SERVER_INVALID % text)
    elif text.count(":") > 1:
        address, version, port = text, 6, None
    else:
        address, colon, port = text.partition(":")
        version, port = 4, (port if colon else None)
    try:
        parsed = ipaddress.ip_address(address)
        number = DNS_PORT if port is None else int(port)
    except ValueError:
        raise ImproperlyConfigured(DNS_SERVER_INVALID % text) from None
    if parsed.version != version or not 0 < number < 65536:
        raise ImproperlyConfigured(DNS_SERVER_INVALID % text)
    return str(parsed), number


def _dns_resolver(servers: list[str]) -> dns.resolver.Resolver:
    """A resolver asking `servers` (see dns_server_parse), each on its own port."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(*dns_server_parse(server))
                            for server in servers]
    resolver.lifetime = resolver.timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    return resolver


def _addresses(host: str) -> list[str]:
    """Every address of `host`, from one lookup (A and AAAA)."""
    servers = list(getattr(settings, "WEBHOOK_DNS_SERVERS", []) or [])
    try:
        if not servers:
            return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, None)))
        if _is_ip(host):
            return [host]
        resolver, found = _dns_resolver(servers), []
        for qtype in ("A", "AAAA"):
            try:
                found += [rdata.address for rdata in resolver.resolve(host, qtype)]
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
        return found
    except (socket.gaierror, UnicodeError, dns.exception.DNSException) as error:
        raise WebhookError(URL_UNRESOLVED) from error


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def checked_addresses(host: str) -> list[str]:
    """The addresses of `host` from one lookup, each of them public (else WebhookError):
    a delivery connects to one of these, never to the result of a second lookup."""
    addresses = _addresses(host)
    if not addresses:
        raise WebhookError(URL_UNRESOLVED)
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES and any(
            not ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        raise WebhookError(URL_PRIVATE)
    return addresses


def _shape_problems(url: str) -> list:
    parts = urlsplit(url or "")
    try:
        parts.port  # noqa: B018 (a port that is no number, or out of range: ValueError)
    except ValueError:
        return [URL_INVALID]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [URL_INVALID]
    return []


def url_problems(url: str) -> list:
    """Why `url` may not receive webhooks (resolved now: checked again at each delivery)."""
    if problems := _shape_problems(url):
        return problems
    parts = urlsplit(url)
    try:
        checked_addresses(parts.hostname)
    except WebhookError as error:
        return error.messages
    return []


def webhook_endpoint_create(*, actor, organization_id: int | None, url: str,
                            events: list[str]) -> WebhookEndpoint:
    """Register an endpoint (organization admins: theirs; staff: any, or every
    organization's with organization_id None). Its signing secret is generated here."""
    events = sorted(set(events or []))
    problems = url_problems(url)
    if not events or any(e not in Event.values for e in events):
        problems.append(EVENTS_REQUIRED)
    if organization_id is not None and WebhookEndpoint.objects.filter(
            organization_id=organization_id).count() >= MAX_ENDPOINTS_PER_ORGANIZATION:
        problems.append(TOO_MANY_ENDPOINTS % {"limit": MAX_ENDPOINTS_PER_ORGANIZATION})
    if problems:
        raise WebhookError(*problems)
    return WebhookEndpoint.objects.create(organization_id=organization_id, url=url,
                                          events=events, created_by=actor,
                                          secret=secrets.token_hex(32))


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def _active_endpoints() -> tuple[tuple[int, int | None, tuple[str, ...]], ...]:
    """(id, organization id, events) of every active endpoint, newest first."""
    return tuple((pk, organization_id, tuple(events)) for pk, organization_id, events in
                 WebhookEndpoint.objects.filter(is_active=True)
                 .values_list("pk", "organization_id", "events"))


def webhook_deliveries_record(*, event: str, organization_id: int, data: dict) -> int:
    """In the caller's transaction: one delivery (and its outbox task) per endpoint of the
    organization, or of the staff, that wants `event`."""
    recorded = 0
    for endpoint_id, endpoint_organization_id, events in config_memo.memoized(
            "webhooks:active-endpoints", _active_endpoints):
        if endpoint_organization_id not in (organization_id, None) or event not in events:
            continue
        delivery = WebhookDelivery.objects.create(
            endpoint_id=endpoint_id, event=event,
            payload={"event": event, "created_at": timezone.now().isoformat(),
                     "organization_id": organization_id, "data": data})
        outbox_task_record(name="webhooks.tasks.webhook_deliver",
                           kwargs={"delivery_id": delivery.pk},
                           idempotency_key=f"webhook-delivery:{delivery.pk}")
        recorded += 1
    return recorded


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _post(url: str, body: bytes, headers: dict, *, address: str) -> tuple[int, str]:
    """POST to `address` (checked) for `url`: the Host header, the TLS SNI and the
    certificate's check name the URL's host. A redirect is the answer, never followed."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:  # an IPv6 literal
        host = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS)
    pool = (urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False,
                                        cert_reqs="CERT_REQUIRED",
                                        server_hostname=parts.hostname) if https
            else urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False))
    with pool:
        response = pool.urlopen("POST", path, body=body, headers={**headers, "Host": host},
                                redirect=False, retries=False, preload_content=False)
        try:
            text = response.read(RESPONSE_KEPT_CHARS).decode(errors="replace")
        finally:
            response.release_conn()
        return response.status, text


def _deliver(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    """Resolve once, check, then try the checked addresses in order until one connects."""
    host = urlsplit(url).hostname or ""
    addresses = checked_addresses(host)
    for address in addresses[:-1]:
        try:
            return _post(url, body, headers, address=address)
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError):
            continue
    return _post(url, body, headers, address=addresses[-1])


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """One attempt: "delivered", "skipped" (not pending any more), or DeliveryFailed."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("endpoint")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return "skipped"
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "helpdesk-webhooks/1",
               EVENT_HEADER: delivery.event, DELIVERY_HEADER: str(delivery.pk),
               SIGNATURE_HEADER: signature(secret=endpoint.secret, timestamp=int(time.time()),
                                           body=body)}
    status, text, error = None, "", ""
    problems = _shape_problems(endpoint.url)
    if problems:
        error = str(problems[0])
    else:
        try:
            status, text = _deliver(endpoint.url, body, headers)  # resolved and checked again
        except WebhookError as exc:
            error = exc.messages[0]
        except (OSError, ValueError, urllib3.exceptions.HTTPError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    delivered = status is not None and 200 <= status < 300
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        response_status=status, response_body=text[:RESPONSE_KEPT_CHARS],
        last_error=error[:300],
        **({"status": WebhookDelivery.Status.DELIVERED, "delivered_at": timezone.now()}
           if delivered else {}))
    if not delivered:
        raise DeliveryFailed(error or f"HTTP {status}")
    return "delivered"


def webhook_delivery_give_up(*, delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING
                                   ).update(status=WebhookDelivery.Status.FAILED)
