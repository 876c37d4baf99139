"""Business actions of the mail gateway's inbound side.

Every source stores the raw bytes first (`inbound_message_store`), then a task processes
the stored row (`inbound_message_process`): parse → classify → identify → thread →
strip quotes → persist, in one transaction with the row locked. Agents act on the
quarantine with `inbound_message_attach`, `inbound_message_open_ticket` and
`inbound_message_discard`.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.parser import BytesHeaderParser

from django.db import IntegrityError, transaction
from django.utils import timezone

from tickets import services as ticket_services
from tickets.models import Message, Ticket, TicketEvent

from . import exceptions as exc
from .inbound import classify, identify, notice, parse, persist, quote, reasons, thread
from .models import InboundMessage, OutboundMessage

_HEADER_PARSER = BytesHeaderParser(policy=policy.compat32)
_MSGID = re.compile(r"<[^<>\s]+>")
Status = InboundMessage.Status
_PROCESSED_FIELDS = ["status", "reason", "from_address", "subject", "is_automatic", "attempts",
                     "last_error", "processed_at", "ticket", "ticket_message"]


# --- store -------------------------------------------------------------------------------

def dedupe_key_for(*, raw: bytes) -> tuple[str, str]:
    """(dedupe key, Message-ID): sha256 of the Message-ID, else of the raw bytes (line
    endings normalised, so a CRLF and an LF copy of one message are one message)."""
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
    return hashlib.sha256(b"raw:" + raw.replace(b"\r\n", b"\n")).hexdigest(), ""


def inbound_message_store(*, raw: bytes, source: str) -> tuple[InboundMessage, bool]:
    """Store the raw message before anything else. (row, created): a second delivery of
    the same message returns the first row and False."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError("raw must be bytes")
    raw = bytes(raw)
    key, message_id = dedupe_key_for(raw=raw)
    row = InboundMessage(dedupe_key=key, header_message_id=message_id, raw=raw,
                         size_bytes=len(raw), source=source, status=Status.PENDING)
    try:
        # One INSERT; the unique key decides (a savepoint only inside a transaction).
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                row.save(force_insert=True)
        else:
            row.save(force_insert=True)
    except IntegrityError:  # delivered before (or concurrently)
        return InboundMessage.objects.get(dedupe_key=key), False
    return row, True


# --- process -----------------------------------------------------------------------------

def inbound_message_process(*, inbound_id: int) -> InboundMessage:
    """Process a stored message once. Does nothing unless it is pending."""
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().get(pk=inbound_id)
        if inbound.status != Status.PENDING:
            return inbound
        inbound.attempts += 1
        _pipeline(inbound)
        inbound.processed_at = timezone.now()
        inbound.last_error = ""
        inbound.save(update_fields=_PROCESSED_FIELDS)
    return inbound


def inbound_message_record_error(*, inbound_id: int, error: str) -> None:
    """For the task wrapper: remember why an attempt failed (the row stays pending)."""
    InboundMessage.objects.filter(pk=inbound_id, status=Status.PENDING).update(
        last_error=error[:4000])


def _pipeline(inbound: InboundMessage) -> None:
    raw = bytes(inbound.raw)
    try:
        parsed = parse.parse_message(raw)
    except Exception as error:  # parse is total; this is a last resort
        _quarantine(inbound, reasons.UNREADABLE, parsed=None, notify=False)
        inbound.last_error = repr(error)[:4000]
        return
    inbound.from_address = parsed.from_address[:320]
    inbound.subject = parsed.subject[:500]
    verdict = classify.classify(raw, parsed)
    inbound.is_automatic = verdict.automatic
    address = identify.sender_address(parsed)
    user = identify.SenderUser(address)
    if verdict.automatic:
        _automatic(inbound, parsed, verdict, address, user)
        return
    if not address:
        _quarantine(inbound, reasons.NO_SENDER, parsed=parsed, notify=False)
        return
    found = thread.find_ticket(parsed=parsed, ids=thread.reference_ids(parsed),
                               address=address, user=user)
    if found.ticket is None:
        _quarantine(inbound, found.reason, parsed=parsed, notify=True)
        return
    author = user.get(found.ticket)
    if author is not None and author.is_staff:
        # An agent's mail would land as a customer message: agents answer in the workspace.
        _quarantine(inbound, reasons.STAFF_SENDER, parsed=parsed, notify=False)
        return
    message = persist.reply_record(ticket=found.ticket, parsed=parsed, body=reply_body(parsed),
                                   user=author, address=address, kind=Message.Kind.CUSTOMER)
    inbound.status, inbound.reason = Status.THREADED, found.via
    inbound.ticket, inbound.ticket_message = found.ticket, message


_FORWARD_SUBJECT = re.compile(r"^\s*(?:\[external\]\s*)?(?:fwd?|rv|wg|tr|enc)\s*:",
                              re.I)


def reply_body(parsed: parse.ParsedMessage) -> str:
    """What the person wrote: text/plain preferred, else the HTML as text; no quotes.
    A forward (subject "Fwd:", "FW:", "RV:" …) is kept whole: the history is the point."""
    if _FORWARD_SUBJECT.match(parsed.subject or ""):
        text = parse.body_text(parsed, strip_quotes=False)
        return quote.strip_signature_only(text)
    if parsed.text.strip():
        return quote.reply_text(parsed.text)
    if parsed.html.strip():
        return quote.html_reply_text(parsed.html)
    return ""


def _automatic(inbound, parsed, verdict, address, user) -> None:
    inbound.status, inbound.reason = Status.AUTOMATIC, verdict.reason[:300]
    found = thread.find_ticket(parsed=parsed, ids=verdict.our_ids, address=address, user=user,
                               check_sender=False) if verdict.our_ids else None
    if found is None or found.ticket is None:
        # Without our signed ids, an automatic mail threads by tag from an allowed sender
        # only (an out-of-office of the requester); a bounce never does.
        found = None if verdict.bounce else thread.find_ticket(
            parsed=parsed, ids=[], address=address, user=user)
    if found is None or found.ticket is None:
        return
    kind = Message.Kind.AUTOMATIC
    if verdict.bounce:
        kind = Message.Kind.DELIVERY_FAILURE
        _outbound_failed(ids=verdict.our_ids, ticket=found.ticket, parsed=parsed)
    inbound.ticket = found.ticket
    inbound.ticket_message = persist.reply_record(
        ticket=found.ticket, parsed=parsed, body=_automatic_body(parsed, verdict),
        user=user.get(found.ticket), address=address, kind=kind, with_attachments=False)


def _automatic_body(parsed, verdict) -> str:
    text = parse.body_text(parsed, strip_quotes=True)
    return f"[{verdict.reason}] {parsed.subject}\n\n{text[:4000]}".strip()


def _failure_reason(parsed: parse.ParsedMessage) -> str:
    """The DSN's Diagnostic-Code (else Status) line, else the bounce's subject."""
    try:
        found = _dsn_fields(parsed)
    except Exception:  # a malformed report: the subject says enough
        found = {}
    return found.get("diagnostic-code") or found.get("status") or parsed.subject[:500]


def _dsn_fields(parsed: parse.ParsedMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in parsed.message.walk():
        if part.get_content_type() not in ("message/delivery-status",
                                           "message/global-delivery-status"):
            continue
        blocks = part.get_payload() if part.is_multipart() else [part.get_payload()]
        for line in "\n".join(str(block) for block in blocks).splitlines():
            name = line.split(":", 1)[0].strip().lower()
            if name in ("diagnostic-code", "status") and name not in found:
                found[name] = line.strip()[:500]
    return found


def _outbound_failed(*, ids: list[str], ticket: Ticket, parsed) -> None:
    """Mark our returned mail as not delivered, with an audit event on the ticket."""
    if not ids:
        return
    failed = list(OutboundMessage.objects.filter(
        ticket=ticket, header_message_id__in=ids, delivery_failed_at__isnull=True
    ).values_list("pk", "header_message_id", "to_address"))
    if not failed:
        return
    reason = _failure_reason(parsed)
    OutboundMessage.objects.filter(pk__in=[pk for pk, _mid, _to in failed]).update(
        delivery_failed_at=timezone.now(), failure_reason=reason)
    for _pk, header_message_id, to_address in failed:
        ticket_services.ticket_event_record(
            ticket=ticket, actor=None, kind=TicketEvent.Kind.MAIL_FAILED,
            message_id_header=header_message_id, to=to_address, reason=reason)


def _quarantine(inbound, reason: str, *, parsed, notify: bool) -> None:
    inbound.status, inbound.reason = Status.QUARANTINED, reason[:300]
    if notify and parsed is not None and parsed.from_address:
        address, reply_to = parsed.from_address, parsed.message_id
        transaction.on_commit(lambda: notice.notice_send(address=address,
                                                         in_reply_to=reply_to))


# --- agent actions on the quarantine -----------------------------------------------------

def _locked_quarantined(inbound_id: int) -> InboundMessage:
    inbound = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
    if inbound is None:
        raise exc.InboundActionRefused(exc.INBOUND_NOT_FOUND)
    if inbound.status != Status.QUARANTINED:
        raise exc.InboundActionRefused(exc.NOT_QUARANTINED)
    return inbound


def inbound_message_attach(*, inbound_id: int, ticket: Ticket, actor) -> InboundMessage:
    """An agent appends a quarantined message to a ticket (a customer reply: reopens)."""
    with transaction.atomic():
        inbound = _locked_quarantined(inbound_id)
        parsed = parse.parse_message(bytes(inbound.raw))
        address = identify.sender_address(parsed)
        user = identify.SenderUser(address).get(ticket)
        kind = Message.Kind.AUTOMATIC if inbound.is_automatic else Message.Kind.CUSTOMER
        message = persist.reply_record(ticket=ticket, parsed=parsed, body=reply_body(parsed),
                                       user=user, address=address, kind=kind)
        inbound.status, inbound.ticket, inbound.ticket_message = Status.ATTACHED, ticket, message
        inbound.reason = _by(actor, inbound.reason)
        inbound.save(update_fields=["status", "ticket", "ticket_message", "reason"])
    return inbound


def inbound_message_open_ticket(*, inbound_id: int, requester, department, actor
                                ) -> InboundMessage:
    """An agent opens a ticket from a quarantined message, for `requester`."""
    with transaction.atomic():
        inbound = _locked_quarantined(inbound_id)
        parsed = parse.parse_message(bytes(inbound.raw))
        files, notes = persist.files_split(attachments=parsed.attachments, ticket=None)
        subject = quote_subject(parsed.subject) or str(exc.NO_SUBJECT)
        ticket = ticket_services.ticket_create(
            requester=requester, department=department, subject=subject,
            body=persist.body_with_notes(reply_body(parsed), notes), files=files,
            source=Message.Source.EMAIL)
        inbound.status, inbound.ticket = Status.OPENED, ticket
        inbound.ticket_message = ticket.messages.order_by("id").first()
        inbound.reason = _by(actor, inbound.reason)
        inbound.save(update_fields=["status", "ticket", "ticket_message", "reason"])
    return inbound


def inbound_message_discard(*, inbound_id: int, actor, reason: str = "") -> InboundMessage:
    with transaction.atomic():
        inbound = _locked_quarantined(inbound_id)
        inbound.status = Status.DISCARDED
        inbound.reason = _by(actor, " ".join((reason or inbound.reason).split()))
        inbound.save(update_fields=["status", "reason"])
    return inbound


_PREFIXES = re.compile(r"^\s*(?:(?:re|aw|rv|fw|fwd|wg|tr|sv|vs|r|rif|antw|res|enc)\s*"
                       r"(?:\[\d+\])?\s*:\s*|\[external\]\s*)+", re.I)


def quote_subject(subject: str) -> str:
    """A subject without reply/forward prefixes, for a ticket opened from a message."""
    return " ".join(_PREFIXES.sub("", subject or "").split())[:200]


def _by(actor, text: str) -> str:
    who = getattr(actor, "email", "") or "?"
    return f"{text} — {who}"[:300] if text else who[:300]
