"""Business actions on tickets. The only code that writes ticket models.

Every public action is keyword-only, runs in one transaction, writes an audit event for
each state change, and announces notifications inside the transaction (tickets.signals:
the mail gateway records the email and its outbox task with the change; sent after commit).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from entitlements import engine

from . import attachment_store, numbers, satisfaction, signals, sla_clock
from . import exceptions as exc
from .attachments import attachment_problems, attachments_write, ticket_attachment_bytes
from .models import Message, Ticket, TicketEvent, TicketFieldValue

NUMBER_ATTEMPTS = 20
# The audit events that change a ticket's status (the reports' waiting series reads them).
STATUS_EVENT_KINDS = (TicketEvent.Kind.STATUS_CHANGED, TicketEvent.Kind.RESOLVED)


def ticket_event_record(*, ticket: Ticket, actor, kind: str, **data) -> TicketEvent:
    # The time read from timezone.now() at the call, like every other time the services
    # stamp (the field's default is the function object taken at import, so a clock
    # replaced later, as in the tests, would not reach it): the reports count status
    # changes by this time's day.
    return TicketEvent.objects.create(ticket=ticket, actor=actor, kind=kind, data=data,
                                      created_at=timezone.now())


def _notify(kind: str, ticket: Ticket, message: Message | None = None) -> None:
    """Inside the caller's transaction: receivers record (never send) what it causes."""
    signals.ticket_notification.send(sender=Ticket, kind=kind, ticket=ticket,
                                     ticket_id=ticket.pk,
                                     message_id=message.pk if message else None)


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
        # Unordered and two columns: the common answer is none (the ticket's default
        # ordering and its forty columns cost more to compile than the read itself).
        for pk, requester_id in (Ticket.objects.filter(submission_key=submission_key)
                                 .order_by().values_list("pk", "requester_id")[:1]):
            if requester_id == requester.pk:
                return Ticket.objects.get(pk=pk)  # the same form posted again
            submission_key = None  # another contact's key (copied or guessed): a new one
    with attachment_store.files_guard():
        stored = attachments_write(files=files)
        return _ticket_create_atomic(
            requester=requester, department=department, subject=subject, body=body,
            stored=stored, field_values=field_values, deployment=deployment,
            hardware_item=hardware_item, module_licence=module_licence,
            billing_responsibility=billing_responsibility, submission_key=submission_key,
            source=source)


def _ticket_create_atomic(*, requester, department, subject, body, stored, field_values,
                          deployment, hardware_item, module_licence, billing_responsibility,
                          submission_key, source) -> Ticket:
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
                contract_plan_id=decision.contract_plan_id,
            )
            for field, value in (field_values or {}).items():
                TicketFieldValue.objects.create(ticket=ticket, field=field, value=str(value))
            message = Message.objects.create(ticket=ticket, author=requester, body=body,
                                             kind=Message.Kind.CUSTOMER, source=source,
                                             created_at=ticket.created_at)
            attachment_store.rows_create(message=message, stored=stored)
            ticket_event_record(ticket=ticket, actor=requester, kind=TicketEvent.Kind.CREATED,
                                department=department.code, source=source,
                                uses_credits=decision.uses_credits)
            _notify(signals.CREATED, ticket, message)
    except IntegrityError:
        # A concurrent post of the same form won the race: return its ticket.
        if submission_key is not None:
            existing = Ticket.objects.filter(submission_key=submission_key,
                                             requester=requester).first()
            if existing is not None:
                return existing
        raise
    return ticket


def _ticket_insert(*, contract_plan_id, **fields) -> Ticket:
    """INSERT the ticket with its service-level policy and due times already decided (one
    statement, no UPDATE after it); a ticket number already taken (the unique index,
    under a savepoint) draws another."""
    now = timezone.now()
    requester = fields["requester"]
    ticket = Ticket(organization_id=requester.organization_id, status=Ticket.Status.NEW,
                    created_at=now, updated_at=now, last_activity_at=now, waiting_since=now,
                    **fields)
    sla_clock.sla_policy_apply(ticket=ticket, contract_plan_id=contract_plan_id,
                               actor=requester, now=now, cause="created", record_event=False)
    for _attempt in range(NUMBER_ATTEMPTS):
        ticket.number = numbers.number_generate()
        try:
            with transaction.atomic():
                ticket.save(force_insert=True)
                return ticket
        except IntegrityError:
            ticket.pk = None
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
    problems = attachment_problems(files=files) if files else []
    if problems:
        raise exc.AttachmentRejected(*problems)
    with attachment_store.files_guard():
        stored = attachments_write(files=files)
        return _reply_create_atomic(ticket=ticket, author=author, body=body, files=files,
                                    stored=stored, kind=kind, source=source,
                                    author_email=author_email, notify=notify,
                                    ticket_locked=ticket_locked)


def _reply_create_atomic(*, ticket: Ticket, author, body: str, files: list, stored: list,
                         kind: str, source: str, author_email: str, notify: bool,
                         ticket_locked: bool) -> Message:
    with transaction.atomic(savepoint=not ticket_locked):
        if not ticket_locked:  # the requester with it: the reply's email is addressed to it
            ticket = (Ticket.objects.select_for_update(of=("self",))
                      .select_related("requester").get(pk=ticket.pk))
        problems = attachment_problems(
            files=files, existing_bytes=ticket_attachment_bytes(ticket=ticket)) if files else []
        if problems:
            raise exc.AttachmentRejected(*problems)
        now = timezone.now()
        message = Message.objects.create(ticket=ticket, author=author, author_email=author_email,
                                         body=body, kind=kind, source=source, created_at=now)
        attachment_store.rows_create(message=message, stored=stored)
        ticket_event_record(ticket=ticket, actor=author, kind=TicketEvent.Kind.MESSAGE_ADDED,
                            message_id=message.pk, message_kind=kind, source=source)
        if kind == Message.Kind.CUSTOMER:
            _after_customer_message(ticket=ticket, actor=author, now=now, source=source)
        elif kind == Message.Kind.AGENT:
            _set_status(ticket=ticket, actor=author, status=Ticket.Status.WAITING_CUSTOMER)
            ticket.waiting_since = None
            if ticket.first_responded_at is None:
                ticket.first_responded_at = now
            if notify:
                _notify(signals.AGENT_REPLY, ticket, message)
        if kind in (Message.Kind.CUSTOMER, Message.Kind.AGENT):
            sla_clock.sla_refresh(ticket=ticket, now=now)
        if kind in Message.CUSTOMER_VISIBLE_KINDS:
            ticket.last_activity_at = now
        ticket.updated_at = now
        ticket.save(update_fields=_REPLY_TICKET_FIELDS)
    return message


# Every ticket field a reply (and the status helpers it calls) may change.
_REPLY_TICKET_FIELDS = ["status", "resolved_at", "waiting_since", "last_activity_at",
                        "updated_at", "first_responded_at", *sla_clock.clock.CLOCK_FIELDS]


def _after_customer_message(*, ticket: Ticket, actor, now, source: str) -> None:
    if ticket.status == Ticket.Status.RESOLVED:
        ticket.status = Ticket.Status.OPEN
        signals.report_days_touched(ticket.resolved_at)
        ticket.resolved_at = None
        ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.REOPENED,
                            source=source)
        _notify(signals.REOPENED, ticket)
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
        sla_clock.sla_refresh(ticket=ticket, now=now)
        ticket.save()
        satisfaction.survey_request(ticket=ticket, now=now)
        _notify(signals.RESOLVED, ticket)
    return ticket


# --- agent workspace ---------------------------------------------------------------------
# Actions agents take in the admin workspace. Each runs in one transaction, locks the ticket
# row and records an audit event for every change.

MAX_TIME_ENTRY_MINUTES = 24 * 60


def _require_staff(actor) -> None:
    if actor is None or not getattr(actor, "is_staff", False):
        raise exc.AgentActionRefused(exc.NOT_STAFF)


def _ticket_lock(ticket: Ticket) -> Ticket:
    return (Ticket.objects.select_for_update().select_related("department")
            .get(pk=ticket.pk))


def _waiting_for_status(*, ticket: Ticket, status: str, now) -> None:
    """New and open tickets wait for us; the others do not."""
    if status in (Ticket.Status.NEW, Ticket.Status.OPEN):
        if ticket.waiting_since is None:
            ticket.waiting_since = now
    else:
        ticket.waiting_since = None


def ticket_assign(*, ticket: Ticket, actor, assignee) -> Ticket:
    """Assign (or with assignee=None unassign). Claiming a new ticket opens it."""
    _require_staff(actor)
    if assignee is not None and not assignee.is_staff:
        raise exc.AgentActionRefused(exc.ASSIGNEE_NOT_STAFF)
    with transaction.atomic():
        ticket = _ticket_lock(ticket)
        new_id = assignee.pk if assignee is not None else None
        if ticket.assignee_id == new_id:
            return ticket
        ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.ASSIGNED,
                            old=ticket.assignee_id, new=new_id,
                            new_email=assignee.email if assignee is not None else "")
        ticket.assignee = assignee
        if assignee is not None and ticket.status == Ticket.Status.NEW:
            _set_status(ticket=ticket, actor=actor, status=Ticket.Status.OPEN)
        ticket.updated_at = timezone.now()
        ticket.save()
    return ticket


def ticket_status_change(*, ticket: Ticket, actor, status: str) -> Ticket:
    """Move to any status; resolving goes through ticket_resolve (it emails the requester)."""
    _require_staff(actor)
    if status not in Ticket.Status.values:
        raise exc.InvalidTicketInput(exc.STATUS_INVALID)
    if status == Ticket.Status.RESOLVED:
        return ticket_resolve(ticket=ticket, actor=actor)
    with transaction.atomic():
        ticket = _ticket_lock(ticket)
        if ticket.status == status:
            return ticket
        now = timezone.now()
        if ticket.status == Ticket.Status.RESOLVED:
            ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.REOPENED,
                                source=Message.Source.ADMIN)
            signals.report_days_touched(ticket.resolved_at)
            ticket.resolved_at = None
        _set_status(ticket=ticket, actor=actor, status=status)
        _waiting_for_status(ticket=ticket, status=status, now=now)
        sla_clock.sla_refresh(ticket=ticket, now=now)
        ticket.updated_at = now
        ticket.save()
    return ticket


def ticket_priority_change(*, ticket: Ticket, actor, priority: int) -> Ticket:
    _require_staff(actor)
    if int(priority) not in Ticket.Priority.values:
        raise exc.InvalidTicketInput(exc.PRIORITY_INVALID)
    with transaction.atomic():
        ticket = _ticket_lock(ticket)
        if ticket.priority == int(priority):
            return ticket
        ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.PRIORITY_CHANGED,
                            old=ticket.priority, new=int(priority))
        ticket.priority = int(priority)
        ticket.updated_at = timezone.now()
        sla_clock.sla_refresh(ticket=ticket, now=ticket.updated_at)
        ticket.save()
    return ticket


def ticket_department_change(*, ticket: Ticket, actor, department, reason: str = "",
                             items: Mapping | None = None) -> Ticket:
    """Move a ticket to another department, re-checked against the entitlement rules with
    the requester as contact (the refusal in the agent's language). `items`: the
    deployment, hardware item and module licence the agent chose for the department's
    fields (else the ticket's own, when they belong to the department's product). Leaving a
    paid department for a free one refunds the minutes the ticket consumed. The agent's
    reason stays internal: the ledger and the customer read a plain sentence."""
    _require_staff(actor)
    with transaction.atomic():
        ticket = _ticket_lock(ticket)
        old = ticket.department
        if old.pk == department.pk:
            raise exc.InvalidTicketInput(exc.SAME_DEPARTMENT)
        kept, dropped = _items_for_department(ticket=ticket, department=department)
        chosen = {k: v for k, v in (items or {}).items() if v is not None}
        items = {**kept, **chosen}
        decision = engine.evaluate(
            contact=ticket.requester, department=department,
            billing_responsibility=ticket.billing_responsibility, lock=True,
            language=translation.get_language(), **items)
        if not decision.allowed:
            raise exc.DepartmentUnavailable(decision, *[r.message for r in decision.reasons])
        event = ticket_event_record(
            ticket=ticket, actor=actor, kind=TicketEvent.Kind.DEPARTMENT_CHANGED,
            old=old.code, new=department.code, reason=reason, dropped_items=dropped,
            old_uses_credits=old.uses_credits, new_uses_credits=department.uses_credits)
        _report_days_of_move(ticket)
        ticket.department = department
        for name, value in items.items():
            setattr(ticket, name, value)
        if department.uses_credits and decision.paying_organization_id:
            ticket.paying_organization_id = decision.paying_organization_id
        ticket.updated_at = timezone.now()
        sla_clock.sla_policy_apply(ticket=ticket, contract_plan_id=decision.contract_plan_id,
                                   actor=actor, now=ticket.updated_at,
                                   cause="department_changed")
        ticket.save()
        if old.uses_credits and not department.uses_credits:
            _ticket_credits_refund(ticket=ticket, actor=actor, event=event,
                                   department=department)
    return ticket


def _report_days_of_move(ticket: Ticket) -> None:
    """Every day whose per-department figures count this ticket (reports roll-ups)."""
    changes = ticket.events.filter(kind__in=STATUS_EVENT_KINDS).values_list("created_at",
                                                                           flat=True)
    signals.report_days_touched(ticket.created_at, ticket.resolved_at, ticket.first_responded_at,
                                ticket.first_response_due_at, *changes)


def _items_for_department(*, ticket: Ticket, department) -> tuple[dict, list[str]]:
    """The deployment, hardware and module of the ticket that belong to the department's
    product (the others concern another product: they leave the ticket, and the event
    names them)."""
    product_id = department.product_id
    items, dropped = {}, []
    for name, item, item_product_id, label in (
        ("deployment", ticket.deployment, getattr(ticket.deployment, "product_id", None),
         getattr(ticket.deployment, "code", "")),
        ("hardware_item", ticket.hardware_item, getattr(ticket.hardware_item, "product_id", None),
         getattr(ticket.hardware_item, "serial_number", "")),
        ("module_licence", ticket.module_licence,
         ticket.module_licence.deployment.product_id if ticket.module_licence else None,
         str(ticket.module_licence or "")),
    ):
        keep = item is not None and item_product_id == product_id
        items[name] = item if keep else None
        if item is not None and not keep:
            dropped.append(label)
    return items, dropped


def refund_sentence(*, ticket: Ticket, department) -> str:
    """What the customer reads in their ledger: a plain sentence in their language."""
    language = getattr(ticket.requester, "language", "") or translation.get_language()
    with translation.override(language or None):
        return str(exc.REFUND_SENTENCE % {"number": ticket.number,
                                          "department": department.name})[:500]


def _ticket_credits_refund(*, ticket: Ticket, actor, event: TicketEvent, department) -> int:
    """Refund every minute the ticket (and the tickets merged into it) consumed, net of
    earlier refunds. Idempotent."""
    from credits import selectors as credit_selectors
    from credits import services as credit_services

    ids = [ticket.pk, *Ticket.objects.filter(merged_into=ticket).values_list("pk", flat=True)]
    minutes = sum(credit_selectors.ticket_minutes_consumed(ticket_id=pk) for pk in ids)
    if minutes <= 0:
        return 0
    text = refund_sentence(ticket=ticket, department=department)
    for pk in ids:
        credit_services.credit_refund_ticket(ticket_id=pk, ticket_number=ticket.number,
                                             actor=actor, reason=text,
                                             reason_code="ticket_moved_free",
                                             reason_params={"ticket": ticket.number})
    ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.CREDITS_REFUNDED,
                        minutes=minutes)
    return minutes


def time_entry_create(*, ticket: Ticket, agent, minutes: int, note: str = ""):
    """Log agent time. On a department that uses credits the paying organization is
    debited at once (it may go below zero: work done is always recorded)."""
    from credits import services as credit_services

    from .models import TimeEntry

    _require_staff(agent)
    minutes = int(minutes)
    if minutes <= 0:
        raise exc.InvalidTicketInput(exc.MINUTES_POSITIVE)
    if minutes > MAX_TIME_ENTRY_MINUTES:
        raise exc.InvalidTicketInput(exc.MINUTES_TOO_MANY % {"limit": MAX_TIME_ENTRY_MINUTES})
    note = (note or "").strip()[:500]
    with transaction.atomic():
        ticket = _ticket_lock(ticket)
        entry = TimeEntry.objects.create(ticket=ticket, agent=agent, minutes=minutes, note=note)
        data = {"entry_id": entry.pk, "minutes": minutes, "note": note}
        if ticket.department.uses_credits:
            ledger = credit_services.credit_debit(
                organization_id=ticket.paying_organization_id or ticket.organization_id,
                minutes=minutes, idempotency_key=f"time:{entry.pk}", actor=agent,
                reason=(f"Agent time on {ticket.number}: {note}" if note
                        else f"Agent time on {ticket.number}")[:500],
                ticket_id=ticket.pk, ticket_number=ticket.number,
                reason_code="time_debit", reason_params={"ticket": ticket.number})
            data["balance_after_minutes"] = ledger.balance_after_minutes
        ticket_event_record(ticket=ticket, actor=agent, kind=TicketEvent.Kind.TIME_LOGGED,
                            **data)
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
    return entry


def time_entry_reverse(*, entry, actor, reason: str):
    """Correct a wrong entry with a reversing one, saying why; refunds what it debited."""
    from credits import selectors as credit_selectors
    from credits import services as credit_services

    from .models import TimeEntry

    _require_staff(actor)
    if not (reason or "").strip():
        raise exc.InvalidTicketInput(exc.REVERSAL_REASON_REQUIRED)
    with transaction.atomic():
        ticket = _ticket_lock(entry.ticket)
        entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.reverses_id is not None:
            raise exc.InvalidTicketInput(exc.TIME_REVERSAL_NOT_REVERSIBLE)
        if TimeEntry.objects.filter(reverses=entry).exists():
            raise exc.InvalidTicketInput(exc.TIME_ALREADY_REVERSED)
        reason = (reason or "").strip()[:500]
        reversal = TimeEntry.objects.create(ticket=ticket, agent=actor, minutes=-entry.minutes,
                                            reverses=entry, note=reason)
        # Never refund more than the ticket still holds (a move to a free department may
        # already have refunded it).
        refund = min(entry.minutes, credit_selectors.ticket_minutes_consumed(ticket_id=ticket.pk))
        if refund > 0:
            credit_services.credit_refund(
                organization_id=ticket.paying_organization_id or ticket.organization_id,
                minutes=refund, idempotency_key=f"time-reverse:{entry.pk}", actor=actor,
                reason=(f"Time entry reversed on {ticket.number}: {reason}" if reason
                        else f"Time entry reversed on {ticket.number}")[:500],
                ticket_id=ticket.pk, ticket_number=ticket.number,
                reason_code="time_reversed", reason_params={"ticket": ticket.number})
        ticket_event_record(ticket=ticket, actor=actor, kind=TicketEvent.Kind.TIME_REVERSED,
                            entry_id=entry.pk, reversal_id=reversal.pk, minutes=entry.minutes,
                            refunded_minutes=max(refund, 0), reason=reason)
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
    return reversal


def agent_reply_create(*, ticket: Ticket, agent, body: str, files: Iterable = (),
                       internal: bool = False) -> Message:
    """A reply emailed to the requester, or an internal note never sent to them."""
    _require_staff(agent)
    return ticket_reply_create(ticket=ticket, author=agent, body=body, files=files,
                               kind=Message.Kind.NOTE if internal else Message.Kind.AGENT,
                               source=Message.Source.ADMIN)


def canned_reply_save(*, reply, actor):
    """Create or update a canned reply (staff manage them in the admin)."""
    _require_staff(actor)
    if reply.pk is None:
        reply.created_by = actor
    reply.updated_at = timezone.now()
    reply.save()
    return reply
