"""Business actions on tickets. The only code that writes ticket models.

Every public action is keyword-only, runs in one transaction, writes an audit event for
each state change, and queues notifications with transaction.on_commit.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from entitlements import engine

from . import exceptions as exc
from . import signals
from .models import Attachment, Message, Ticket, TicketEvent, TicketFieldValue

NUMBER_ATTEMPTS = 20


def ticket_number_generate() -> str:
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(3))
    return f"{letters}-{secrets.randbelow(1000):03d}-{secrets.randbelow(100000):05d}"


def ticket_event_record(*, ticket: Ticket, actor, kind: str, **data) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, actor=actor, kind=kind, data=data)


def _notify_on_commit(kind: str, ticket: Ticket, message: Message | None = None) -> None:
    ticket_id, message_id = ticket.pk, (message.pk if message else None)
    transaction.on_commit(lambda: signals.ticket_notification.send(
        sender=Ticket, kind=kind, ticket_id=ticket_id, message_id=message_id))


# --- attachments -------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    return (name or "").strip()


def attachment_problems(*, files: Iterable, existing_bytes: int = 0) -> list[str]:
    """Every reason these files may not be attached; empty when they may."""
    problems: list[str] = []
    max_file = settings.ATTACHMENT_MAX_FILE_BYTES
    total = existing_bytes
    refused = {e.lower().lstrip(".") for e in settings.ATTACHMENT_REFUSED_EXTENSIONS}
    for f in files:
        name = _clean_name(getattr(f, "name", ""))
        base = PureWindowsPath(PurePosixPath(name).name).name
        if not name or base != name or name in {".", ".."} or "\x00" in name:
            problems.append(str(exc.FILE_NAME_INVALID % {"name": name}))
            continue
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext in refused:
            problems.append(str(exc.FILE_TYPE_REFUSED % {"ext": ext}))
        size = f.size or 0
        if size == 0:
            problems.append(str(exc.FILE_EMPTY % {"name": name}))
        elif size > max_file:
            problems.append(str(exc.FILE_TOO_LARGE % {"name": name, "limit": max_file // 2**20}))
        total += size
    if total > settings.ATTACHMENT_MAX_TICKET_BYTES:
        problems.append(str(exc.FILES_TOO_LARGE % {
            "limit": settings.ATTACHMENT_MAX_TICKET_BYTES // 2**20}))
    return problems


def _attachments_store(*, message: Message, files: Iterable) -> list[Attachment]:
    stored = []
    for f in files:
        digest = hashlib.sha256()
        for chunk in f.chunks() if hasattr(f, "chunks") else [f.read()]:
            digest.update(chunk)
        f.seek(0)
        attachment = Attachment(
            message=message, original_name=_clean_name(f.name)[:255],
            content_type=(getattr(f, "content_type", "") or "application/octet-stream")[:120],
            size_bytes=f.size, sha256=digest.hexdigest(),
        )
        attachment.file.save(uuid.uuid4().hex, f, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def ticket_attachment_bytes(*, ticket: Ticket) -> int:
    from django.db.models import Sum

    return Attachment.objects.filter(message__ticket=ticket).aggregate(
        total=Sum("size_bytes"))["total"] or 0


# --- create ------------------------------------------------------------------------------

def _validate_text(*, subject: str | None, body: str) -> None:
    problems = []
    if subject is not None and not subject.strip():
        problems.append(exc.SUBJECT_REQUIRED)
    if not (body or "").strip():
        problems.append(exc.MESSAGE_REQUIRED)
    if problems:
        raise exc.InvalidTicketInput(*problems)


def ticket_create(
    *, requester, department, subject: str, body: str, files: Iterable = (),
    field_values: Mapping | None = None, deployment=None, hardware_item=None,
    module_licence=None, billing_responsibility=None, submission_key: uuid.UUID | None = None,
    source: str = Message.Source.WEB,
) -> Ticket:
    """Open a ticket. The entitlement decision is taken again inside the transaction."""
    files = list(files)
    subject = " ".join((subject or "").split())[:200]
    _validate_text(subject=subject, body=body)
    problems = attachment_problems(files=files)
    if problems:
        raise exc.AttachmentRejected(*problems)
    if submission_key is not None:
        existing = Ticket.objects.filter(submission_key=submission_key,
                                         requester=requester).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            decision = engine.evaluate(
                contact=requester, department=department, deployment=deployment,
                hardware_item=hardware_item, module_licence=module_licence,
                billing_responsibility=billing_responsibility, lock=True,
            )
            if not decision.allowed:
                raise exc.DepartmentUnavailable(decision, *[r.message for r in decision.reasons])
            ticket = _ticket_insert(
                requester=requester, department=department, subject=subject,
                deployment=deployment, hardware_item=hardware_item,
                module_licence=module_licence, billing_responsibility=billing_responsibility,
                paying_organization_id=decision.paying_organization_id,
                submission_key=submission_key or uuid.uuid4(),
            )
            for field, value in (field_values or {}).items():
                TicketFieldValue.objects.create(ticket=ticket, field=field, value=str(value))
            message = Message.objects.create(ticket=ticket, author=requester, body=body,
                                             kind=Message.Kind.CUSTOMER, source=source,
                                             created_at=ticket.created_at)
            _attachments_store(message=message, files=files)
            ticket_event_record(ticket=ticket, actor=requester, kind=TicketEvent.Kind.CREATED,
                                department=department.code, source=source,
                                uses_credits=decision.uses_credits)
            _notify_on_commit(signals.CREATED, ticket, message)
    except IntegrityError:
        # A concurrent post of the same form won the race: return its ticket.
        if submission_key is not None:
            existing = Ticket.objects.filter(submission_key=submission_key,
                                             requester=requester).first()
            if existing is not None:
                return existing
        raise
    return ticket


def _ticket_insert(**fields) -> Ticket:
    now = timezone.now()
    requester = fields["requester"]
    for _attempt in range(NUMBER_ATTEMPTS):
        number = ticket_number_generate()
        if Ticket.objects.filter(number=number).exists():
            continue
        try:
            with transaction.atomic():
                return Ticket.objects.create(
                    number=number, organization_id=requester.organization_id,
                    status=Ticket.Status.NEW, created_at=now, updated_at=now,
                    last_activity_at=now, waiting_since=now, **fields,
                )
        except IntegrityError:
            if Ticket.objects.filter(submission_key=fields["submission_key"]).exists():
                raise
            continue
    raise RuntimeError("Could not allocate a unique ticket number.")


# --- replies and status ------------------------------------------------------------------

def ticket_reply_create(
    *, ticket: Ticket, author, body: str, files: Iterable = (),
    kind: str = Message.Kind.CUSTOMER, source: str = Message.Source.WEB,
    author_email: str = "", notify: bool = True, ticket_locked: bool = False,
) -> Message:
    """Add a message. A customer reply to a resolved ticket reopens it; an agent reply
    puts the ticket to 'waiting on customer' and emails the requester.

    `ticket_locked`: the caller runs inside a transaction and `ticket` is the instance it
    locked there (select_for_update) — bulk processing of inbound mail. The ticket is then
    neither read again nor wrapped in a savepoint, and it is updated in place."""
    files = list(files)
    _validate_text(subject=None, body=body)
    if ticket_locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ticket_locked needs the caller's transaction.")
    with transaction.atomic(savepoint=not ticket_locked):
        if not ticket_locked:
            ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        problems = attachment_problems(
            files=files, existing_bytes=ticket_attachment_bytes(ticket=ticket)) if files else []
        if problems:
            raise exc.AttachmentRejected(*problems)
        now = timezone.now()
        message = Message.objects.create(ticket=ticket, author=author, author_email=author_email,
                                         body=body, kind=kind, source=source, created_at=now)
        if files:
            _attachments_store(message=message, files=files)
        ticket_event_record(ticket=ticket, actor=author, kind=TicketEvent.Kind.MESSAGE_ADDED,
                            message_id=message.pk, message_kind=kind, source=source)
        if kind == Message.Kind.CUSTOMER:
            _after_customer_message(ticket=ticket, actor=author, now=now, source=source)
        elif kind == Message.Kind.AGENT:
            _set_status(ticket=ticket, actor=author, status=Ticket.Status.WAITING_CUSTOMER)
            ticket.waiting_since = None
            if notify:
                _notify_on_commit(signals.AGENT_REPLY, ticket, message)
        if kind in Message.CUSTOMER_VISIBLE_KINDS:
            ticket.last_activity_at = now
        ticket.updated_at = now
        ticket.save(update_fields=_REPLY_TICKET_FIELDS)
    return message


# Every ticket field a reply (and the status helpers it calls) may change.
_REPLY_TICKET_FIELDS = ["status", "resolved_at", "waiting_since", "last_activity_at",
                        "updated_at"]


def _after_customer_message(*, ticket: Ticket, actor, now, source: str) -> None:
    if ticket.status == Ticket.Status.RESOLVED:
        ticket.status = Ticket.Status.OPEN
        ticket.resolved_at = None
        ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.REOPENED,
                            source=source)
        _notify_on_commit(signals.REOPENED, ticket)
    elif ticket.status == Ticket.Status.WAITING_CUSTOMER:
        _set_status(ticket=ticket, actor=actor, status=Ticket.Status.OPEN)
    if ticket.waiting_since is None:
        ticket.waiting_since = now


def _set_status(*, ticket: Ticket, actor, status: str) -> None:
    if ticket.status == status:
        return
    ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.STATUS_CHANGED,
                        old=ticket.status, new=status)
    ticket.status = status


def ticket_resolve(*, ticket: Ticket, actor) -> Ticket:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == Ticket.Status.RESOLVED:
            raise exc.InvalidTicketInput(exc.TICKET_ALREADY_RESOLVED)
        now = timezone.now()
        ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.RESOLVED,
                            old=ticket.status)
        ticket.status = Ticket.Status.RESOLVED
        ticket.resolved_at = now
        ticket.waiting_since = None
        ticket.updated_at = now
        ticket.last_activity_at = now
        ticket.save()
        _notify_on_commit(signals.RESOLVED, ticket)
    return ticket
