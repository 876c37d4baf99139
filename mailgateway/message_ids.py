"""Our own Message-IDs, signed with an HMAC over the ticket so a forged one is refused.

Format: <t{ticket_id}.{random}.{signature}@{domain}>; the signature covers ticket id and
random part, with a key derived by `salted_hmac` from MAIL_MESSAGE_ID_SECRET (else
SECRET_KEY). Verification accepts the current secret and its fallbacks
(MAIL_MESSAGE_ID_SECRET_FALLBACKS, else SECRET_KEY_FALLBACKS), and the signatures made
before keys were derived (a plain HMAC), so replies to mail sent before a key rotation
or before this scheme still thread.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

LOOP_HEADER = "X-Helpdesk-Loop"
KEY_SALT = "mailgateway.message_ids.signature"
_PATTERN = re.compile(r"<?t(?P<ticket>\d+)\.(?P<nonce>[0-9a-f]{16})\.(?P<sig>[0-9a-f]{32})@"
                      r"(?P<domain>[^>\s]+)>?")


def _secrets() -> list[str]:
    """The signing secret first, then the ones still accepted."""
    dedicated = getattr(settings, "MAIL_MESSAGE_ID_SECRET", "")
    if dedicated:
        return [dedicated, *getattr(settings, "MAIL_MESSAGE_ID_SECRET_FALLBACKS", [])]
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _signature(ticket_id: int, nonce: str, secret: str) -> str:
    return salted_hmac(KEY_SALT, f"{ticket_id}.{nonce}", secret=secret,
                       algorithm="sha256").hexdigest()[:32]


def _legacy_signature(ticket_id: int, nonce: str, secret: str) -> str:
    """The signature of Message-IDs sent before keys were derived with salted_hmac."""
    key = secret if getattr(settings, "MAIL_MESSAGE_ID_SECRET", "") else f"message-id:{secret}"
    return hmac.new(key.encode(), f"{ticket_id}.{nonce}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def message_id_make(*, ticket_id: int) -> str:
    nonce = secrets.token_hex(8)
    signature = _signature(ticket_id, nonce, _secrets()[0])
    return f"<t{ticket_id}.{nonce}.{signature}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


def message_id_ticket(value: str) -> int | None:
    """The ticket id of one of our Message-IDs with a valid signature, else None."""
    match = _PATTERN.fullmatch((value or "").strip())
    if not match or match["domain"].lower() != settings.MAIL_MESSAGE_ID_DOMAIN.lower():
        return None
    ticket_id, nonce = int(match["ticket"]), match["nonce"]
    for secret in _secrets():
        for sign in (_signature, _legacy_signature):
            if hmac.compare_digest(match["sig"], sign(ticket_id, nonce, secret)):
                return ticket_id
    return None
