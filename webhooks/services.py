"""Outgoing webhooks: register and remove endpoints, record a delivery for every endpoint
that wants an event (inside the transaction of the change: outbox task, sent after commit),
and attempt a delivery: signed POST, response logged, never to a loopback, private,
link-local or reserved address unless settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


def _addresses(host: str) -> list[str]:
    try:
        return [info[4][0] for info in socket.getaddrinfo(host, None)]
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookError(URL_UNRESOLVED) from error


def url_problems(url: str) -> list:
    """Why `url` may not receive webhooks (resolved now: checked again at each delivery)."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [URL_INVALID]
    try:
        addresses = _addresses(parts.hostname)
    except WebhookError as error:
        return error.messages
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return []
    if not addresses or any(not ipaddress.ip_address(a.split("%")[0]).is_global
                            for a in addresses):
        return [URL_PRIVATE]
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


def webhook_deliveries_record(*, event: str, organization_id: int, data: dict) -> int:
    """In the caller's transaction: one delivery (and its outbox task) per endpoint of the
    organization, or of the staff, that wants `event`."""
    endpoints = WebhookEndpoint.objects.filter(
        Q(organization_id=organization_id) | Q(organization__isnull=True), is_active=True)
    recorded = 0
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event,
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is the receiver's answer, never followed


def _post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, response.read(RESPONSE_KEPT_CHARS).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(RESPONSE_KEPT_CHARS).decode(errors="replace")


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
    problems = url_problems(endpoint.url)  # again: DNS may have changed since
    status, text, error = None, "", ""
    if problems:
        error = str(problems[0])
    else:
        try:
            status, text = _post(endpoint.url, body, headers)
        except (OSError, ValueError) as exc:
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
