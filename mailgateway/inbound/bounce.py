"""Why a bounce (a delivery status notification) says our mail was not delivered."""

from __future__ import annotations

from .parse import ParsedMessage

_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")


def failure_reason(parsed: ParsedMessage) -> str:
    """The DSN's Diagnostic-Code (else Status) line, else the bounce's subject."""
    try:
        found = _dsn_fields(parsed)
    except Exception:  # a malformed report: the subject says enough
        found = {}
    return found.get("diagnostic-code") or found.get("status") or parsed.subject[:500]


def _dsn_fields(parsed: ParsedMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in parsed.message.walk():
        if part.get_content_type() not in _DSN_TYPES:
            continue
        blocks = part.get_payload() if part.is_multipart() else [part.get_payload()]
        for line in "\n".join(str(block) for block in blocks).splitlines():
            name = line.split(":", 1)[0].strip().lower()
            if name in ("diagnostic-code", "status") and name not in found:
                found[name] = line.strip()[:500]
    return found
