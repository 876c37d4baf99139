"""Deduplication keys of inbound mail: one message delivered twice (two relays, CRLF or
LF, a retried webhook) is stored once; a different message is never taken for it.

The key is the Message-ID's hash, else the content hash (`content_hash_for`: the
sender's headers and the body, without the trace headers relays add). A different message
reusing a held Message-ID gets its own key (`reused_key`) and is flagged.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.parser import BytesHeaderParser

from . import parse

_HEADER_PARSER = BytesHeaderParser(policy=policy.compat32)
_MSGID = re.compile(r"<[^<>\s]+>")

# Headers that relays add on the way (Received, Return-Path, Delivered-To, ARC-*,
# Authentication-Results, X-…): the content hash reads only what the sender wrote.
_ORIGIN_HEADERS = frozenset((
    "from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to",
    "references", "mime-version", "content-type", "content-transfer-encoding"))


def content_hash_for(*, raw: bytes) -> str:
    """sha256 of the sender's headers and the body: one message delivered twice through
    different relays (different trace headers, CRLF or LF) has one hash."""
    raw = raw.replace(b"\r\n", b"\n")
    head, _sep, body = raw.partition(b"\n\n")
    try:
        headers = _HEADER_PARSER.parsebytes(head + b"\n\n")
        items = [f"{name.lower()}:{' '.join(str(value).split())}"
                 for name, value in headers.raw_items() if name.lower() in _ORIGIN_HEADERS]
    except Exception:
        items = [head.decode("utf-8", "replace")]
    digest = hashlib.sha256("\n".join(items).encode("utf-8", "replace"))
    digest.update(b"\n\n" + body.rstrip())
    return digest.hexdigest()


def dedupe_key_for(*, raw: bytes) -> tuple[str, str]:
    """(dedupe key, Message-ID): sha256 of the Message-ID, else of the content
    (`content_hash_for`)."""
    try:
        headers = _HEADER_PARSER.parsebytes(raw)
        value = parse.header_decode(headers.get("Message-ID"))
    except Exception:
        value = ""
    found = _MSGID.findall(value)
    message_id = found[0][:998] if found else ""
    if message_id:
        return hashlib.sha256(b"mid:" + message_id.encode("utf-8", "replace")).hexdigest(), \
            message_id
    return hashlib.sha256(b"content:" + content_hash_for(raw=raw).encode()).hexdigest(), ""


def reused_key(message_id: str, content_hash: str) -> str:
    return hashlib.sha256(f"reused:{message_id}:{content_hash}".encode("utf-8", "replace")
                          ).hexdigest()
