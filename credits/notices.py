"""Emails of the credits app (low balance), recorded in the outbox with the booking.

Credits is a low layer: it does not use the mail gateway. Each organization admin gets
the notice in their own language: one outbox email per admin, rendered and recorded in the
transaction that crossed the threshold, sent after commit exactly once (outbox.services).
The contract reminders of entitlements are recorded the same way (`record_to_admins`).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from outbox import services as outbox_services

logger = logging.getLogger(__name__)

LOW = "low"
NEGATIVE = "negative"
HEADERS = {"Auto-Submitted": "auto-generated"}


def organization_admins(*, organization_id: int):
    from accounts.models import User

    return User.objects.filter(organization_id=organization_id, role=User.Role.ORG_ADMIN,
                               is_active=True).order_by("id")


def record_to_admins(*, organization_id: int, template: str, context: dict, kind: str) -> int:
    """Record one email per organization admin, rendered in the admin's language, in the
    caller's transaction; returns how many."""
    recorded = 0
    for admin in organization_admins(organization_id=organization_id):
        with translation.override(admin.mail_language):
            subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
            body = render_to_string(f"{template}.txt", {**context, "recipient": admin})
        outbox_services.outbox_email_record(kind=kind, to_address=admin.email,
                                            subject=subject, body_text=body, headers=HEADERS)
        recorded += 1
    return recorded


def low_balance_record(*, kind: str, organization_id: int, balance_minutes: int) -> int:
    """Record the low-balance (or overdrawn) notice for the organization's admins."""
    from accounts.models import Organization

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return record_to_admins(organization_id=organization_id,
                            template="credits/mail/low_balance", kind=f"credits_{kind}_balance",
                            context={"kind": kind, "organization": organization,
                                     "balance_minutes": balance_minutes,
                                     "site_url": getattr(settings, "SITE_URL", "")})
