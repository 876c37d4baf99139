"""ESP inbound webhooks through django-anymail (Mailgun, Postmark, SendGrid, SES, …).

Anymail's views (mounted under /mail/anymail/) check ANYMAIL["WEBHOOK_SECRET"] (HTTP
basic auth) and the ESP's own signature where it has one; a request that fails gets a
4xx and never reaches this receiver. The receiver stores the raw message and queues its
processing; an exception here makes anymail answer 5xx, so the ESP retries later.
"""

from __future__ import annotations

from anymail.signals import inbound
from django.dispatch import receiver

from ..models import InboundMessage
from . import inbound_accept


def raw_bytes(message) -> bytes:
    """The RFC 5322 bytes of anymail's parsed message (ESPs that post raw MIME give the
    original; the others a faithful rebuild)."""
    try:
        return message.as_bytes()
    except (UnicodeError, LookupError, ValueError, TypeError):
        # A constructed message with parts the generator cannot serialise as bytes: keep
        # what we can rather than failing the webhook (the ESP would retry forever).
        return message.as_string().encode("utf-8", "surrogateescape")


@receiver(inbound, dispatch_uid="mailgateway.sources.webhook.inbound")
def anymail_inbound_received(sender, event, esp_name, **kwargs) -> None:
    inbound_accept(raw=raw_bytes(event.message), source=InboundMessage.Source.WEBHOOK)
