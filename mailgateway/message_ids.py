"""Our own Message-IDs, signed with an HMAC over the ticket so a forged one is refused.

Format: <t{ticket_id}.{random}.{signature}@{domain}>; the signature covers ticket id and
random part, keyed by MAIL_MESSAGE_ID_SECRET (else a key derived from SECRET_KEY).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings

LOOP_HEADER = "X-Helpdesk-Loop"
_PATTERN = re.compile(r"<?t(?P<ticket>\d+)\.(?P<nonce>[0-9a-f]{16})\.(?P<sig>[0-9a-f]{32})@"
                      r"(?P<domain>[^>\s]+)>?")


def _key() -> bytes:
    secret = settings.MAIL_MESSAGE_ID_SECRET or f"message-id:{settings.SECRET_KEY}"
    return secret.encode()


def _signature(ticket_id: int, nonce: str) -> str:
    return hmac.new(_key(), f"{ticket_id}.{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def message_id_make(*, ticket_id: int) -> str:
    nonce = secrets.token_hex(8)
    return f"<t{ticket_id}.{nonce}.{_signature(ticket_id, nonce)}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


def message_id_ticket(value: str) -> int | None:
    """The ticket id of one of our Message-IDs with a valid signature, else None."""
    match = _PATTERN.fullmatch((value or "").strip())
    if not match or match["domain"].lower() != settings.MAIL_MESSAGE_ID_DOMAIN.lower():
        return None
    ticket_id = int(match["ticket"])
    if not hmac.compare_digest(match["sig"], _signature(ticket_id, match["nonce"])):
        return None
    return ticket_id
