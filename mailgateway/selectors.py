"""Reads of the mail gateway: used outside it (health checks), and the sender policy."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from .models import OutboundMessage, SenderDomainPolicy


def outbound_pending_count(*, older_than_minutes: float) -> int:
    """Ticket emails recorded more than N minutes ago and still neither sent nor given up."""
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    return OutboundMessage.objects.filter(sent_at__isnull=True, failure_reason="",
                                          created_at__lt=cutoff).count()


def sender_domain_enforced(*, domain: str) -> bool:
    """Whether a DMARC failure of mail from `domain` quarantines it: the policy row of the
    domain or of its closest parent domain, else MAIL_DMARC_DEFAULT_POLICY."""
    labels = (domain or "").strip(".").lower().split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)] or [domain]
    found = dict(SenderDomainPolicy.objects.filter(domain__in=candidates)
                 .values_list("domain", "policy"))
    for candidate in candidates:
        if candidate in found:
            return found[candidate] == SenderDomainPolicy.Policy.ENFORCE
    return settings.MAIL_DMARC_DEFAULT_POLICY != SenderDomainPolicy.Policy.NONE


def quarantine_requester(*, email: str, inbound):
    """The contact a ticket opened from a quarantined email is for: the given address, or
    the email's sender; an active contact of an organization, else None."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email=email or inbound.from_address,
                                           organization__isnull=False, is_active=True).first()


def quarantined_messages():
    """The quarantine, newest first (without the raw bytes)."""
    from .models import InboundMessage

    return (InboundMessage.objects.filter(status=InboundMessage.Status.QUARANTINED)
            .defer("raw").order_by("-received_at", "-id"))
