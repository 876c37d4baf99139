"""Business actions of the agent desk: one save that changes status, assignee, department
and priority together (all or nothing), macros, and merging two tickets.

Each public function runs in one transaction and records an audit event for every change
(through the workspace services it composes, which lock the ticket row again inside the
same transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from . import exceptions as exc
from . import services
from .models import Attachment, Macro, Message, Ticket, TicketEvent, TicketParticipant, TimeEntry

KEEP = object()  # "leave the assignee as it is" (None means unassign)


def ticket_update(*, ticket: Ticket, actor, status: str | None = None,
                  priority: int | None = None, assignee=KEEP, department=None,
                  items: Mapping | None = None, reason: str = "") -> Ticket:
    """Apply every change asked for in one transaction: if one is refused (the department
    refuses the requester, a status that does not exist, an assignee who is not staff)
    none is applied. Unchanged values are no-ops (no event)."""
    services._require_staff(actor)
    if status and status not in Ticket.Status.values:
        raise exc.InvalidTicketInput(exc.STATUS_INVALID)
    if priority is not None and int(priority) not in Ticket.Priority.values:
        raise exc.InvalidTicketInput(exc.PRIORITY_INVALID)
    with transaction.atomic():
        current = services._ticket_lock(ticket)
        if department is not None and department.pk != current.department_id:
            services.ticket_department_change(ticket=current, actor=actor, department=department,
                                              reason=(reason or "").strip()[:300], items=items)
        if assignee is not KEEP:
            services.ticket_assign(ticket=current, actor=actor, assignee=assignee)
        if priority is not None:
            services.ticket_priority_change(ticket=current, actor=actor, priority=int(priority))
        if status:
            current = Ticket.objects.get(pk=current.pk)
            if status != current.status:
                services.ticket_status_change(ticket=current, actor=actor, status=status)
        return Ticket.objects.select_related("department").get(pk=current.pk)


BULK_MAX_TICKETS = 100


def tickets_bulk_update(*, tickets: list[Ticket], actor, status: str | None = None,
                        priority: int | None = None, assignee=KEEP) -> int:
    """The desk's bulk action on selected tickets: ticket_update on each, all in one
    transaction (a ticket that refuses a change leaves every ticket as it was, and the
    message names it). Returns how many tickets were saved."""
    services._require_staff(actor)
    if not tickets:
        raise exc.InvalidTicketInput(exc.BULK_NONE_SELECTED)
    if len(tickets) > BULK_MAX_TICKETS:
        raise exc.InvalidTicketInput(exc.BULK_TOO_MANY % {"limit": BULK_MAX_TICKETS})
    if not status and priority is None and assignee is KEEP:
        raise exc.InvalidTicketInput(exc.BULK_NOTHING)
    with transaction.atomic():
        for ticket in tickets:
            try:
                ticket_update(ticket=ticket, actor=actor, status=status, priority=priority,
                              assignee=assignee)
            except exc.TicketsError as error:
                raise exc.InvalidTicketInput(exc.BULK_REFUSED % {
                    "number": ticket.number, "reason": " ".join(error.messages)}) from error
    return len(tickets)


# --- macros ------------------------------------------------------------------------------

def macros_available(*, department_id: int):
    """The active macros an agent may apply on a ticket of the department (the global ones
    and the department's), as a query not yet run: a reply's form reads only the macro
    posted, if any (issue 16: no read of every macro on each reply)."""
    from django.db.models import Q

    return (Macro.objects.filter(is_active=True)
            .filter(Q(department__isnull=True) | Q(department_id=department_id)))


def macros_for(*, department_id: int) -> list[Macro]:
    return list(macros_available(department_id=department_id))


def macro_save(*, macro: Macro, actor) -> Macro:
    """Create or update a macro (staff manage them in the admin)."""
    services._require_staff(actor)
    if macro.pk is None:
        macro.created_by = actor
    macro.updated_at = timezone.now()
    macro.save()
    return macro


def macro_apply(*, ticket: Ticket, actor, macro: Macro, body: str = "",
                files: Iterable = (), internal: bool = False) -> Message:
    """Send the reply (the macro's text unless the agent edited it) and set what the
    macro sets, in one transaction: the reply and the changes land together or not at
    all."""
    services._require_staff(actor)
    if not macro.is_active:
        raise exc.InvalidTicketInput(exc.MACRO_NOT_FOUND)
    body = body if (body or "").strip() else macro.body
    assignee = KEEP
    if macro.assign == Macro.Assign.ME:
        assignee = actor
    elif macro.assign == Macro.Assign.NOBODY:
        assignee = None
    with transaction.atomic():
        message = services.agent_reply_create(ticket=ticket, agent=actor, body=body,
                                              files=files, internal=internal)
        ticket_update(ticket=ticket, actor=actor, status=macro.status or None,
                      priority=macro.priority, assignee=assignee)
    return message


# --- merge -------------------------------------------------------------------------------

def ticket_merge(*, source: Ticket, target: Ticket, actor) -> Ticket:
    """Merge `source` into `target` (the survivor), both of one organization: messages
    (with their attachments), time entries and participants move to the survivor; the
    source is resolved and points to the survivor, so that mail to either threads there.
    The credit ledger keeps its entries as booked (it is append-only); a later refund of
    the survivor covers the merged ticket's debits too."""
    services._require_staff(actor)
    if source.pk == target.pk:
        raise exc.InvalidTicketInput(exc.MERGE_SAME_TICKET)
    with transaction.atomic():
        first, second = sorted([source.pk, target.pk])
        locked = {t.pk: t for t in Ticket.objects.select_for_update()
                  .filter(pk__in=[first, second]).order_by("pk")}
        source, target = locked[source.pk], locked[target.pk]
        if source.organization_id != target.organization_id:
            raise exc.InvalidTicketInput(exc.MERGE_OTHER_ORGANIZATION)
        if source.merged_into_id or target.merged_into_id:
            raise exc.InvalidTicketInput(exc.MERGE_ALREADY_MERGED)
        moved = Message.objects.filter(ticket=source).update(ticket=target)
        TimeEntry.objects.filter(ticket=source).update(ticket=target)
        _participants_move(source=source, target=target)
        attachments = Attachment.objects.filter(message__ticket=target).count()
        now = timezone.now()
        services.ticket_event_record(ticket=source, actor=actor, kind=TicketEvent.Kind.MERGED,
                                     into=target.number, into_id=target.pk)
        services.ticket_event_record(ticket=target, actor=actor,
                                     kind=TicketEvent.Kind.MERGED_FROM, **{
                                         "from": source.number, "from_id": source.pk,
                                         "messages": moved, "attachments": attachments})
        if source.status != Ticket.Status.RESOLVED:
            services.ticket_event_record(ticket=source, actor=actor,
                                         kind=TicketEvent.Kind.RESOLVED, old=source.status)
            source.status, source.resolved_at = Ticket.Status.RESOLVED, now
        source.merged_into, source.waiting_since, source.updated_at = target, None, now
        source.save()
        target.last_activity_at = max(target.last_activity_at, source.last_activity_at)
        target.updated_at = now
        target.save(update_fields=["last_activity_at", "updated_at"])
    return target


def _participants_move(*, source: Ticket, target: Ticket) -> None:
    existing = set(TicketParticipant.objects.filter(ticket=target)
                   .values_list("contact_id", flat=True)) | {target.requester_id}
    for participant in TicketParticipant.objects.filter(ticket=source):
        if participant.contact_id in existing:
            continue
        TicketParticipant.objects.create(ticket=target, contact_id=participant.contact_id,
                                         added_by=participant.added_by,
                                         source=participant.source)
    if source.requester_id not in existing:
        TicketParticipant.objects.create(ticket=target, contact_id=source.requester_id,
                                         source=TicketParticipant.Source.AGENT)


def ticket_by_number_for_merge(*, ticket: Ticket, number: str) -> Ticket:
    from . import numbers

    parsed = numbers.number_parse(number or "")
    other = Ticket.objects.filter(number=parsed).first() if parsed else None
    if other is None or other.organization_id != ticket.organization_id:
        raise exc.InvalidTicketInput(exc.MERGE_TARGET_NOT_FOUND)
    return other
