"""Local SMTP listener (aiosmtpd): `python manage.py smtp_inbound --host H --port P`.

Each DATA is stored as the raw bytes received (with a Return-Path header carrying the
envelope sender, as a final-delivery MTA adds it, when the message has none) before the
listener answers 250; a storage failure answers 451 so the client retries later.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from ..models import InboundMessage
from . import inbound_accept

logger = logging.getLogger(__name__)

DEFAULT_DATA_SIZE_LIMIT = 50 * 1024 * 1024


def with_return_path(raw: bytes, mail_from: str | None) -> bytes:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    if head.startswith(b"return-path:") or b"\nreturn-path:" in head:
        return raw
    sender = (mail_from or "").strip().strip("<>")
    line_end = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return b"Return-Path: <" + sender.encode("utf-8", "replace") + b">" + line_end + raw


def store_delivery(*, raw: bytes, mail_from: str | None) -> int:
    """Store one delivered message (sync; runs in a worker thread)."""
    close_old_connections()
    try:
        row, _created = inbound_accept(raw=with_return_path(raw, mail_from),
                                       source=InboundMessage.Source.SMTP)
        return row.pk
    finally:
        close_old_connections()


class InboundHandler:
    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        try:
            inbound_id = await loop.run_in_executor(
                None, lambda: store_delivery(raw=raw, mail_from=envelope.mail_from))
        except Exception:
            logger.exception("Could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 Temporary local failure, try again later"
        logger.info("Stored inbound message %s from %s", inbound_id, envelope.mail_from)
        return "250 2.0.0 Message accepted"


def smtp_controller(*, host: str, port: int) -> Controller:
    limit = getattr(settings, "MAIL_SMTP_DATA_SIZE_LIMIT", DEFAULT_DATA_SIZE_LIMIT)
    return Controller(InboundHandler(), hostname=host, port=port, data_size_limit=limit,
                      decode_data=False, server_hostname=host)
