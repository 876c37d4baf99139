"""The agent's "update ticket" form as one action: status, priority, assignee and
department together, only what changed, in one transaction (the workspace and the API)."""

from __future__ import annotations

from django.db import transaction

from . import services
from .models import Ticket

UNCHANGED = object()


def ticket_update(*, ticket: Ticket, actor, status=UNCHANGED, priority=UNCHANGED,
                  assignee=UNCHANGED, department=UNCHANGED, reason: str = "") -> Ticket:
    """Each change through its own service (audited, notified); nothing for a value that is
    already the ticket's. All or nothing."""
    with transaction.atomic():
        if department is not UNCHANGED and department.pk != ticket.department_id:
            services.ticket_department_change(ticket=ticket, actor=actor,
                                              department=department, reason=reason)
        if assignee is not UNCHANGED and \
                (assignee.pk if assignee else None) != ticket.assignee_id:
            services.ticket_assign(ticket=ticket, actor=actor, assignee=assignee)
        if priority is not UNCHANGED and priority != ticket.priority:
            services.ticket_priority_change(ticket=ticket, actor=actor, priority=priority)
        ticket.refresh_from_db(fields=["status"])
        if status is not UNCHANGED and status != ticket.status:
            services.ticket_status_change(ticket=ticket, actor=actor, status=status)
    ticket.refresh_from_db()
    return ticket
