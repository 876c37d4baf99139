"""The one bilingual notice a human sender gets when their mail is quarantined.

It explains how to reply or open a ticket and reveals nothing about any ticket. It is an
automatic mail (Auto-Submitted, X-Auto-Response-Suppress, Precedence, our loop header),
recorded in the outbox in the quarantining transaction and sent after commit, at most once
per address per hour (counted on the outbox's rows: transactional, no cache involved).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from outbox import selectors as outbox_selectors
from outbox import services as outbox_services

from ..message_ids import LOOP_HEADER

NOTICE_WINDOW_SECONDS = 3600
NOTICE_SUBJECT = ("No pudimos asignar su mensaje a un ticket / "
                  "We could not match your message to a ticket")
AUTOMATIC_HEADERS = {
    "Auto-Submitted": "auto-replied",
    "X-Auto-Response-Suppress": "All",
    "Precedence": "bulk",
    LOOP_HEADER: "quarantine-notice",
}


NOTICE_KIND = "quarantine_notice"
SUBMIT_LABEL = "Submit a Ticket"  # the msgid of the button in templates/base.html


def notice_allowed(address: str) -> bool:
    """False for our own addresses; else True at most once per address per window."""
    address = (address or "").lower()
    ours = {settings.SUPPORT_INBOUND_ADDRESS.lower(), settings.SERVER_EMAIL.lower()}
    if not address or address in ours or "@" not in address:
        return False
    if address.rsplit("@", 1)[1] == settings.MAIL_MESSAGE_ID_DOMAIN.lower():
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    since = timezone.now() - dt.timedelta(seconds=NOTICE_WINDOW_SECONDS)
    return not outbox_selectors.email_recorded_since(kind=NOTICE_KIND, to_address=address,
                                                     since=since)


def submit_label(language: str) -> str:
    """The label of the site's button that opens a ticket, as the site shows it."""
    with translation.override(language):
        return gettext(SUBMIT_LABEL)


def notice_build(*, address: str, in_reply_to: str = "") -> EmailMessage:
    context = {"site_url": settings.SITE_URL.rstrip("/"),
               "support_address": settings.SUPPORT_INBOUND_ADDRESS,
               "button_es": submit_label("es"), "button_en": submit_label("en")}
    headers = dict(AUTOMATIC_HEADERS)
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    return EmailMessage(
        subject=NOTICE_SUBJECT,
        body=render_to_string("mailgateway/quarantine_notice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[address], headers=headers,
    )


def notice_record(*, address: str, in_reply_to: str = "") -> bool:
    """Record the notice in the outbox (the quarantining transaction) unless rate-limited;
    True when recorded. The limit counts the notices recorded, so it rolls back with them."""
    if not notice_allowed(address):
        return False
    address = address.lower()
    built = notice_build(address=address, in_reply_to=in_reply_to)
    outbox_services.outbox_email_record(
        kind=NOTICE_KIND, to_address=address, subject=built.subject,
        body_text=built.body, headers=built.extra_headers, from_email=built.from_email)
    return True
