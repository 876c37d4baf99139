"""Business actions of the mail gateway's inbound side.

Every source stores the raw bytes first (`inbound_message_store`), then a task processes
the stored row (`inbound_message_process`): parse → classify → identify → thread →
strip quotes → persist, in one transaction with the row locked. Bulk feeds store with
`inbound_messages_store` (one INSERT) and process with `inbound_messages_process` (one
transaction per batch, lookups prefetched: ~3 statements per message); one message is
processed by the same code, as a batch of one (the MTA pipe hands over the row it stored,
not read again: 9 statements, store and commits included). A message whose
processing keeps failing is given up into the quarantine (`inbound_message_give_up`).
Agents act on the quarantine with `inbound_message_attach`, `inbound_message_open_ticket` and
`inbound_message_discard`.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tickets import attachment_store
from tickets import services as ticket_services
from tickets.models import Message, Ticket, TicketEvent

from . import exceptions as exc
from . import inbound_reads, selectors
from .inbound import (
    authenticity,
    bounce,
    classify,
    dedupe,
    identify,
    notice,
    parse,
    participants,
    persist,
    quote,
    reasons,
    thread,
)
from .inbound.dedupe import dedupe_key_for  # noqa: F401 (bench, callers)
from .models import InboundMessage, OutboundMessage
from .rows import row_insert, rows_update

Status = InboundMessage.Status
_PROCESSED_FIELDS = ["status", "reason", "from_address", "subject", "is_automatic", "attempts",
                     "last_error", "processed_at", "ticket", "ticket_message", "auth_result",
                     "auth_reason"]


# --- store -------------------------------------------------------------------------------

def _different(held_hash: str, row: InboundMessage) -> bool:
    """A held row with this Message-ID is another message (rows stored before content
    hashes were kept have none: taken as the same message, as before)."""
    return bool(row.header_message_id and held_hash and held_hash != row.content_hash)


def _flag_reused(row: InboundMessage) -> None:
    row.dedupe_key = dedupe.reused_key(row.header_message_id, row.content_hash)
    row.message_id_reused = True


def _row_new(raw: bytes, source: str, auth: authenticity.AuthVerdict | None
             ) -> InboundMessage:
    key, message_id = dedupe.dedupe_key_for(raw=raw)
    return InboundMessage(
        dedupe_key=key, header_message_id=message_id, raw=raw, size_bytes=len(raw),
        source=source, status=Status.PENDING, content_hash=dedupe.content_hash_for(raw=raw),
        auth_result=auth.result if auth else "", auth_reason=auth.reason if auth else "")


def inbound_message_store(*, raw: bytes, source: str,
                          auth: authenticity.AuthVerdict | None = None
                          ) -> tuple[InboundMessage, bool]:
    """Store the raw message before anything else. (row, created): a second delivery of
    the same message returns the first row and False. A DIFFERENT message reusing a held
    Message-ID is stored too, flagged `message_id_reused` (processing quarantines it).
    `auth`: the sender verdict when the source computed one (SMTP listener)."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError("raw must be bytes")
    row = _row_new(bytes(raw), source, auth)
    saved = row_insert(row)  # one INSERT: the unique key decides
    if saved is not None:
        return saved, True
    held = InboundMessage.objects.get(dedupe_key=row.dedupe_key)
    if not _different(held.content_hash, row):
        return held, False
    _flag_reused(row)
    saved = row_insert(row)
    if saved is not None:
        return saved, True
    return InboundMessage.objects.get(dedupe_key=row.dedupe_key), False


def inbound_messages_store(*, raws: list[bytes], source: str) -> list[int]:
    """Store many raw messages at once (bulk feeds): one SELECT of the keys held already
    (with their content hashes), one INSERT that skips them, one SELECT. The ids of the
    batch's rows still pending (new or held but not processed yet), in the order given; a
    message twice in `raws` is stored once, a different message reusing a Message-ID is
    stored flagged (as `inbound_message_store`)."""
    candidates: list[InboundMessage] = []
    for raw in raws:
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise TypeError("raw must be bytes")
        candidates.append(_row_new(bytes(raw), source, None))
    if not candidates:
        return []
    with transaction.atomic():
        held = dict(InboundMessage.objects.filter(
            dedupe_key__in=[row.dedupe_key for row in candidates])
            .values_list("dedupe_key", "content_hash"))
        rows: dict[str, InboundMessage] = {}
        for row in candidates:
            first = rows.get(row.dedupe_key)
            held_hash = held.get(row.dedupe_key) or (first.content_hash if first else "")
            if _different(held_hash, row):
                _flag_reused(row)
            rows.setdefault(row.dedupe_key, row)
        InboundMessage.objects.bulk_create(rows.values(), ignore_conflicts=True)
        found = dict(InboundMessage.objects.filter(dedupe_key__in=list(rows),
                                                   status=Status.PENDING)
                     .values_list("dedupe_key", "pk"))
    return [found[key] for key in rows if key in found]


# --- process -----------------------------------------------------------------------------

def relaxed_commit() -> None:
    """Processing need not wait for its commit to reach the disk: the raw message was
    stored durably before, and the whole processing commits or not at all, so a commit
    lost in a database crash leaves the row pending and the re-queue job processes it
    again (PostgreSQL only; saves an fsync per transaction)."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def inbound_message_process(*, inbound_id: int, stored: InboundMessage | None = None
                            ) -> InboundMessage:
    """Process a stored message once. Does nothing unless it is pending. The same code as
    a batch (`inbound_messages_process`) of one, except that the row is waited for, not
    skipped, when another process holds it; its senders are looked up only when needed.

    `stored`: the row as `inbound_message_store` returned it, for a caller that processes
    at once what it stored (the MTA pipe): its raw bytes are not read again, only its
    status and attempts, under the row's lock. After an error that instance holds what
    the failed attempt left in it, not what the database holds: read the row again."""
    with attachment_store.files_guard(), transaction.atomic():
        inbound = _locked(inbound_id, stored)
        if inbound.status != Status.PENDING:
            return inbound
        _rows_process([inbound], users=False)
    return inbound


def _locked(inbound_id: int, stored: InboundMessage | None) -> InboundMessage:
    """The row locked, re-read in full unless `stored` is its pending instance."""
    if stored is not None and stored.pk != inbound_id:
        raise ValueError("stored is not the row inbound_id names")
    found = None if stored is None else inbound_reads.row_state_locked(pk=inbound_id)
    if found is None or found[0] != Status.PENDING:  # not handed over, missing or done
        return InboundMessage.objects.select_for_update().get(pk=inbound_id)
    stored.status, stored.attempts = found
    return stored


def inbound_messages_process(*, inbound_ids: list[int]) -> dict[int, str]:
    """Process a batch of stored messages in ONE transaction: the pending rows locked in
    one query (rows another worker holds are skipped: it is processing them), their
    senders and tickets read in one query each (tickets locked in id order), the rows
    updated in one executemany. {id: status} of the rows processed here.

    All or nothing: any error rolls the whole batch back and propagates; the caller then
    processes the messages one by one (`inbound_message_process`), so that only the
    failing message is left pending with its error."""
    with attachment_store.files_guard(), transaction.atomic():
        relaxed_commit()
        rows = list(InboundMessage.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=list(inbound_ids), status=Status.PENDING).order_by("pk"))
        if not rows:
            return {}
        _rows_process(rows, users=True)
    return {row.pk: row.status for row in rows}


def _rows_process(rows: list[InboundMessage], *, users: bool) -> None:
    """Run the pipeline on locked pending rows and save them (in the caller's
    transaction). `users`: look up every sender beforehand (one query for a batch)."""
    prepared = [_prepare(row) for row in rows]
    batch = _Batch(prepared, users=users)
    for row, work in zip(rows, prepared, strict=True):
        row.attempts += 1
        _pipeline(row, work, batch=batch)
        _processed(row)
    rows_update(rows, _PROCESSED_FIELDS)


def _processed(inbound: InboundMessage) -> None:
    inbound.processed_at = timezone.now()
    if inbound.status != Status.QUARANTINED or inbound.reason != reasons.UNREADABLE:
        inbound.last_error = ""


def inbound_message_record_error(*, inbound_id: int, error: str) -> InboundMessage | None:
    """For the task wrapper: remember why an attempt failed and count it (the row stays
    pending). After MAIL_INBOUND_MAX_ATTEMPTS failed attempts the row is given up
    (`inbound_message_give_up`) rather than retried forever. The row, None if missing."""
    with transaction.atomic():
        InboundMessage.objects.filter(pk=inbound_id, status=Status.PENDING).update(
            last_error=error[:4000], attempts=F("attempts") + 1)
        row = InboundMessage.objects.filter(pk=inbound_id).first()
        if row is not None and row.status == Status.PENDING \
                and row.attempts >= max_attempts():
            return inbound_message_give_up(inbound_id=inbound_id)
    return row


def max_attempts() -> int:
    return int(getattr(settings, "MAIL_INBOUND_MAX_ATTEMPTS", 20))


def inbound_message_give_up(*, inbound_id: int) -> InboundMessage | None:
    """Quarantine a message whose processing failed repeatedly, with its last error kept,
    so that an agent sees it (attach, open a ticket, discard) instead of it staying
    pending forever. No notice is sent. Does nothing unless the row is pending."""
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
        if row is None or row.status != Status.PENDING:
            return row
        row.status, row.reason = Status.QUARANTINED, reasons.PROCESSING_FAILED
        row.processed_at = timezone.now()
        row.save(update_fields=["status", "reason", "processed_at"])
    return row


class _Work:
    """One message parsed and classified, before any lookup."""

    __slots__ = ("raw", "parsed", "error", "verdict", "address", "auth")

    def __init__(self, raw, parsed, error, verdict, address, auth=None):
        self.raw, self.parsed, self.error = raw, parsed, error
        self.verdict, self.address, self.auth = verdict, address, auth


def _prepare(inbound: InboundMessage) -> _Work:
    raw = bytes(inbound.raw)
    try:
        parsed = parse.parse_message(raw)
    except Exception as error:  # parse is total; this is a last resort
        return _Work(raw, None, error, None, "")
    return _Work(raw, parsed, None, classify.classify(raw, parsed),
                 identify.sender_address(parsed), _auth_verdict(inbound, parsed))


def _auth_verdict(inbound: InboundMessage, parsed) -> authenticity.AuthVerdict:
    """The verdict the source computed (SMTP listener), else the trusted
    Authentication-Results header's."""
    if inbound.auth_result:
        return authenticity.AuthVerdict(inbound.auth_result, inbound.auth_reason)
    return authenticity.headers_verdict(
        message=parsed.message, from_domain=authenticity.domain_of(parsed.from_address))


class _Batch:
    """What a batch's messages look up, read once for all of them: the tickets they may
    thread to (read and locked on first use), their senders' users (beforehand, or with
    `users=False` each when needed: `identify.SenderUser`)."""

    def __init__(self, prepared: list[_Work], *, users: bool = True):
        self._prepared = prepared
        self._tickets: thread.LockedTickets | None = None
        self.users = identify.sender_users(work.address for work in prepared) \
            if users else None

    @property
    def tickets(self) -> thread.LockedTickets:
        if self._tickets is None:
            ids, numbers = set(), set()
            for work in self._prepared:
                if work.parsed is None:
                    continue
                for refs in (thread.reference_ids(work.parsed), work.verdict.our_ids):
                    ticket_id, number = thread.candidates(parsed=work.parsed, ids=refs)
                    if ticket_id is not None:
                        ids.add(ticket_id)
                    if number is not None:
                        numbers.add(number)
            self._tickets = thread.LockedTickets(ids=ids, numbers=numbers)
        return self._tickets


def _pipeline(inbound: InboundMessage, work: _Work, *, batch: _Batch) -> None:
    if work.parsed is None:
        _quarantine(inbound, reasons.UNREADABLE, parsed=None, notify=False)
        inbound.last_error = repr(work.error)[:4000]
        return
    parsed, verdict, address = work.parsed, work.verdict, work.address
    inbound.from_address = parsed.from_address[:320]
    inbound.subject = parsed.subject[:500]
    inbound.is_automatic = verdict.automatic
    inbound.auth_result, inbound.auth_reason = work.auth.result, work.auth.reason[:300]
    refused = _refusal(inbound, work)
    if refused:
        _quarantine(inbound, refused, parsed=parsed,
                    notify=refused == reasons.MESSAGE_ID_REUSED)
        return
    user = identify.SenderUser(address, known=batch.users)
    if verdict.automatic:
        _automatic(inbound, parsed, verdict, address, user, batch)
        return
    if not address:
        _quarantine(inbound, reasons.NO_SENDER, parsed=parsed, notify=False)
        return
    found = thread.find_ticket(parsed=parsed, ids=thread.reference_ids(parsed),
                               address=address, user=user, tickets=batch.tickets)
    if found.ticket is None:
        # An agent's mail (STAFF_SENDER) would land as a customer message: agents answer
        # in the workspace.
        _quarantine(inbound, found.reason, parsed=parsed,
                    notify=found.reason not in reasons.SILENT)
        return
    author = user.get(found.ticket)
    participants.cc_participants_add(ticket=found.ticket, parsed=parsed, author=author)
    message = persist.reply_record(ticket=found.ticket, parsed=parsed, body=reply_body(parsed),
                                   user=author, address=address, kind=Message.Kind.CUSTOMER,
                                   ticket_locked=True)
    inbound.status, inbound.reason = Status.THREADED, found.via
    inbound.ticket, inbound.ticket_message = found.ticket, message


def _refusal(inbound: InboundMessage, work: _Work) -> str:
    """Why the message may not act at all, before any threading: a sender that failed
    DMARC where the policy is enforced (no notice: the From address is not the sender),
    a person's message reusing another's Message-ID (a broken client or a crafted
    message: an agent decides; the sender is told)."""
    if work.auth.failed and selectors.sender_domain_enforced(
            domain=authenticity.domain_of(work.parsed.from_address)):
        return reasons.SENDER_UNVERIFIED
    if inbound.message_id_reused and not work.verdict.automatic:
        # Automatic mail goes on (flagged): some mail systems copy the Message-ID of the
        # message they report on into their report.
        return reasons.MESSAGE_ID_REUSED
    return ""


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


def _automatic(inbound, parsed, verdict, address, user, batch: _Batch) -> None:
    inbound.status, inbound.reason = Status.AUTOMATIC, verdict.reason[:300]
    found = thread.find_ticket(parsed=parsed, ids=verdict.our_ids, address=address, user=user,
                               check_sender=False, tickets=batch.tickets
                               ) if verdict.our_ids else None
    if found is None or found.ticket is None:
        # Without our signed ids, an automatic mail threads by tag from an allowed sender
        # only (an out-of-office of the requester); a bounce never does.
        found = None if verdict.bounce else thread.find_ticket(
            parsed=parsed, ids=[], address=address, user=user, tickets=batch.tickets)
    if found is None or found.ticket is None:
        return
    kind = Message.Kind.AUTOMATIC
    if verdict.bounce:
        kind = Message.Kind.DELIVERY_FAILURE
        _outbound_failed(ids=verdict.our_ids, ticket=found.ticket, parsed=parsed)
    inbound.ticket = found.ticket
    inbound.ticket_message = persist.reply_record(
        ticket=found.ticket, parsed=parsed, body=_automatic_body(parsed, verdict),
        user=user.get(found.ticket), address=address, kind=kind, with_attachments=False,
        ticket_locked=True)


def _automatic_body(parsed, verdict) -> str:
    text = parse.body_text(parsed, strip_quotes=True)
    return f"[{verdict.reason}] {parsed.subject}\n\n{text[:4000]}".strip()


def _outbound_failed(*, ids: list[str], ticket: Ticket, parsed) -> None:
    """Mark our returned mail as not delivered, with an audit event on the ticket."""
    if not ids:
        return
    failed = list(OutboundMessage.objects.filter(
        ticket=ticket, header_message_id__in=ids, delivery_failed_at__isnull=True
    ).values_list("pk", "header_message_id", "to_address"))
    if not failed:
        return
    reason = bounce.failure_reason(parsed)
    OutboundMessage.objects.filter(pk__in=[pk for pk, _mid, _to in failed]).update(
        delivery_failed_at=timezone.now(), failure_reason=reason)
    for _pk, header_message_id, to_address in failed:
        ticket_services.ticket_event_record(
            ticket=ticket, actor=None, kind=TicketEvent.Kind.MAIL_FAILED,
            message_id_header=header_message_id, to=to_address, reason=reason)


def _quarantine(inbound, reason: str, *, parsed, notify: bool) -> None:
    inbound.status, inbound.reason = Status.QUARANTINED, reason[:300]
    if notify and parsed is not None and parsed.from_address:
        notice.notice_record(address=parsed.from_address, in_reply_to=parsed.message_id)


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
    with attachment_store.files_guard(), transaction.atomic():
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
    with attachment_store.files_guard(), transaction.atomic():
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
