"""Emails of the credits app (low balance), sent with Django's mail API on commit.

Credits is a low layer: it does not use the mail gateway. Each organization admin gets
the notice in their own language.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

LOW = "low"
NEGATIVE = "negative"


def organization_admins(*, organization_id: int):
    from accounts.models import User

    return User.objects.filter(organization_id=organization_id, role=User.Role.ORG_ADMIN,
                               is_active=True).order_by("id")


def send_to_admins(*, organization_id: int, template: str, context: dict) -> int:
    """Send one email per organization admin, rendered in the admin's language."""
    sent = 0
    for admin in organization_admins(organization_id=organization_id):
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
            body = render_to_string(f"{template}.txt", {**context, "recipient": admin})
        message = EmailMultiAlternatives(subject=subject, body=body, to=[admin.email],
                                         headers={"Auto-Submitted": "auto-generated"})
        sent += message.send(fail_silently=False)
    return sent


def low_balance_send(*, kind: str, organization_id: int, balance_minutes: int) -> int:
    from accounts.models import Organization

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return send_to_admins(organization_id=organization_id, template="credits/mail/low_balance",
                          context={"kind": kind, "organization": organization,
                                   "balance_minutes": balance_minutes,
                                   "site_url": getattr(settings, "SITE_URL", "")})


def queue_on_commit(*, kind: str, organization_id: int, balance_minutes: int) -> None:
    """After commit, hand the notice to a Celery task (which owns its retries)."""
    from .tasks import low_balance_notice_send

    def queue():
        try:
            low_balance_notice_send.delay(kind=kind, organization_id=organization_id,
                                          balance_minutes=balance_minutes)
        except Exception:  # the booking is committed; a lost notice must not fail it
            logger.exception("could not queue the low-balance notice of organization %s",
                             organization_id)

    transaction.on_commit(queue)
